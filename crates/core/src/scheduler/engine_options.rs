//! Engine options every backend honours, as configuration writes them.

use std::num::NonZeroUsize;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ExecutionOptions;
use crate::deserialize::from_value;
use crate::error::{Error, Result};

/// Engine options every backend honours: how many nodes run at once, how long an attempt may
/// take, how often a failed node is retried, debug logging and result caching.
///
/// Each option may be absent, so that sources can be layered: an explicit value wins over the
/// environment, which wins over the configuration file, which wins over the defaults.
///
/// In `create(name, config)` these keys sit beside the backend's own keys and are taken out
/// before the backend's typed configuration is read, so every backend accepts them:
///
/// ```
/// use std::time::Duration;
/// use nadoo_flow_core::BackendRegistry;
/// # use nadoo_flow_native as _;
///
/// let backend = BackendRegistry::create("native", serde_json::json!({
///     "max_workers": 4,
///     "timeout": "30s",
///     "max_retries": 3,
///     "debug": true,
///     "enable_caching": true,
/// }))?;
/// let limits = backend.execution_options();
/// assert_eq!(limits.max_workers.get(), 4);
/// assert_eq!(limits.timeout, Some(Duration::from_secs(30)));
/// assert_eq!(limits.max_retries, 3);
///
/// let err = BackendRegistry::create("native", serde_json::json!({ "max_workers": 0 })).unwrap_err();
/// assert!(err.to_string().contains("max_workers"), "{err}");
/// # Ok::<(), nadoo_flow_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct EngineOptions {
    /// Upper bound on nodes running at once, for example `4`. Default: 32 per CPU.
    pub max_workers: Option<NonZeroUsize>,
    /// Time limit of each node attempt, for example `"30s"`. Default: none.
    #[serde(with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Retries after a failed attempt, with exponential backoff, for example `3`. Default: 0.
    pub max_retries: Option<u32>,
    /// Log every node execution at `info` level, for example `true`. Default: `false`.
    pub debug: Option<bool>,
    /// Reuse the results of cacheable node kinds for equal inputs. Default: `false`.
    pub enable_caching: Option<bool>,
}

impl EngineOptions {
    /// The configuration keys of engine options, reserved in every backend's configuration.
    pub const KEYS: [&'static str; 5] = [
        "max_workers",
        "timeout",
        "max_retries",
        "debug",
        "enable_caching",
    ];

    /// No option set.
    pub fn new() -> Self {
        Self::default()
    }

    /// With `max_workers`.
    #[must_use]
    pub fn max_workers(mut self, max_workers: NonZeroUsize) -> Self {
        self.max_workers = Some(max_workers);
        self
    }

    /// With `timeout`.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// With `max_retries`.
    #[must_use]
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = Some(max_retries);
        self
    }

    /// With `debug`.
    #[must_use]
    pub fn debug(mut self, debug: bool) -> Self {
        self.debug = Some(debug);
        self
    }

    /// With `enable_caching`.
    #[must_use]
    pub fn enable_caching(mut self, enable_caching: bool) -> Self {
        self.enable_caching = Some(enable_caching);
        self
    }

    /// Whether no option is set.
    pub fn is_empty(&self) -> bool {
        *self == EngineOptions::default()
    }

    /// These options, with each absent one taken from `lower`.
    #[must_use]
    pub fn or(self, lower: EngineOptions) -> EngineOptions {
        EngineOptions {
            max_workers: self.max_workers.or(lower.max_workers),
            timeout: self.timeout.or(lower.timeout),
            max_retries: self.max_retries.or(lower.max_retries),
            debug: self.debug.or(lower.debug),
            enable_caching: self.enable_caching.or(lower.enable_caching),
        }
    }

    /// `base` with the options that are set applied over it.
    pub fn apply(&self, mut base: ExecutionOptions) -> ExecutionOptions {
        if let Some(max_workers) = self.max_workers {
            base.max_workers = max_workers;
        }
        if self.timeout.is_some() {
            base.timeout = self.timeout;
        }
        if let Some(max_retries) = self.max_retries {
            base.max_retries = max_retries;
        }
        if let Some(debug) = self.debug {
            base.debug = debug;
        }
        if let Some(enable_caching) = self.enable_caching {
            base.enable_caching = enable_caching;
        }
        base
    }

    /// Takes the engine keys out of `config`, a backend's configuration object, and reads them.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] naming `backend` and the key.
    pub(crate) fn split_from(backend: &str, config: &mut Value) -> Result<EngineOptions> {
        let Value::Object(map) = config else {
            return Ok(EngineOptions::default());
        };
        if map.is_empty() {
            return Ok(EngineOptions::default());
        }
        let mut engine = Map::new();
        for key in Self::KEYS {
            if let Some(value) = map.remove(key) {
                engine.insert(key.to_owned(), value);
            }
        }
        if engine.is_empty() {
            return Ok(EngineOptions::default());
        }
        from_value(&Value::Object(engine))
            .map_err(|e| Error::invalid_config(backend, e.key.as_deref(), e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_engine_keys_and_leaves_the_rest() {
        let mut config = json!({"max_workers": 2, "timeout": "1s", "url": "x"});
        let engine = EngineOptions::split_from("b", &mut config).expect("valid");
        assert_eq!(engine.max_workers.map(NonZeroUsize::get), Some(2));
        assert_eq!(engine.timeout, Some(Duration::from_secs(1)));
        assert_eq!(config, json!({"url": "x"}));
    }

    #[test]
    fn bad_values_name_backend_and_key() {
        for (config, key) in [
            (json!({"max_workers": 0}), "max_workers"),
            (json!({"max_workers": -1}), "max_workers"),
            (json!({"timeout": "soon"}), "timeout"),
            (json!({"debug": "yes"}), "debug"),
        ] {
            let mut config = config;
            let err = EngineOptions::split_from("native", &mut config).unwrap_err();
            let Error::InvalidConfig {
                backend,
                key: Some(k),
                ..
            } = &err
            else {
                panic!("expected InvalidConfig with a key, got {err}");
            };
            assert_eq!((backend.as_str(), k.as_str()), ("native", key));
        }
    }

    #[test]
    fn higher_sources_win_key_by_key() {
        let explicit = EngineOptions {
            max_retries: Some(3),
            ..EngineOptions::default()
        };
        let file = EngineOptions {
            max_retries: Some(1),
            debug: Some(true),
            ..EngineOptions::default()
        };
        let merged = explicit.or(file);
        assert_eq!((merged.max_retries, merged.debug), (Some(3), Some(true)));
    }
}
