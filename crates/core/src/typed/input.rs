//! A node's input read as a typed value, in place.
//!
//! A typed node sees its input as [`NodeInput::to_value`] shows it: one flat object of the
//! globals, each predecessor's output under its id, and `previous_output` when exactly one
//! predecessor ran. [`InputView`] presents that object to serde without building it, so a
//! typed input costs one deserialization and no copy of the input.

use serde::de::value::MapDeserializer;
use serde::de::{self, DeserializeOwned, Visitor};
use serde_json::Value;

use crate::context::NodeInput;

/// The input as a deserializer: a map, in the precedence of [`NodeInput::get`].
#[derive(Clone, Copy)]
pub(crate) struct InputView<'a> {
    input: &'a NodeInput,
}

/// The key under which the single predecessor's output also appears.
const PREVIOUS_OUTPUT: &str = "previous_output";

impl<'a> InputView<'a> {
    pub(crate) fn new(input: &'a NodeInput) -> Self {
        InputView { input }
    }

    /// Every key of the flat input once, with the value [`NodeInput::get`] gives for it.
    fn entries(self) -> impl Iterator<Item = (&'a str, &'a Value)> {
        let input = self.input;
        let previous = input.previous_output();
        let shadowed_by_previous = move |key: &str| previous.is_some() && key == PREVIOUS_OUTPUT;
        let outputs = input
            .outputs
            .iter()
            .map(|(id, output)| (id.as_str(), output))
            .filter(move |(id, _)| !shadowed_by_previous(id));
        let globals = input
            .globals
            .iter()
            .map(|(key, value)| (key.as_str(), value))
            .filter(move |(key, _)| !shadowed_by_previous(key) && !input.outputs.contains_key(key));
        previous
            .map(|output| (PREVIOUS_OUTPUT, output))
            .into_iter()
            .chain(outputs)
            .chain(globals)
    }
}

impl<'de> de::Deserializer<'de> for InputView<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        let mut map = MapDeserializer::new(self.entries());
        let value = visitor.visit_map(&mut map)?;
        map.end()?;
        Ok(value)
    }

    /// A node that ignores its input takes `()`.
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    /// There is always an input: `Option<T>` is `Some`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    /// `struct Input(Fields)` reads the input as `Fields`.
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        seq tuple tuple_struct map struct enum identifier
    }
}

/// Why an input could not be read: the dotted path of the offending field (`None` when the
/// input as a whole is wrong) and serde's message.
pub(crate) struct Invalid {
    pub(crate) field: Option<String>,
    pub(crate) message: String,
}

/// `input` read as a `T`. The common case costs one pass; the path of an offending field is
/// worked out only on failure, by reading again.
pub(crate) fn read<T: DeserializeOwned>(input: &NodeInput) -> Result<T, Invalid> {
    if let Ok(typed) = T::deserialize(InputView::new(input)) {
        return Ok(typed);
    }
    match serde_path_to_error::deserialize::<_, T>(InputView::new(input)) {
        Ok(typed) => Ok(typed),
        Err(e) => {
            let path = e.path().to_string();
            Err(Invalid {
                field: (path != ".").then_some(path),
                message: e.into_inner().to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use serde::Deserialize;
    use serde_json::{Map, json};

    use super::*;
    use crate::context::Outputs;

    fn input(globals: Value, outputs: &[(&str, Value)]) -> NodeInput {
        let Value::Object(globals) = globals else {
            panic!("globals are an object")
        };
        NodeInput {
            globals: Arc::new(globals),
            outputs: outputs
                .iter()
                .map(|(id, output)| ((*id).into(), output.clone()))
                .collect::<Outputs>(),
        }
    }

    /// Whatever the shape, the view reads as `NodeInput::to_value` shows the input.
    #[test]
    fn the_view_is_the_flat_input() {
        let cases = [
            input(json!({ "a": 1, "b": 2 }), &[]),
            input(
                json!({ "a": 1, "draft": 0 }),
                &[("draft", json!({ "text": "t" }))],
            ),
            input(
                json!({ "previous_output": 9, "x": 1 }),
                &[("p", json!({ "n": 1 })), ("q", json!({ "n": 2 }))],
            ),
            input(
                json!({ "previous_output": 9 }),
                &[("previous_output", json!(1))],
            ),
            input(json!({ "previous_output": 9 }), &[("p", json!(3))]),
        ];
        for case in cases {
            let viewed: Value = read(&case).unwrap_or_else(|e| panic!("{}", e.message));
            assert_eq!(viewed, case.to_value());
            let map: BTreeMap<String, Value> =
                read(&case).unwrap_or_else(|e| panic!("{}", e.message));
            assert_eq!(
                Value::Object(map.into_iter().collect::<Map<_, _>>()),
                case.to_value()
            );
        }
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Draft {
        text: String,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Needs {
        topic: String,
        draft: Draft,
    }

    #[test]
    fn fields_come_from_globals_and_outputs_and_errors_name_them() {
        let good = input(
            json!({ "topic": "rust" }),
            &[("draft", json!({ "text": "t" }))],
        );
        let needs: Needs = read(&good).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(needs.draft.text, "t");
        assert_eq!(needs.topic, "rust");

        let bad = input(
            json!({ "topic": "rust" }),
            &[("draft", json!({ "text": 5 }))],
        );
        let invalid = read::<Needs>(&bad).expect_err("a number is not text");
        assert_eq!(invalid.field.as_deref(), Some("draft.text"));
        assert!(
            invalid.message.contains("expected a string"),
            "{}",
            invalid.message
        );

        let missing = read::<Needs>(&input(json!({}), &[])).expect_err("no topic");
        assert_eq!(missing.field, None);
        assert!(
            missing.message.contains("missing field `topic`"),
            "{}",
            missing.message
        );
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Wrapped(Draft);

    #[test]
    fn unit_option_and_newtype_inputs_read() {
        let case = input(json!({ "text": "t" }), &[]);
        read::<()>(&case).unwrap_or_else(|e| panic!("{}", e.message));
        let some: Option<Draft> = read(&case).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(some.map(|d| d.text).as_deref(), Some("t"));
        let wrapped: Wrapped = read(&case).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(wrapped.0.text, "t");
        assert!(read::<Vec<Value>>(&case).is_err());
    }
}
