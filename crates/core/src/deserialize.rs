//! Typed values out of JSON, with the key that was wrong when one is.
//!
//! Backend configurations, engine options and node configurations are all read this way, so
//! their errors name the offending key alike (`retry.backoff`, `values[2]`).

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why a value could not be read: the dotted path of the offending key (`None` when the value
/// as a whole is wrong) and serde's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub(crate) key: Option<String>,
    pub(crate) message: String,
}

/// `value` read as a `T`. The common case goes first and costs one pass; the path of an
/// offending key is worked out only on failure.
pub(crate) fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, Invalid> {
    if let Ok(typed) = T::deserialize(value) {
        return Ok(typed);
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        Invalid {
            key: (path != ".").then_some(path),
            message: e.into_inner().to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code, reason = "only read to be checked")]
    struct Retry {
        attempts: u32,
        backoff: Backoff,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "only read to be checked")]
    struct Backoff {
        ms: u64,
    }

    #[test]
    fn errors_name_the_offending_key() {
        let ok = from_value::<Retry>(&json!({ "attempts": 2, "backoff": { "ms": 5 } }));
        assert!(ok.is_ok());
        let wrong = from_value::<Retry>(&json!({ "attempts": 2, "backoff": { "ms": "soon" } }));
        let wrong = wrong.unwrap_err();
        assert_eq!(wrong.key.as_deref(), Some("backoff.ms"));
        assert!(wrong.message.contains("expected u64"), "{}", wrong.message);
        let whole = from_value::<Retry>(&json!(3)).unwrap_err();
        assert_eq!(whole.key, None);
    }
}
