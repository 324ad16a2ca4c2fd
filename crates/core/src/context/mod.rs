//! The state of a run: per-node contexts and the workflow context that holds them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use smallvec::SmallVec;

use crate::checkpoint::Checkpoint;
mod emit;
mod node_contexts;

pub(crate) use self::emit::{Emitter, NodeEventSink};
pub use self::emit::{EventRecorder, NodeEvent};
pub use self::node_contexts::NodeContexts;
use crate::node_id::NodeId;

/// The life cycle of one node execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeStatus {
    /// Not started yet.
    #[default]
    Pending,
    /// Running now.
    Running,
    /// Finished with a successful result.
    Success,
    /// Finished with a failure, or could not run.
    Failed,
    /// Not run, because the route that leads to it was not taken.
    Skipped,
    /// Finished by asking the workflow to stop and wait for outside input.
    Interrupted,
}

/// The life cycle of a workflow run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkflowStatus {
    /// Not started yet.
    #[default]
    Pending,
    /// Running now.
    Running,
    /// Every path reached its end.
    Success,
    /// A node failed, or the run could not go on.
    Failed,
    /// A node asked the run to stop and wait for outside input.
    Interrupted,
}

impl WorkflowStatus {
    /// The lowercase name used in output (`"success"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            WorkflowStatus::Pending => "pending",
            WorkflowStatus::Running => "running",
            WorkflowStatus::Success => "success",
            WorkflowStatus::Failed => "failed",
            WorkflowStatus::Interrupted => "interrupted",
        }
    }

    /// The status [`as_str`](Self::as_str) names; `None` for any other text.
    ///
    /// ```
    /// use nadoo_flow_core::WorkflowStatus;
    ///
    /// assert_eq!(WorkflowStatus::from_name("failed"), Some(WorkflowStatus::Failed));
    /// assert_eq!(WorkflowStatus::from_name("done"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        [
            WorkflowStatus::Pending,
            WorkflowStatus::Running,
            WorkflowStatus::Success,
            WorkflowStatus::Failed,
            WorkflowStatus::Interrupted,
        ]
        .into_iter()
        .find(|status| status.as_str() == name)
    }
}

/// The outputs of a node's direct predecessors, by node id, in id order.
///
/// A map in behaviour (`get`, `["id"]`, `keys`, `len`), stored inline for the common case of
/// one predecessor, so that a linear chain of nodes allocates nothing for it.
#[derive(Clone, Default, PartialEq)]
pub struct Outputs(SmallVec<[(NodeId, Value); 1]>);

impl Outputs {
    /// No outputs.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many predecessors' outputs there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn search(&self, id: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(id))
    }

    /// The output of predecessor `id`.
    pub fn get(&self, id: &str) -> Option<&Value> {
        self.search(id).ok().map(|i| &self.0[i].1)
    }

    /// Whether predecessor `id` has an output here.
    pub fn contains_key(&self, id: &str) -> bool {
        self.search(id).is_ok()
    }

    /// Sets predecessor `id`'s output; returns the one it replaces.
    pub fn insert(&mut self, id: impl Into<NodeId>, output: Value) -> Option<Value> {
        let id = id.into();
        match self.search(&id) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, output)),
            Err(i) => {
                self.0.insert(i, (id, output));
                None
            }
        }
    }

    /// Outputs from pairs already in id order with distinct ids, as the scheduler hands them to
    /// a node: no sort, and in the vector they are in.
    pub(crate) fn from_sorted_vec(sorted: Vec<(NodeId, Value)>) -> Self {
        debug_assert!(
            sorted.windows(2).all(|pair| pair[0].0 < pair[1].0),
            "outputs out of id order"
        );
        Outputs(SmallVec::from_vec(sorted))
    }

    /// The output of one predecessor.
    pub(crate) fn one(id: NodeId, output: Value) -> Self {
        Outputs(smallvec::smallvec![(id, output)])
    }

    /// The predecessor ids, in order.
    pub fn keys(&self) -> impl Iterator<Item = &NodeId> {
        self.0.iter().map(|(k, _)| k)
    }

    /// The outputs, in predecessor id order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.0.iter().map(|(_, v)| v)
    }

    /// `(id, output)` pairs, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&NodeId, &Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl std::ops::Index<&str> for Outputs {
    type Output = Value;

    /// The output of predecessor `id`; panics when there is none, like a map's index.
    fn index(&self, id: &str) -> &Value {
        match self.get(id) {
            Some(value) => value,
            None => panic!("no output of predecessor `{id}`"),
        }
    }
}

