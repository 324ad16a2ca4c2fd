//! What crosses the wire: a task for a worker, and its result for the coordinator.

use nadoo_flow_core::{NodeContext, NodeEvent, NodeResult};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One node execution handed to a worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Task {
    /// Unique per publication; also the JetStream message id, so a retried publish is
    /// stored once.
    pub(crate) task_id: String,
    pub(crate) workflow_id: String,
    pub(crate) node_id: String,
    pub(crate) attempt: u32,
    pub(crate) kind: String,
    pub(crate) config: Value,
    pub(crate) context: NodeContext,
    /// Where the result goes: this coordinator's subject under `<subject_prefix>.results`.
    pub(crate) reply: String,
    /// When nobody waits for the result any more (milliseconds since the Unix epoch): the
    /// worker stops the node then, even if the coordinator's cancellation did not reach it.
    #[serde(default)]
    pub(crate) deadline_ms: Option<u64>,
    /// Whether the coordinator listens to the node's own events: the worker records them
    /// and sends them with the result.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) events: bool,
}

/// A worker's answer to a task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TaskResult {
    pub(crate) task_id: String,
    pub(crate) result: NodeResult,
    /// The events the node emitted, in order, when the task asked for them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) events: Vec<NodeEvent>,
}

/// Reads a task from bytes of the network.
pub(crate) fn decode_task(bytes: &[u8]) -> Result<Task, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// Reads a message of the result stream: the results of one or more tasks.
pub(crate) fn decode_results(bytes: &[u8]) -> Result<Vec<TaskResult>, serde_json::Error> {
    serde_json::from_slice(bytes)
}
