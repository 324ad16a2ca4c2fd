//! Nodes made of other node executions (a sub-workflow, a map over an array): what they ask
//! of the scheduler, and the link-time table that says which kinds they are.
//!
//! The kinds themselves live above the scheduler (`crate::composite`), which runs them: when
//! a node's spec holds a [`Composite`], the scheduler calls it with [`SubRuns`] instead of
//! handing the node to the backend, so that the executions inside it go through the backend
//! one by one (and spread over a distributed backend's workers).

use std::fmt;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Map, Value};

use super::workflow::{NodeSpec, Workflow};
use crate::context::{NodeContext, WorkflowContext};
use crate::error::{BoxError, Result};
use crate::result::NodeResult;

/// What a composite node may ask of the run it is part of.
pub(crate) trait SubRuns: Send + Sync {
    /// Runs one execution of `node` with `context` through the run's backend, with the
    /// node's own timeout and retries; it counts as one step of the run. `Err` is the
    /// execution's failure, after its retries.
    fn execute<'a>(
        &'a self,
        node: &'a NodeSpec,
        context: NodeContext,
    ) -> BoxFuture<'a, std::result::Result<NodeResult, String>>;

    /// Runs `workflow` to its end on the run's backend, with `globals` as its input; its
    /// node executions count as steps of the run.
    fn run<'a>(
        &'a self,
        workflow: &'a Workflow,
        globals: Map<String, Value>,
    ) -> BoxFuture<'a, Result<WorkflowContext>>;

    /// Resumes `workflow` from `context`, the state of its interrupted run, with `input`
    /// for the nodes that interrupted it.
    fn resume<'a>(
        &'a self,
        workflow: &'a Workflow,
        context: WorkflowContext,
        input: Value,
    ) -> BoxFuture<'a, Result<WorkflowContext>>;

    /// The output of element `index` of this node's execution that a durable run recorded
    /// before (on an earlier attempt, or before the process running it died).
    fn recorded(&self, index: u32) -> Option<Value>;

    /// Records the output of element `index`, durably when the run is kept in a store, so
    /// that it does not run again. `Err` when the store cannot be written.
    fn record<'a>(
        &'a self,
        index: u32,
        output: &'a Value,
        duration: std::time::Duration,
    ) -> BoxFuture<'a, std::result::Result<(), String>>;
}

/// A node kind whose execution is made of other executions.
pub(crate) trait Composite: Send + Sync + fmt::Debug {
    /// Runs the node once, with `context` as the node's own context.
    fn run<'a>(
        &'a self,
        runs: &'a dyn SubRuns,
        context: &'a NodeContext,
    ) -> BoxFuture<'a, std::result::Result<NodeResult, BoxError>>;
}

/// One composite kind: its registered name and how to make it from a node's configuration.
pub(crate) struct CompositeKind {
    /// The node kind's name (`"map"`).
    pub(crate) name: &'static str,
    /// Makes the composite from the node's configuration, which the kind's registration has
    /// already accepted.
    pub(crate) make: fn(&Value) -> Result<Arc<dyn Composite>>,
}

/// The composite kinds, placed at link time by the modules that define them.
#[linkme::distributed_slice]
pub(crate) static COMPOSITE_KINDS: [CompositeKind];

/// The composite that runs a node of kind `kind` made from `config`, if the kind is one.
pub(crate) fn composite_for(kind: &str, config: &Value) -> Option<Result<Arc<dyn Composite>>> {
    COMPOSITE_KINDS
        .iter()
        .find(|entry| entry.name == kind)
        .map(|entry| (entry.make)(config))
}

/// Why a composite kind's node cannot run on its own, as its `Node::execute` says.
pub(crate) fn runs_only_in_a_run(kind: &str) -> BoxError {
    format!(
        "a node of kind `{kind}` runs its executions through a run's scheduler; it cannot be \
         executed on its own (by `execute_node` or on a worker)"
    )
    .into()
}