/// Collects in one sort, so a join of many predecessors costs `n log n`; of two outputs for
/// one id, the later wins.
impl FromIterator<(NodeId, Value)> for Outputs {
    fn from_iter<I: IntoIterator<Item = (NodeId, Value)>>(iter: I) -> Self {
        let mut entries: SmallVec<[(NodeId, Value); 1]> = iter.into_iter().collect();
        if entries.len() < 2 {
            return Outputs(entries);
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut deduped: SmallVec<[(NodeId, Value); 1]> = SmallVec::with_capacity(entries.len());
        for entry in entries {
            match deduped.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => deduped.push(entry),
            }
        }
        Outputs(deduped)
    }
}

impl IntoIterator for Outputs {
    type Item = (NodeId, Value);
    type IntoIter = smallvec::IntoIter<[(NodeId, Value); 1]>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Debug for Outputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Outputs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Outputs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<NodeId, Value>::deserialize(deserializer)?;
        Ok(map.into_iter().collect())
    }
}

/// What a node sees: the workflow's globals, and the outputs of the nodes that led to it.
///
/// Globals are shared between all nodes of a run, never copied per node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeInput {
    /// The workflow's global variables at the time the node started.
    pub globals: Arc<Map<String, Value>>,
    /// The output of each direct predecessor that ran, by node id.
    pub outputs: Outputs,
}

impl NodeInput {
    /// Input with these globals and no predecessor outputs.
    pub fn new(globals: Arc<Map<String, Value>>) -> Self {
        NodeInput {
            globals,
            outputs: Outputs::new(),
        }
    }

    /// The output of the single predecessor, when exactly one ran.
    pub fn previous_output(&self) -> Option<&Value> {
        match self.outputs.len() {
            1 => self.outputs.values().next(),
            _ => None,
        }
    }

    /// Looks `key` up as the Python original's flat input does: `previous_output`, then a
    /// predecessor id, then a global.
    pub fn get(&self, key: &str) -> Option<&Value> {
        if key == "previous_output"
            && let Some(previous) = self.previous_output()
        {
            return Some(previous);
        }
        self.outputs.get(key).or_else(|| self.globals.get(key))
    }

