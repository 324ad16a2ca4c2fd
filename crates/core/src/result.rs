//! What a node returns.

use std::any::Any;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::context::NodeStatus;
use crate::error::BoxError;

/// The text of a panic payload: the `&str` or `String` given to `panic!`.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-string panic payload")
}

/// The outcome of one node execution: it succeeded with an output, failed with a reason, or
/// interrupted the run with an output (a question for a person, say).
///
/// A result also steers the run: a `route` key selects one of the node's `routes`, `next`
/// overrides the node's static successors, and `globals` are written when the node finishes
/// (a node changes the workflow's globals only this way). Most results carry none of that,
/// so it lives out of line: a result is three words and an output.
///
/// ```
/// use nadoo_flow_core::{NodeResult, NodeStatus};
/// use serde_json::json;
///
/// let result = NodeResult::ok(json!({"score": 0.4}))
///     .with_route("again")
///     .with_global("attempts", json!(2));
/// assert!(result.is_success());
/// assert_eq!(result.route(), Some("again"));
/// assert_eq!(result.globals()["attempts"], 2);
///
/// let failed = NodeResult::failed("quota exceeded");
/// assert_eq!(failed.status(), NodeStatus::Failed);
/// assert_eq!(failed.error(), Some("quota exceeded"));
///
/// let asking = NodeResult::ok(json!({"prompt": "publish?"})).interrupted();
/// assert_eq!(asking.status(), NodeStatus::Interrupted);
/// ```
///
/// On the wire (between a coordinator and its workers) a result is the JSON object
/// `{success, output, route, next, interrupt, error, globals, metadata}`, every key optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "Wire", into = "Wire")]
pub struct NodeResult {
    status: Status,
    output: Value,
    steering: Option<Box<Steering>>,
}

/// How the execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Success,
    Failed,
    Interrupted,
}

/// The parts of a result most nodes leave unset.
#[derive(Debug, Clone, PartialEq, Default)]
struct Steering {
    route: Option<String>,
    next: Option<String>,
    error: Option<String>,
    globals: Map<String, Value>,
    metadata: Map<String, Value>,
}

impl Default for NodeResult {
    /// A success with an empty object as output.
    fn default() -> Self {
        NodeResult::ok(Value::Object(Map::new()))
    }
}

/// What [`NodeResult::globals`] and [`NodeResult::metadata`] show when unset.
static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl NodeResult {
    /// A successful result with `output`.
    pub fn ok(output: Value) -> Self {
        NodeResult {
            status: Status::Success,
            output,
            steering: None,
        }
    }

    /// What a node's code returned, as its result: an `Err` is a failure with the error's
    /// message as its reason.
    ///
    /// ```
    /// use nadoo_flow_core::{BoxError, NodeResult};
    ///
    /// let failed = NodeResult::from_outcome(Err(BoxError::from("quota exceeded")));
    /// assert_eq!(failed.error(), Some("quota exceeded"));
    /// assert!(NodeResult::from_outcome(Ok(NodeResult::default())).is_success());
    /// ```
    pub fn from_outcome(outcome: std::result::Result<NodeResult, BoxError>) -> Self {
        outcome.unwrap_or_else(|error| NodeResult::failed(error.to_string()))
    }

    /// The failure of a node whose code panicked with `payload`: `panicked: ` and the text
    /// given to `panic!`.
    ///
    /// ```
    /// use nadoo_flow_core::NodeResult;
    ///
    /// let payload = std::panic::catch_unwind(|| panic!("boom")).unwrap_err();
    /// assert_eq!(NodeResult::panicked(payload.as_ref()).error(), Some("panicked: boom"));
    /// ```
    pub fn panicked(payload: &(dyn Any + Send)) -> Self {
        NodeResult::failed(format!("panicked: {}", panic_message(payload)))
    }

    /// A failed result with `error` as its reason.
    pub fn failed(error: impl Into<String>) -> Self {
        NodeResult {
            status: Status::Failed,
            output: Value::Object(Map::new()),
            steering: Some(Box::new(Steering {
                error: Some(error.into()),
                ..Steering::default()
            })),
        }
    }

    fn steering_mut(&mut self) -> &mut Steering {
        self.steering.get_or_insert_with(Box::default)
    }

    /// This result with a route key.
    #[must_use]
    pub fn with_route(mut self, route: impl Into<String>) -> Self {
        self.steering_mut().route = Some(route.into());
        self
    }

    /// This result with an explicit next node: one of the node's `next` successors or route
    /// targets.
    #[must_use]
    pub fn with_next(mut self, node_id: impl Into<String>) -> Self {
        self.steering_mut().next = Some(node_id.into());
        self
    }

    /// This successful result turned into one that stops the run to wait for input; its
    /// output stays (the question, say). A failed result stays failed.
    #[must_use]
    pub fn interrupted(mut self) -> Self {
        if self.status == Status::Success {
            self.status = Status::Interrupted;
        }
        self
    }

    /// This result setting global `key` to `value` when the node finishes.
    #[must_use]
    pub fn with_global(mut self, key: impl Into<String>, value: Value) -> Self {
        self.steering_mut().globals.insert(key.into(), value);
        self
    }

    /// This result setting every global in `globals` when the node finishes.
    #[must_use]
    pub fn with_globals(mut self, globals: Map<String, Value>) -> Self {
        if !globals.is_empty() {
            self.steering_mut().globals.extend(globals);
        }
        self
    }

    /// This result with free-form data `key` about the execution.
    #[must_use]
    pub fn with_metadata(mut self, key: impl Into<String>, value: Value) -> Self {
        self.steering_mut().metadata.insert(key.into(), value);
        self
    }

    /// How the execution ended: [`NodeStatus::Success`], [`NodeStatus::Failed`] or
    /// [`NodeStatus::Interrupted`].
    pub fn status(&self) -> NodeStatus {
        match self.status {
            Status::Success => NodeStatus::Success,
            Status::Failed => NodeStatus::Failed,
            Status::Interrupted => NodeStatus::Interrupted,
        }
    }

    /// Whether the node succeeded.
    pub fn is_success(&self) -> bool {
        self.status == Status::Success
    }

    /// Whether the node failed.
    pub fn is_failure(&self) -> bool {
        self.status == Status::Failed
    }

    /// Whether the node stops the run to wait for input.
    pub fn is_interrupt(&self) -> bool {
        self.status == Status::Interrupted
    }

    /// The node's output; an object by convention (empty for a failure).
    pub fn output(&self) -> &Value {
        &self.output
    }

    /// The node's output, taken out of the result.
    pub fn into_output(self) -> Value {
        self.output
    }

    /// The route key, if the node chose one.
    pub fn route(&self) -> Option<&str> {
        self.steering.as_ref()?.route.as_deref()
    }

    /// The explicit next node, if the node chose one.
    pub fn next(&self) -> Option<&str> {
        self.steering.as_ref()?.next.as_deref()
    }

    /// Why the node failed.
    pub fn error(&self) -> Option<&str> {
        self.steering.as_ref()?.error.as_deref()
    }

    /// The globals to write when the node finishes.
    pub fn globals(&self) -> &Map<String, Value> {
        self.steering.as_ref().map_or(&EMPTY, |s| &s.globals)
    }

    /// Free-form data about the execution.
    pub fn metadata(&self) -> &Map<String, Value> {
        self.steering.as_ref().map_or(&EMPTY, |s| &s.metadata)
    }

    /// The result's parts, for the scheduler: its output, and what steers the run if
    /// anything does (most results carry nothing there, and then nothing is made or dropped).
    pub(crate) fn into_parts(self) -> (Value, Option<Parts>) {
        let parts = self.steering.map(|s| {
            let Steering {
                route,
                next,
                error: _,
                globals,
                metadata,
            } = *s;
            Parts {
                route,
                next,
                globals,
                metadata,
            }
        });
        (self.output, parts)
    }
}

