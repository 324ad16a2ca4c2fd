//! Configuration of the native backend.

use serde::{Deserialize, Serialize};

/// Configuration of [`NativeBackend`](crate::NativeBackend).
///
/// The native backend has no settings of its own: everything it honours is an engine option
/// (`max_workers`, `timeout`, `max_retries`, `debug`, `enable_caching`), which every backend
/// accepts beside its own keys. Any other key is rejected.
///
/// ```
/// use nadoo_flow_core::BackendRegistry;
/// use nadoo_flow_native as _;
///
/// assert!(BackendRegistry::create("native", serde_json::json!({ "max_workers": 2 })).is_ok());
/// let err = BackendRegistry::create("native", serde_json::json!({ "workers": 2 })).unwrap_err();
/// assert!(err.to_string().contains("unknown field `workers`"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct NativeConfig {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_the_default_and_other_keys_are_rejected() {
        let config: NativeConfig = serde_json::from_str("{}").expect("parses");
        assert_eq!(config, NativeConfig::default());
        let err = serde_json::from_str::<NativeConfig>(r#"{"max_worker": 2}"#).unwrap_err();
        assert!(
            err.to_string().contains("unknown field `max_worker`"),
            "{err}"
        );
    }
}
