//! Run store URLs: `scheme://location?key=value`, and their form with credentials removed.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::secrets::redact;

/// A run store URL taken apart: the store's name (the scheme), where it is, and its options.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreUrl {
    /// The scheme: the registered store name (`sqlite`).
    pub scheme: String,
    /// What follows `scheme://`, without the query (`/var/lib/runs.db`, `host:4222`).
    pub location: String,
    /// The query's `key=value` pairs, as the store's typed configuration reads them: values
    /// that read as JSON (`5000`, `true`) are taken as such, the rest as strings.
    pub config: Map<String, Value>,
    /// The URL with any password replaced by `***`: what errors and listings show.
    pub redacted: String,
}

impl StoreUrl {
    /// Takes `url` apart.
    ///
    /// ```
    /// use nadoo_flow_core::StoreUrl;
    ///
    /// let url = StoreUrl::parse("nats://alice:s3cret@10.0.0.5:4222?bucket=runs").unwrap();
    /// assert_eq!(url.scheme, "nats");
    /// assert_eq!(url.location, "alice:s3cret@10.0.0.5:4222");
    /// assert_eq!(url.config["bucket"], "runs");
    /// assert_eq!(url.redacted, "nats://alice:***@10.0.0.5:4222?bucket=runs");
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidStoreUrl`] without `scheme://`, or with a query pair without `=`.
    pub fn parse(url: &str) -> Result<StoreUrl> {
        let redacted = redact(url);
        let invalid = |message: &str| Error::InvalidStoreUrl {
            url: redacted.clone(),
            message: message.to_owned(),
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            invalid("expected `scheme://location`, such as `sqlite://runs.db` or `memory://`")
        })?;
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(invalid(
                "the scheme must be a store name in lowercase letters",
            ));
        }
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut config = Map::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| invalid(&format!("query option `{pair}` has no `=value`")))?;
            let value = serde_json::from_str::<Value>(value)
                .ok()
                .filter(|v| !v.is_object() && !v.is_array())
                .unwrap_or_else(|| Value::String(value.to_owned()));
            config.insert(key.to_owned(), value);
        }
        Ok(StoreUrl {
            scheme: scheme.to_owned(),
            location: location.to_owned(),
            config,
            redacted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_come_apart_and_lose_their_secrets() {
        let url = StoreUrl::parse("sqlite:///tmp/runs.db?busy_timeout_ms=5000&mode=wal").unwrap();
        assert_eq!(url.scheme, "sqlite");
        assert_eq!(url.location, "/tmp/runs.db");
        assert_eq!(url.config["busy_timeout_ms"], 5000);
        assert_eq!(url.config["mode"], "wal");
        assert_eq!(StoreUrl::parse("memory://").unwrap().location, "");
        assert_eq!(
            redact("nats://tok@h:1/x?token=abc&a=b"),
            "nats://***@h:1/x?token=***&a=b"
        );
        assert_eq!(redact("sqlite://runs.db"), "sqlite://runs.db");

        let err = StoreUrl::parse("runs.db").unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid run store URL `runs.db`: expected `scheme://location`, such as \
             `sqlite://runs.db` or `memory://`"
        );
        let err = StoreUrl::parse("nats://u:pw@h?x").unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid run store URL `nats://u:***@h?x`: query option `x` has no `=value`"
        );
    }
}
