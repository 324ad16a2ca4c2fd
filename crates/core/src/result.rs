//! What a node returns.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The outcome of one node execution.
///
/// Besides success and output, a result steers the run: a `route` key selects one of the
/// node's `routes`, `next` overrides the node's static successors, and `interrupt` stops the
/// run so that a person can answer. A node changes the workflow's globals only through
/// `globals` here.
///
/// ```
/// use nadoo_flow_core::NodeResult;
/// use serde_json::json;
///
/// let result = NodeResult::ok(json!({"score": 0.4}))
///     .with_route("again")
///     .with_global("attempts", json!(2));
/// assert!(result.success);
/// assert_eq!(result.route.as_deref(), Some("again"));
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NodeResult {
    /// Whether the node succeeded.
    pub success: bool,
    /// The node's output; an object by convention.
    pub output: Value,
    /// Route key: selects the target in the node's `routes`.
    pub route: Option<String>,
    /// Explicit next node id; wins over the node's static `next`.
    pub next: Option<String>,
    /// Stop the run as `interrupted`, to be resumed with outside input.
    pub interrupt: bool,
    /// Why the node failed.
    pub error: Option<String>,
    /// Global variables to set when the node finishes.
    pub globals: Map<String, Value>,
    /// Free-form data about the execution.
    pub metadata: Map<String, Value>,
}

impl NodeResult {
    /// A successful result with `output`.
    pub fn ok(output: Value) -> Self {
        NodeResult {
            success: true,
            output,
            ..NodeResult::default()
        }
    }

    /// A failed result with `error` as its reason.
    pub fn failed(error: impl Into<String>) -> Self {
        NodeResult {
            success: false,
            output: Value::Object(Map::new()),
            error: Some(error.into()),
            ..NodeResult::default()
        }
    }

    /// This result with a route key.
    #[must_use]
    pub fn with_route(mut self, route: impl Into<String>) -> Self {
        self.route = Some(route.into());
        self
    }

    /// This result with an explicit next node.
    #[must_use]
    pub fn with_next(mut self, node_id: impl Into<String>) -> Self {
        self.next = Some(node_id.into());
        self
    }

    /// This result asking the run to stop and wait for input.
    #[must_use]
    pub fn interrupted(mut self) -> Self {
        self.interrupt = true;
        self
    }

    /// This result setting global `key` to `value` when the node finishes.
    #[must_use]
    pub fn with_global(mut self, key: impl Into<String>, value: Value) -> Self {
        self.globals.insert(key.into(), value);
        self
    }
}
