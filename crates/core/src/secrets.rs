//! What must never be shown: secret values of configurations, and the credentials inside
//! URLs. Every `Debug`, error and log line that could carry one goes through here.

use serde_json::{Map, Value};

/// What a hidden value is shown as.
pub const REDACTED: &str = "<redacted>";

/// Whether a configuration key names a secret, whose value must not be shown: a password,
/// secret, token, credential, private key, API key or NKey.
///
/// ```
/// assert!(nadoo_flow_core::is_secret("db_password"));
/// assert!(!nadoo_flow_core::is_secret("url"));
/// ```
pub fn is_secret(key: &str) -> bool {
    const SECRET: [&str; 7] = [
        "password",
        "secret",
        "token",
        "credential",
        "private_key",
        "api_key",
        "nkey",
    ];
    let key = key.to_ascii_lowercase();
    SECRET.iter().any(|s| key.contains(s))
}

/// `url` with the password of its user information (`user:password@`) replaced by `***`,
/// and a `password`, `token` or `secret` query value too.
pub fn redact(url: &str) -> String {
    let (head, query) = url
        .split_once('?')
        .map_or((url, None), |(h, q)| (h, Some(q)));
    let mut out = match head.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            let authority = match authority.rsplit_once('@') {
                Some((user_info, host)) => match user_info.split_once(':') {
                    Some((user, _)) => format!("{user}:***@{host}"),
                    None => format!("***@{host}"),
                },
                None => authority.to_owned(),
            };
            format!("{scheme}://{authority}{path}")
        }
        None => head.to_owned(),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _))
                    if ["password", "token", "secret"]
                        .iter()
                        .any(|s| key.to_ascii_lowercase().contains(s)) =>
                {
                    format!("{key}=***")
                }
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// Several URLs separated by commas (a server list), each through [`redact`].
pub fn redact_list(urls: &str) -> String {
    urls.split(',')
        .map(|url| redact(url.trim()))
        .collect::<Vec<_>>()
        .join(",")
}

/// `value` with every secret key's value (at any depth) shown as [`REDACTED`], and every
/// string that holds a URL through [`redact_list`].
///
/// ```
/// use serde_json::json;
/// use nadoo_flow_core::redact_value;
///
/// let shown = redact_value(&json!({
///     "url": "nats://alice:pw@host:4222",
///     "auth": { "token": "t0k3n" },
///     "workers": 4,
/// }));
/// assert_eq!(shown, json!({
///     "url": "nats://alice:***@host:4222",
///     "auth": { "token": "<redacted>" },
///     "workers": 4,
/// }));
/// ```
pub fn redact_value(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(redact_map(map)),
        Value::Array(items) => Value::Array(items.iter().map(redact_value).collect()),
        Value::String(text) if text.contains("://") => Value::String(redact_list(text)),
        other => other.clone(),
    }
}

/// [`redact_value`] of an object.
pub fn redact_map(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .map(|(key, value)| {
            let shown = if is_secret(key) {
                Value::String(REDACTED.to_owned())
            } else {
                redact_value(value)
            };
            (key.clone(), shown)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_lists_and_nested_secrets_are_hidden() {
        assert_eq!(
            redact_list("nats://a:pw@h1:1, nats://b:pw@h2:2"),
            "nats://a:***@h1:1,nats://b:***@h2:2"
        );
        let shown =
            redact_value(&serde_json::json!([{ "nested": { "api_key": "k" } }, "tls://t@h"]));
        assert_eq!(
            shown,
            serde_json::json!([{ "nested": { "api_key": REDACTED } }, "tls://***@h"])
        );
    }

    #[test]
    fn a_configuration_file_shows_neither_its_text_nor_its_secrets() {
        let text = "[backends.nats]\nurl = \"nats://u:hunter2@h:4222\"\n[backends.nats.auth]\ntoken = \"hunter2\"\n\n[store]\nurl = \"nats://u:hunter2@h:4222\"\n";
        let file = crate::config::ConfigFile::parse("nadoo.toml", text).expect("valid");
        let shown = format!("{file:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("nadoo.toml"), "{shown}");
    }
}
