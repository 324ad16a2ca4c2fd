//! The serializable state of an interrupted run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where an interrupted run stopped: the nodes that interrupted it, and every node that was
/// ready or half-joined. Part of the [`WorkflowContext`](crate::WorkflowContext) of an
/// interrupted run, so that the context can be stored (as JSON, say) and resumed later, in
/// another process, with [`Backend::resume`](crate::Backend::resume).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The workflow's name and node ids, to refuse resuming on another workflow.
    pub(crate) workflow: String,
    pub(crate) node_ids: Vec<String>,
    /// The nodes that interrupted the run; they run again on resume.
    pub(crate) interrupted: Vec<PendingNode>,
    /// Nodes that were ready to run when the run stopped.
    pub(crate) ready: Vec<PendingNode>,
    /// Nodes waiting for more of their predecessors.
    pub(crate) joins: Vec<JoinState>,
    /// Loop exits not taken so far: (node, edge position).
    pub(crate) deferred: Vec<(String, usize)>,
    /// Nodes that have run (or been skipped) at least once.
    pub(crate) fired: Vec<String>,
    /// Who wrote each global last: (iteration, rank).
    pub(crate) stamps: BTreeMap<String, (u32, u32)>,
    /// Node executions so far.
    pub(crate) steps: usize,
}

impl Checkpoint {
    /// The ids of the nodes that interrupted the run.
    pub fn interrupted(&self) -> impl Iterator<Item = &str> {
        self.interrupted.iter().map(|p| p.node.as_str())
    }
}

/// A node that will run on resume, with the outputs it was activated with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PendingNode {
    pub(crate) node: String,
    pub(crate) inputs: BTreeMap<String, Value>,
    pub(crate) epoch: u32,
}

/// A join with some of its incoming edges resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct JoinState {
    pub(crate) node: String,
    pub(crate) resolved: u32,
    pub(crate) inputs: BTreeMap<String, Value>,
    pub(crate) epoch: u32,
}