/// What steers the run, taken out of a result; see [`NodeResult::into_parts`].
pub(crate) struct Parts {
    pub(crate) route: Option<String>,
    pub(crate) next: Option<String>,
    pub(crate) globals: Map<String, Value>,
    pub(crate) metadata: Map<String, Value>,
}

/// The serialized form of a [`NodeResult`].
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
struct Wire {
    success: bool,
    output: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    route: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    interrupt: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    globals: Map<String, Value>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    metadata: Map<String, Value>,
}

impl From<Wire> for NodeResult {
    /// `success: false` is a failure whatever else is set; `interrupt` counts only on success.
    fn from(wire: Wire) -> Self {
        let status = match (wire.success, wire.interrupt) {
            (false, _) => Status::Failed,
            (true, true) => Status::Interrupted,
            (true, false) => Status::Success,
        };
        let steering = Steering {
            route: wire.route,
            next: wire.next,
            error: wire.error,
            globals: wire.globals,
            metadata: wire.metadata,
        };
        NodeResult {
            status,
            output: wire.output,
            steering: (steering != Steering::default()).then(|| Box::new(steering)),
        }
    }
}

impl From<NodeResult> for Wire {
    fn from(result: NodeResult) -> Self {
        let steering = result.steering.map(|s| *s).unwrap_or_default();
        Wire {
            success: result.status != Status::Failed,
            output: result.output,
            route: steering.route,
            next: steering.next,
            interrupt: result.status == Status::Interrupted,
            error: steering.error,
            globals: steering.globals,
            metadata: steering.metadata,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_payloads_become_text() {
        let payload: Box<dyn Any + Send> = Box::new("boom");
        assert_eq!(panic_message(payload.as_ref()), "boom");
        let payload: Box<dyn Any + Send> = Box::new(String::from("bang"));
        assert_eq!(panic_message(payload.as_ref()), "bang");
        let payload: Box<dyn Any + Send> = Box::new(7);
        assert_eq!(
            panic_message(payload.as_ref()),
            "a non-string panic payload"
        );
    }

    use serde_json::json;

    #[test]
    fn a_result_is_small() {
        assert!(std::mem::size_of::<NodeResult>() <= 48);
    }

    #[test]
    fn the_wire_form_round_trips_and_keeps_its_keys() {
        let result = NodeResult::ok(json!({"a": 1}))
            .with_route("r")
            .with_global("g", json!(2))
            .interrupted();
        let wire = serde_json::to_value(&result).expect("serializes");
        assert_eq!(
            wire,
            json!({"success": true, "output": {"a": 1}, "route": "r", "interrupt": true,
                   "globals": {"g": 2}})
        );
        let back: NodeResult = serde_json::from_value(wire).expect("deserializes");
        assert_eq!(back, result);
    }

    #[test]
    fn a_failure_on_the_wire_stays_a_failure_whatever_else_it_says() {
        let back: NodeResult =
            serde_json::from_value(json!({"success": false, "interrupt": true})).expect("reads");
        assert!(back.is_failure());
        assert_eq!(back.error(), None);
        let empty: NodeResult = serde_json::from_value(json!({})).expect("reads");
        assert!(empty.is_failure());
    }
}
