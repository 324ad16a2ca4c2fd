//! Nodes written as typed functions: the input read into a `Deserialize` type, the output
//! written from a `Serialize` one.
//!
//! `#[node("kind")]` on an `async fn(input: In) -> Result<Out, E>` (or
//! `async fn(input: In, config: Cfg)`, either with a last argument `ctx: &NodeContext`) and
//! [`NodeSpec::from_fn`](crate::NodeSpec::from_fn) both run through here:
//!
//! - the input is the flat object [`NodeInput::to_value`](crate::NodeInput::to_value)
//!   shows: the globals, each predecessor's output under its id, and `previous_output` when
//!   exactly one predecessor ran. It is read in place, not copied. Take `()` to ignore it, or
//!   `serde_json::Map<String, Value>` for all of it. Unknown fields of an input are normal
//!   (every global is there), so input types should not deny them;
//! - a field that does not read is the node's failure, naming the node, the field and the kind
//!   ([`TypedNodeError::Input`]);
//! - the output becomes the node's output object. A value that serializes to an object is the
//!   output as it is; `()` (or anything that serializes to `null`) is the empty object `{}`;
//!   anything else (a number, a string, an array) is wrapped as `{ "value": ... }`, so that
//!   later nodes and templates find it at `<node>.value`;
//! - the function's error is the node's failure, with the error's message.

mod fn_node;
mod input;

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::context::NodeContext;
use crate::error::BoxError;
use crate::result::NodeResult;

pub(crate) use self::fn_node::FnNode;

/// Why a typed node could not read its input or write its output. It is the node's failure;
/// the text names the node, its kind and, for an input, the offending field.
///
/// ```
/// use nadoo_flow_core::TypedNodeError;
///
/// let err = TypedNodeError::Input {
///     node: "count".into(),
///     kind: "word-count".into(),
///     field: Some("text".into()),
///     message: "invalid type: integer `5`, expected a string".into(),
/// };
/// assert_eq!(
///     err.to_string(),
///     "node `count` (kind `word-count`): input field `text`: invalid type: integer `5`, expected a string"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TypedNodeError {
    /// The input does not read as the function's input type.
    #[error("node `{node}` (kind `{kind}`): {}{message}", Field(field))]
    Input {
        /// The node's id.
        node: String,
        /// The node's kind.
        kind: String,
        /// The offending field as a dotted path (`draft.text`), when one field is at fault.
        field: Option<String>,
        /// What is wrong with it, in serde's words.
        message: String,
    },
    /// The function's output does not serialize to JSON (a map with non-text keys, say).
    #[error("node `{node}` (kind `{kind}`): cannot write the output: {message}")]
    Output {
        /// The node's id.
        node: String,
        /// The node's kind.
        kind: String,
        /// What is wrong with it, in serde's words.
        message: String,
    },
}

struct Field<'a>(&'a Option<String>);

impl fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(field) => write!(f, "input field `{field}`: "),
            None => f.write_str("input: "),
        }
    }
}

/// Reads the input of the node running in `context`, of kind `kind`, as a `T`.
pub(crate) fn read_input<T: DeserializeOwned>(
    kind: &str,
    context: &NodeContext,
) -> Result<T, TypedNodeError> {
    input::read(&context.input).map_err(|invalid| TypedNodeError::Input {
        node: context.node_id.to_string(),
        kind: kind.to_owned(),
        field: invalid.field,
        message: invalid.message,
    })
}

/// The successful result of a node whose function returned `output`: see the module docs for
/// how a value that is not an object is kept.
pub(crate) fn write_output<T: Serialize + ?Sized>(
    kind: &str,
    context: &NodeContext,
    output: &T,
) -> Result<NodeResult, TypedNodeError> {
    let value = serde_json::to_value(output).map_err(|e| TypedNodeError::Output {
        node: context.node_id.to_string(),
        kind: kind.to_owned(),
        message: e.to_string(),
    })?;
    Ok(NodeResult::ok(as_output(value)))
}

