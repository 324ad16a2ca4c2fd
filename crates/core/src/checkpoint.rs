//! The serializable state of an interrupted run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where an interrupted run stopped: the nodes that interrupted it, and every node that was
/// ready or half-joined. Part of the [`WorkflowContext`](crate::WorkflowContext) of an
/// interrupted run, so that the context can be stored (as JSON, say) and resumed later, in
/// another process, with [`Backend::resume`](crate::Backend::resume).
///
/// A checkpoint carries the [fingerprint](crate::Workflow::fingerprint) and shape of its
/// workflow: resuming it on a workflow whose nodes or edges differ is refused with an error
/// that names what changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The workflow's name.
    pub(crate) workflow: String,
    /// [`Workflow::fingerprint`](crate::Workflow::fingerprint) of the workflow.
    pub(crate) fingerprint: u64,
    /// The workflow's nodes and edges, to say what changed when the fingerprint differs.
    pub(crate) shape: Vec<NodeShape>,
    /// The nodes that interrupted the run; they run again on resume.
    pub(crate) interrupted: Vec<PendingNode>,
    /// Nodes that were ready to run when the run stopped.
    pub(crate) ready: Vec<PendingNode>,
    /// Nodes waiting for more of their predecessors.
    pub(crate) joins: Vec<JoinState>,
    /// Loop exits not taken so far: (node, edge position).
    pub(crate) deferred: Vec<(String, usize)>,
    /// Loop exits taken in some iteration: (node, edge position).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) exits_taken: Vec<(String, usize)>,
    /// Iterations of loops entered so far, past the first: (a node of the loop, iteration).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) live: Vec<(String, u32)>,
    /// Nodes skipped in iterations not entered (yet): (node, iteration).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) dormant: Vec<(String, u32)>,
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

    /// [`Workflow::fingerprint`](crate::Workflow::fingerprint) of the workflow the
    /// checkpoint was taken on.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}

/// A node that will run on resume, with the outputs it was activated with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PendingNode {
    pub(crate) node: String,
    pub(crate) inputs: BTreeMap<String, Value>,
    pub(crate) iteration: u32,
}

/// A join with some of its incoming edges of one iteration resolved: one group of inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct JoinState {
    pub(crate) node: String,
    pub(crate) iteration: u32,
    pub(crate) resolved: u32,
    /// The incoming edges taken so far: (slot, source, output).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) taken: Vec<(usize, String, Value)>,
    /// The incoming edges skipped so far: (slot, source).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) skipped: Vec<(usize, String)>,
}

/// One node as far as routing is concerned: its id, role and edges, in a canonical order
/// (successors sorted), so that writing `next` in another order gives the same shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct NodeShape {
    pub(crate) id: String,
    pub(crate) role: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) next: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) routes: BTreeMap<String, String>,
}