    /// Follows a dotted path (`draft.text`) through [`get`](Self::get) and then object keys
    /// (or array indices).
    pub fn lookup(&self, path: &str) -> Option<&Value> {
        let mut parts = path.split('.');
        let mut value = self.get(parts.next()?)?;
        for part in parts {
            value = match value {
                Value::Object(map) => map.get(part)?,
                Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(value)
    }

    /// The input as one flat JSON object, as the Python original passes it: the globals, each
    /// predecessor's output under its id, and `previous_output` when exactly one predecessor ran.
    pub fn to_value(&self) -> Value {
        let mut map = (*self.globals).clone();
        for (id, output) in self.outputs.iter() {
            map.insert(id.to_string(), output.clone());
        }
        if let Some(previous) = self.previous_output() {
            map.insert("previous_output".to_owned(), previous.clone());
        }
        Value::Object(map)
    }
}

/// The record of one node execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeContext {
    /// The node's id in its workflow.
    pub node_id: NodeId,
    /// Where the execution is in its life cycle.
    pub status: NodeStatus,
    /// What the node was given.
    pub input: NodeInput,
    /// What the node returned, once it succeeded. For a node that runs again because the run
    /// is resumed after it interrupted, the output it interrupted with.
    pub output: Option<Value>,
    /// Why the node failed, once it failed.
    pub error: Option<String>,
    /// Which attempt this is, counting from 1.
    pub attempt: u32,
    /// Which iteration of its loop this execution belongs to: 0 outside loops and in a
    /// loop's first pass, one more each time a route leads back into the loop.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub iteration: u32,
    /// How long the execution took, once it finished.
    pub duration: Option<Duration>,
    /// Free-form data a backend or node attaches to the execution.
    pub metadata: Map<String, Value>,
    /// The input a run was resumed with, for the node that interrupted it; `None` otherwise.
    /// (Boxed: it is rare, and every node's context is kept for the run.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<Box<Value>>,
    /// The id of the durable run this execution belongs to (a run kept in a run store);
    /// `None` for runs that are not kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<Arc<str>>,
    /// Whether other nodes of the run are running or waiting at the same time, and whether
    /// the scheduler gave the execution a task of its own.
    #[serde(skip)]
    placement: Placement,
    /// Where [`emit`](Self::emit) sends the node's own events; nowhere unless someone listens.
    #[serde(skip)]
    emitter: Emitter,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Where a node execution runs, as far as the scheduler decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Placement {
    /// The only node running: inline, in the scheduler's task.
    #[default]
    Alone,
    /// Beside others, in the scheduler's task: a backend may spawn it.
    Shared,
    /// Beside others, on a task of its own the scheduler spawned.
    OwnTask,
}

impl NodeContext {
    /// A pending first attempt of `node_id` with `input`.
    pub fn new(node_id: impl Into<NodeId>, input: NodeInput) -> Self {
        NodeContext {
            node_id: node_id.into(),
            status: NodeStatus::Pending,
            input,
            output: None,
            error: None,
            attempt: 1,
            iteration: 0,
            duration: None,
            metadata: Map::new(),
            resume: None,
            run_id: None,
            placement: Placement::Alone,
            emitter: Emitter::default(),
        }
    }

    /// A key that names this node execution across every attempt and every resume of a
    /// durable run: `run_id/node_id/iteration`. A node with side effects that must not
    /// happen twice (a payment, an e-mail) hands it to the system it calls, which drops
    /// repeats. `None` when the run is not kept in a store.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use nadoo_flow_core::{NodeContext, NodeInput};
    ///
    /// let mut ctx = NodeContext::new("charge", NodeInput::default());
    /// assert_eq!(ctx.idempotency_key(), None);
    /// ctx.run_id = Some(Arc::from("run-7"));
    /// ctx.iteration = 2;
    /// assert_eq!(ctx.idempotency_key().as_deref(), Some("run-7/charge/2"));
    /// ```
    pub fn idempotency_key(&self) -> Option<String> {
        let run_id = self.run_id.as_deref()?;
        Some(format!("{run_id}/{}/{}", self.node_id, self.iteration))
    }

    /// Whether other nodes of the same run are running or waiting while this one runs.
    ///
    /// A backend may run a node on another thread when this is true, and should run it inline
    /// otherwise: spawning buys nothing for a node that runs alone.
    pub fn runs_concurrently(&self) -> bool {
        self.placement != Placement::Alone
    }

    /// Whether the scheduler already runs this execution on a tokio task of its own (see
    /// [`scheduler::run_on_tasks`](crate::scheduler::run_on_tasks)): a backend that runs nodes
    /// in this process need not spawn one.
    pub fn has_own_task(&self) -> bool {
        self.placement == Placement::OwnTask
    }

    pub(crate) fn set_concurrent(&mut self, concurrent: bool) {
        self.placement = if concurrent {
            Placement::Shared
        } else {
            Placement::Alone
        };
    }

    pub(crate) fn set_own_task(&mut self) {
        self.placement = Placement::OwnTask;
    }
}

/// The state of a whole workflow run; what `execute_workflow` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowContext {
    /// Unique id of this run.
    pub workflow_id: String,
    /// Global variables, shared by every node of the run.
    pub globals: Arc<Map<String, Value>>,
    /// The latest execution of each node that ran (or was skipped), looked up by node id.
    pub node_contexts: NodeContexts,
    /// The node ids in the order their executions finished; a node run twice appears twice.
    pub execution_path: Vec<NodeId>,
    /// Where the run is in its life cycle.
    pub status: WorkflowStatus,
    /// Why the run failed, once it failed.
    pub error: Option<String>,
    /// Where an interrupted run stopped; [`Backend::resume`](crate::Backend::resume) continues
    /// from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Checkpoint>,
}

impl Default for WorkflowContext {
    fn default() -> Self {
        Self::new()
    }
}

impl WorkflowContext {
    /// A pending run with a fresh unique id and no globals.
    pub fn new() -> Self {
        WorkflowContext {
            workflow_id: uuid::Uuid::new_v4().to_string(),
            globals: Arc::new(Map::new()),
            node_contexts: NodeContexts::default(),
            execution_path: Vec::new(),
            status: WorkflowStatus::Pending,
            error: None,
            checkpoint: None,
        }
    }