/// `value` as a node's output object: objects as they are, `null` as `{}`, anything else
/// under `"value"`.
fn as_output(value: Value) -> Value {
    match value {
        Value::Object(_) => value,
        Value::Null => Value::Object(Map::new()),
        other => {
            let mut object = Map::with_capacity(1);
            object.insert("value".to_owned(), other);
            Value::Object(object)
        }
    }
}

/// What generated code checks and calls, with messages that say what a node function needs.
/// Not public API. Used by generated code.
pub mod private {
    use super::*;

    /// Not public API. Used by generated code: the input type of a node function.
    #[diagnostic::on_unimplemented(
        message = "the input of a #[node] function must implement `Deserialize`, and `{Self}` does not",
        label = "the node's input is read into this type",
        note = "derive `serde::Deserialize` for `{Self}` (the input holds the globals and the outputs of the node's predecessors)"
    )]
    pub trait FnInput: DeserializeOwned {}
    impl<T: DeserializeOwned> FnInput for T {}

    /// Not public API. Used by generated code: the output type of a node function.
    #[diagnostic::on_unimplemented(
        message = "the output of a #[node] function must implement `Serialize`, and `{Self}` does not",
        label = "the node's output is written from this type",
        note = "derive `serde::Serialize` for `{Self}`"
    )]
    pub trait FnOutput: Serialize {}
    impl<T: Serialize + ?Sized> FnOutput for T {}

    /// Not public API. Used by generated code: the error type of a node function.
    #[diagnostic::on_unimplemented(
        message = "the error of a #[node] function must convert into `BoxError`, and `{Self}` does not",
        label = "the node fails with this error",
        note = "use a type implementing `std::error::Error + Send + Sync`, a `String`, or `anyhow::Error`"
    )]
    pub trait FnError: Into<BoxError> {}
    impl<E: Into<BoxError>> FnError for E {}

    /// Not public API. Used by generated code: a config taken by value.
    #[diagnostic::on_unimplemented(
        message = "a #[node] function that takes its config by value gets a clone for every execution, and `{Self}` is not `Clone`",
        label = "derive `Clone` for this type, or take the config as `&{Self}`"
    )]
    pub trait FnConfigByValue: Clone {}
    impl<T: Clone> FnConfigByValue for T {}

    /// Not public API. Used by generated code: the config for one execution.
    pub fn config_by_value<T: FnConfigByValue>(config: &T) -> T {
        config.clone()
    }

    /// Not public API. Used by generated code: the node's input, read as `T`.
    pub fn read_input<T: FnInput>(kind: &str, context: &NodeContext) -> Result<T, BoxError> {
        Ok(super::read_input(kind, context)?)
    }

    /// Not public API. Used by generated code: the function's error as the node's failure.
    pub fn fail<T, E: FnError>(result: Result<T, E>) -> Result<T, BoxError> {
        result.map_err(Into::into)
    }

    /// Not public API. Used by generated code: the node's result for `output`.
    pub fn write_output<T: FnOutput>(
        kind: &str,
        context: &NodeContext,
        output: &T,
    ) -> Result<NodeResult, BoxError> {
        Ok(super::write_output(kind, context, output)?)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn outputs_are_objects() {
        assert_eq!(as_output(json!({ "n": 1 })), json!({ "n": 1 }));
        assert_eq!(as_output(json!(null)), json!({}));
        assert_eq!(as_output(json!(3)), json!({ "value": 3 }));
        assert_eq!(as_output(json!("t")), json!({ "value": "t" }));
        assert_eq!(as_output(json!([1, 2])), json!({ "value": [1, 2] }));
    }

    #[test]
    fn an_output_that_does_not_serialize_names_the_node() {
        let mut bad = std::collections::BTreeMap::new();
        bad.insert(vec![1], 2);
        let context = NodeContext::new("count", Default::default());
        let err = write_output("word-count", &context, &bad).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("node `count` (kind `word-count`): cannot write the output: "),
            "{err}"
        );
    }
}
