//! The engine options of a backend's configuration, applied over the backend.

use async_trait::async_trait;

use crate::backend::Backend;
use crate::capabilities::Capabilities;
use crate::config::EngineOptions;
use crate::context::{NodeContext, WorkflowContext};
use crate::error::Result;
use crate::result::NodeResult;
use crate::scheduler::{ExecutionOptions, RunOptions};
use crate::workflow::{NodeSpec, Workflow};

/// A backend made with engine options in its configuration.
#[derive(Debug)]
pub(crate) struct Configured {
    inner: Box<dyn Backend>,
    engine: EngineOptions,
}

impl Configured {
    pub(crate) fn new(inner: Box<dyn Backend>, engine: EngineOptions) -> Self {
        Configured { inner, engine }
    }
}

#[async_trait]
impl Backend for Configured {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn execute_node(
        &self,
        node: &NodeSpec,
        node_context: &NodeContext,
        workflow_context: &WorkflowContext,
    ) -> Result<NodeResult> {
        self.inner
            .execute_node(node, node_context, workflow_context)
            .await
    }

    /// The inner backend runs the workflow in its own way, with these engine options under
    /// the run's own.
    async fn run_workflow(
        &self,
        workflow: &Workflow,
        context: WorkflowContext,
        mut options: RunOptions,
    ) -> Result<WorkflowContext> {
        options.engine = options.engine.or(self.engine.clone());
        self.inner.run_workflow(workflow, context, options).await
    }

    fn validate(&self, workflow: &Workflow) -> Result<()> {
        self.inner.validate(workflow)
    }

    async fn run_worker(&self, shutdown: crate::CancellationToken) -> Result<()> {
        self.inner.run_worker(shutdown).await
    }

    fn execution_options(&self) -> ExecutionOptions {
        self.engine.apply(self.inner.execution_options())
    }
}
