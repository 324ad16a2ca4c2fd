//! The configuration a node was made from, kept small.
//!
//! A node made from a registered kind keeps the configuration it was made from, for remote
//! workers, caching keys and the TOML form. Kept as a `serde_json::Value`, even one key costs
//! two B-tree nodes of ~630 bytes each, more than the node itself; in a 10 000-node workflow
//! that is most of the memory. So the configuration is kept as compact JSON text and read
//! back into a value the first time someone asks for it.

use std::fmt;
use std::sync::OnceLock;

use serde_json::Value;

/// Deepest nesting kept as text: `serde_json` reads back at most 128 levels.
const MAX_TEXT_DEPTH: usize = 100;

/// A node's configuration: absent (`null`), JSON text read back on demand, or the value as
/// it came when text would not read back the same (see `reads_back`).
#[derive(Clone, Default)]
pub(crate) struct KeptConfig(Option<Box<Kept>>);

#[derive(Clone)]
enum Kept {
    Text {
        text: Box<str>,
        value: OnceLock<Value>,
    },
    Value(Value),
}

static NULL: Value = Value::Null;

impl KeptConfig {
    /// Keeps `config` in its smallest faithful form.
    pub(crate) fn new(config: Value) -> KeptConfig {
        if config.is_null() {
            return KeptConfig(None);
        }
        let text = reads_back(&config, 0).then(|| serde_json::to_string(&config));
        let kept = match text {
            Some(Ok(text)) => Kept::Text {
                text: text.into_boxed_str(),
                value: OnceLock::new(),
            },
            _ => Kept::Value(config),
        };
        KeptConfig(Some(Box::new(kept)))
    }

    /// The configuration as a value, read from its text the first time.
    pub(crate) fn value(&self) -> &Value {
        match self.0.as_deref() {
            None => &NULL,
            Some(Kept::Value(value)) => value,
            Some(Kept::Text { text, value }) => value.get_or_init(|| {
                // The text was written from a value that reads back (`reads_back`).
                serde_json::from_str(text).unwrap_or(Value::Null)
            }),
        }
    }

    /// The configuration as compact JSON text, when it is kept as text.
    pub(crate) fn text(&self) -> Option<&str> {
        match self.0.as_deref() {
            Some(Kept::Text { text, .. }) => Some(text),
            _ => None,
        }
    }
}

impl fmt::Debug for KeptConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.text() {
            Some(text) => f.write_str(text),
            None => fmt::Debug::fmt(self.value(), f),
        }
    }
}

/// Whether `value` written as JSON text reads back as the same value: it nests no deeper than
/// `MAX_TEXT_DEPTH`, and holds no floating-point number (`serde_json` reads some of those back
/// one unit in the last place off).
fn reads_back(value: &Value, level: usize) -> bool {
    match value {
        Value::Number(number) => !number.is_f64(),
        Value::Array(items) => {
            level < MAX_TEXT_DEPTH && items.iter().all(|item| reads_back(item, level + 1))
        }
        Value::Object(map) => {
            level < MAX_TEXT_DEPTH && map.values().all(|item| reads_back(item, level + 1))
        }
        Value::Null | Value::Bool(_) | Value::String(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn configurations_read_back_as_given() {
        for config in [
            json!({}),
            json!({ "values": { "step": 1 }, "globals": {} }),
            json!({ "big": u64::MAX, "neg": i64::MIN, "s": "é\n\"", "t": true, "n": null }),
            json!([1, [2, [3]]]),
            json!("text"),
        ] {
            let kept = KeptConfig::new(config.clone());
            assert!(kept.text().is_some(), "{config}");
            assert_eq!(kept.value(), &config);
            assert_eq!(kept.clone().value(), &config);
        }
        assert_eq!(KeptConfig::new(Value::Null).value(), &Value::Null);
        assert_eq!(KeptConfig::default().value(), &Value::Null);
    }

    #[test]
    fn a_configuration_text_would_change_is_kept_as_a_value() {
        // Read back from text by the default parser, this float is one unit off.
        let float = json!({ "x": 1.071_566_039_146_582_6e-75 });
        let kept = KeptConfig::new(float.clone());
        assert!(kept.text().is_none());
        assert_eq!(kept.value(), &float);

        let mut deep = json!(1);
        for _ in 0..200 {
            deep = json!([deep]);
        }
        let kept = KeptConfig::new(deep.clone());
        assert!(kept.text().is_none());
        assert_eq!(kept.value(), &deep);

        let mut shallow = json!(1);
        for _ in 0..MAX_TEXT_DEPTH {
            shallow = json!({ "k": shallow });
        }
        let kept = KeptConfig::new(shallow.clone());
        assert!(kept.text().is_some());
        assert_eq!(kept.value(), &shallow);
    }

    #[test]
    fn debug_shows_the_configuration() {
        let kept = KeptConfig::new(json!({ "text": "hi" }));
        assert_eq!(format!("{kept:?}"), r#"{"text":"hi"}"#);
    }
}
