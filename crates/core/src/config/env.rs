//! Settings from the environment: `NADOO_BACKEND`, `NADOO_DEBUG`, `NADOO_MAX_WORKERS`,
//! `NADOO_CONFIG`.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use crate::diagnostics::SettingSource;
use crate::error::{Error, Result};
use serde_json::Value;

use crate::registry::DefaultConfig;
use crate::scheduler::EngineOptions;

/// The backend name.
pub const NADOO_BACKEND: &str = "NADOO_BACKEND";
/// Debug logging: `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
pub const NADOO_DEBUG: &str = "NADOO_DEBUG";
/// Upper bound on nodes running at once: a positive integer.
pub const NADOO_MAX_WORKERS: &str = "NADOO_MAX_WORKERS";
/// The path of a `nadoo.toml`.
pub const NADOO_CONFIG: &str = "NADOO_CONFIG";

/// What the environment says, each setting checked.
///
/// ```
/// use nadoo_flow_core::EnvConfig;
///
/// let env = EnvConfig::from_lookup(|var| match var {
///     "NADOO_BACKEND" => Some("native".to_owned()),
///     "NADOO_MAX_WORKERS" => Some("8".to_owned()),
///     _ => None,
/// })?;
/// assert_eq!(env.backend.as_deref(), Some("native"));
/// assert_eq!(env.engine.max_workers.map(|n| n.get()), Some(8));
///
/// let err = EnvConfig::from_lookup(|var| (var == "NADOO_MAX_WORKERS").then(|| "abc".to_owned()))
///     .unwrap_err();
/// assert_eq!(err.to_string(), "NADOO_MAX_WORKERS=\"abc\": expected a positive integer");
/// # Ok::<(), nadoo_flow_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnvConfig {
    /// `NADOO_BACKEND`.
    pub backend: Option<String>,
    /// `NADOO_DEBUG` and `NADOO_MAX_WORKERS`.
    pub engine: EngineOptions,
    /// `NADOO_CONFIG`.
    pub config_path: Option<PathBuf>,
}

impl EnvConfig {
    /// Reads the process environment.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] naming the variable and its value.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|var| std::env::var(var).ok())
    }

    /// Reads settings through `lookup`, which returns a variable's value if it is set.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] naming the variable and its value.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let set = |var: &str| lookup(var).filter(|v| !v.trim().is_empty());
        let invalid = |var: &'static str, value: &str, message: &str| Error::InvalidSetting {
            origin: SettingSource::Env {
                var,
                value: value.to_owned(),
            },
            key: None,
            message: message.to_owned(),
        };
        let mut engine = EngineOptions::default();
        if let Some(value) = set(NADOO_DEBUG) {
            engine.debug = Some(match value.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => true,
                "false" | "0" | "no" | "off" => false,
                _ => return Err(invalid(NADOO_DEBUG, &value, "expected true or false")),
            });
        }
        if let Some(value) = set(NADOO_MAX_WORKERS) {
            let workers = value
                .trim()
                .parse::<NonZeroUsize>()
                .map_err(|_| invalid(NADOO_MAX_WORKERS, &value, "expected a positive integer"))?;
            engine.max_workers = Some(workers);
        }
        Ok(EnvConfig {
            backend: set(NADOO_BACKEND).map(|v| v.trim().to_owned()),
            engine,
            config_path: set(NADOO_CONFIG).map(PathBuf::from),
        })
    }
}

impl DefaultConfig {
    /// What the environment says: `NADOO_BACKEND`, `NADOO_DEBUG`, `NADOO_MAX_WORKERS` (the
    /// seed's `BackendConfig.from_env()`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`](crate::Error::InvalidSetting) naming the variable and its value.
    pub fn from_env() -> Result<Self> {
        Ok(Self::from_env_config(EnvConfig::from_env()?))
    }

    /// The default an [`EnvConfig`] describes.
    pub fn from_env_config(env: EnvConfig) -> Self {
        let config = match serde_json::to_value(&env.engine) {
            Ok(Value::Object(map)) => {
                Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
            }
            _ => Value::Null,
        };
        DefaultConfig {
            backend: env.backend,
            config,
        }
    }
}
