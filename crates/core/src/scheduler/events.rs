//! What a run reports while it proceeds.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::context::{NodeStatus, WorkflowStatus};
use crate::node_id::NodeId;

/// One thing that happened in a run, sent as it happens to the sender given with
/// [`RunOptions::events`](super::RunOptions::events).
///
/// For each node execution the order is: `NodeStarted`, then any number of
/// `NodeRetried` + `NodeStarted` pairs, then `NodeFinished` or `NodeFailed`. A node that does
/// not run because its route was not taken gets one `NodeSkipped`. `WorkflowFinished` is last.
///
/// Serialized with an `event` tag, ready for server-sent events:
/// `{"event":"node_skipped","node":"b"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunEvent {
    /// An attempt of a node started.
    NodeStarted {
        /// The node.
        node: NodeId,
        /// The attempt, counting from 1.
        attempt: u32,
    },
    /// An attempt failed and the node will be tried again after `delay`.
    NodeRetried {
        /// The node.
        node: NodeId,
        /// The attempt that comes next.
        attempt: u32,
        /// Why the previous attempt failed.
        error: String,
        /// How long the scheduler waits before it.
        delay: Duration,
    },
    /// A node finished with success, or by interrupting the run.
    NodeFinished {
        /// The node.
        node: NodeId,
        /// `success` or `interrupted`.
        status: NodeStatus,
        /// How long all attempts took.
        duration: Duration,
    },
    /// A node failed for good (after its retries), or was cancelled.
    NodeFailed {
        /// The node.
        node: NodeId,
        /// Why.
        error: String,
    },
    /// A node will not run in this pass: the route leading to it was not taken.
    NodeSkipped {
        /// The node.
        node: NodeId,
    },
    /// The run ended.
    WorkflowFinished {
        /// How it ended.
        status: WorkflowStatus,
        /// Why it failed, if it did.
        error: Option<String>,
    },
}

impl RunEvent {
    /// The node the event is about, if any.
    pub fn node(&self) -> Option<&str> {
        match self {
            RunEvent::NodeStarted { node, .. }
            | RunEvent::NodeRetried { node, .. }
            | RunEvent::NodeFinished { node, .. }
            | RunEvent::NodeFailed { node, .. }
            | RunEvent::NodeSkipped { node } => Some(node),
            RunEvent::WorkflowFinished { .. } => None,
        }
    }
}
