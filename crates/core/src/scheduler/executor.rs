//! What the scheduler asks of whatever runs nodes. Every [`Backend`](crate::Backend) is a
//! [`NodeExecutor`]; the scheduler knows nothing else of backends.

use futures::future::BoxFuture;

use super::ExecutionOptions;
use crate::context::{NodeContext, WorkflowContext};
use crate::error::Result;
use crate::graph::workflow::NodeSpec;
use crate::result::NodeResult;

/// What the scheduler needs to run a workflow: a name for its logs, a way to run one node,
/// and its limits. Implemented for every [`Backend`](crate::Backend), so
/// [`run`](super::run) and [`run_on_tasks`](super::run_on_tasks) take any backend.
///
/// The methods have names of their own, so that calls on a backend are never ambiguous with
/// [`Backend`](crate::Backend)'s.
pub trait NodeExecutor: Send + Sync {
    /// The name the scheduler logs node executions under.
    fn executor_name(&self) -> &str;

    /// Runs one node execution.
    fn execute_one<'a>(
        &'a self,
        node: &'a NodeSpec,
        node_context: &'a NodeContext,
        workflow_context: &'a WorkflowContext,
    ) -> BoxFuture<'a, Result<NodeResult>>;

    /// The limits the scheduler applies unless the run's options say otherwise.
    fn execution_limits(&self) -> ExecutionOptions;
}
