//! Configuration from code, `nadoo.toml` and the environment, typed and checked.
//!
//! Precedence, highest first: explicit (API call or CLI flag) > environment > file >
//! defaults. Every rejected value names where it came from: the file and line and key, or the
//! environment variable and its value.

mod empty;
mod engine;
mod env;
mod file;
mod settings;

pub(crate) use self::empty::is_empty as is_empty_config;
pub use self::engine::EngineOptions;
pub use self::env::{EnvConfig, NADOO_BACKEND, NADOO_CONFIG, NADOO_DEBUG, NADOO_MAX_WORKERS};
pub use self::file::{ConfigFile, RegistrySection};
pub use self::settings::{Explicit, Settings};
pub use crate::diagnostics::SettingSource;
