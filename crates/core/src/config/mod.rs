//! Configuration from code, `nadoo.toml` and the environment, typed and checked.
//!
//! Precedence, highest first: explicit (API call or CLI flag) > environment > file >
//! defaults. Every rejected value names where it came from: the file and line and key, or the
//! environment variable and its value.

mod env;
mod file;
mod settings;

pub use self::env::{EnvConfig, NADOO_BACKEND, NADOO_CONFIG, NADOO_DEBUG, NADOO_MAX_WORKERS};
pub use self::file::{ConfigFile, RegistrySection, StoreSection};
pub use self::settings::{Explicit, NADOO_STORE, Settings};
pub use crate::diagnostics::SettingSource;
pub use crate::scheduler::EngineOptions;
