//! The native backend: node code runs in the calling process, on its tokio runtime.

use std::sync::Arc;

use nadoo_flow_core::scheduler::{self, RunOptions};
use nadoo_flow_core::{
    Backend, BackendType, Capabilities, Capability, NodeContext, NodeResult, NodeSpec, Result,
    Workflow, WorkflowContext, async_trait, backend,
};
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio_util::task::AbortOnDropHandle;

use crate::config::NativeConfig;

/// Runs workflows in-process on tokio.
#[backend("native")]
#[derive(Debug, Clone, Copy)]
pub struct NativeBackend {
    _private: (),
}

impl BackendType for NativeBackend {
    type Config = NativeConfig;

    const CAPABILITIES: Capabilities = Capabilities::NONE
        .with(Capability::Streaming)
        .with(Capability::Parallel)
        .with(Capability::Async);

    fn from_config(_config: NativeConfig) -> Result<Self> {
        Ok(NativeBackend { _private: () })
    }
}

#[async_trait]
impl Backend for NativeBackend {
    fn name(&self) -> &str {
        "native"
    }

    fn capabilities(&self) -> Capabilities {
        Self::CAPABILITIES
    }

    async fn execute_node(
        &self,
        node: &NodeSpec,
        node_context: &NodeContext,
        _workflow_context: &WorkflowContext,
    ) -> Result<NodeResult> {
        let outcome = if node_context.runs_concurrently()
            && !node_context.has_own_task()
            && multi_threaded()
        {
            // Other nodes run at the same time: give this one a task of its own, so that
            // CPU-bound nodes use every core. Dropping the run aborts the task.
            let code = Arc::clone(node.node());
            let context = node_context.clone();
            let task =
                AbortOnDropHandle::new(tokio::spawn(async move { code.execute(&context).await }));
            match task.await {
                Ok(outcome) => outcome,
                // Re-raise the node's panic here; the scheduler turns it into the node's failure.
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(error) => Err(error.into()),
            }
        } else {
            // Alone, or on a single-threaded runtime: run inline, without a spawn.
            node.node().execute(node_context).await
        };
        Ok(NodeResult::from_outcome(outcome))
    }

    /// On a multi-threaded runtime, [`scheduler::run_on_tasks`]: the nodes that run beside
    /// others go to a pool of runner tasks, so that CPU-bound nodes use every core; elsewhere
    /// the shared scheduler as every backend runs it.
    async fn run_workflow(
        &self,
        workflow: &Workflow,
        context: WorkflowContext,
        options: RunOptions,
    ) -> Result<WorkflowContext> {
        self.validate(workflow)?;
        if multi_threaded() {
            scheduler::run_on_tasks(self, workflow, context, options).await
        } else {
            scheduler::run(self, workflow, context, options).await
        }
    }
}

fn multi_threaded() -> bool {
    Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread)
}