    /// This context with `input` merged into its globals (input keys win).
    ///
    /// ```
    /// use nadoo_flow_core::WorkflowContext;
    /// use serde_json::json;
    ///
    /// let ctx = WorkflowContext::new().with_input(json!({"topic": "rust"}));
    /// assert_eq!(ctx.globals["topic"], "rust");
    /// ```
    #[must_use]
    pub fn with_input(mut self, input: Value) -> Self {
        if let Value::Object(map) = input {
            Arc::make_mut(&mut self.globals).extend(map);
        }
        self
    }

    /// The output of the latest execution of `node_id`, if it succeeded.
    pub fn output(&self, node_id: &str) -> Option<&Value> {
        self.node_contexts.get(node_id)?.output.as_ref()
    }

    /// Every node's latest output, by node id, for reports such as `run --json`.
    pub fn outputs(&self) -> BTreeMap<&str, &Value> {
        self.node_contexts
            .iter()
            .filter_map(|(id, ctx)| Some((id.as_str(), ctx.output.as_ref()?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input() -> NodeInput {
        let mut globals = Map::new();
        globals.insert("topic".into(), json!("rust"));
        let mut input = NodeInput::new(Arc::new(globals));
        input
            .outputs
            .insert("draft", json!({"text": "hi", "tags": ["a", "b"]}));
        input
    }

    #[test]
    fn lookup_follows_dotted_paths() {
        let input = input();
        assert_eq!(input.lookup("topic"), Some(&json!("rust")));
        assert_eq!(input.lookup("draft.text"), Some(&json!("hi")));
        assert_eq!(input.lookup("draft.tags.1"), Some(&json!("b")));
        assert_eq!(input.lookup("previous_output.text"), Some(&json!("hi")));
        assert_eq!(input.lookup("draft.missing"), None);
        assert_eq!(input.lookup("nothing"), None);
    }

    #[test]
    fn previous_output_needs_exactly_one_predecessor() {
        let mut input = input();
        assert!(input.previous_output().is_some());
        input.outputs.insert("other", json!({}));
        assert!(input.previous_output().is_none());
        assert!(input.to_value().get("previous_output").is_none());
    }

    #[test]
    fn flat_value_has_globals_outputs_and_previous() {
        let value = input().to_value();
        assert_eq!(value["topic"], "rust");
        assert_eq!(value["draft"]["text"], "hi");
        assert_eq!(value["previous_output"]["text"], "hi");
    }

    #[test]
    fn context_round_trips_through_json() {
        let mut ctx = WorkflowContext::new().with_input(json!({"k": 1}));
        let mut node = NodeContext::new("a", input());
        node.status = NodeStatus::Success;
        node.output = Some(json!({"x": 1}));
        ctx.node_contexts.insert(node);
        ctx.execution_path.push("a".into());
        ctx.status = WorkflowStatus::Interrupted;
        let text = serde_json::to_string(&ctx).expect("serializes");
        let back: WorkflowContext = serde_json::from_str(&text).expect("deserializes");
        assert_eq!(back, ctx);
        assert!(text.contains("\"interrupted\""));
    }
}
