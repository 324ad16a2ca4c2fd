//! Configuration of the native backend.

use std::num::NonZeroUsize;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Configuration of [`NativeBackend`](crate::NativeBackend).
///
/// ```
/// use nadoo_flow_native::NativeConfig;
///
/// let config: NativeConfig = serde_json::from_str(r#"{ "max_workers": 2, "timeout": "30s" }"#)?;
/// assert_eq!(config.max_workers.map(|n| n.get()), Some(2));
/// assert_eq!(config.timeout, Some(std::time::Duration::from_secs(30)));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct NativeConfig {
    /// Upper bound on nodes running at once, for example `4`. Default: 32 per CPU.
    pub max_workers: Option<NonZeroUsize>,
    /// Time limit of each node attempt, for example `"30s"` or `"500ms"`. Default: none.
    #[serde(with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Retries after a failed attempt, with exponential backoff, for example `3`. Default: `0`.
    pub max_retries: u32,
    /// Log every node execution at `debug` level, for example `true`. Default: `false`.
    pub debug: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_the_default() {
        let config: NativeConfig = serde_json::from_str("{}").expect("parses");
        assert_eq!(config, NativeConfig::default());
    }

    #[test]
    fn rejects_unknown_keys_zero_workers_and_bad_durations() {
        let err = serde_json::from_str::<NativeConfig>(r#"{"max_worker": 2}"#).unwrap_err();
        assert!(
            err.to_string().contains("unknown field `max_worker`"),
            "{err}"
        );
        let err = serde_json::from_str::<NativeConfig>(r#"{"max_workers": 0}"#).unwrap_err();
        assert!(err.to_string().contains("nonzero"), "{err}");
        let err = serde_json::from_str::<NativeConfig>(r#"{"timeout": "soon"}"#).unwrap_err();
        assert!(
            err.to_string().contains("soon") || err.to_string().contains("invalid"),
            "{err}"
        );
    }
}
