//! One way to wrap a backend: a [`Layer`] makes a [`LayeredBackend`], which writes only what
//! it changes and forwards everything else to the backend it wraps.

use std::fmt;

use async_trait::async_trait;

use crate::backend::Backend;
use crate::capabilities::Capabilities;
use crate::context::{NodeContext, WorkflowContext};
use crate::error::Result;
use crate::graph::workflow::{NodeSpec, Workflow};
use crate::result::NodeResult;
use crate::scheduler::{self, ExecutionOptions, RunOptions};

/// Wraps a backend in another: tower's `Layer`, for backends.
///
/// ```
/// use nadoo_flow_core::layers::{Layer, MetricsLayer};
/// use nadoo_flow_core::{BackendMetrics, BackendRegistry, Workflow, WorkflowContext, WorkflowStatus};
/// # use nadoo_flow_native as _;
/// # fn main() -> nadoo_flow_core::Result<()> {
/// let metrics = BackendMetrics::new();
/// let backend = MetricsLayer::new(metrics.clone()).layer(BackendRegistry::create("native", ())?);
/// let workflow = Workflow::from_toml("two.toml", r#"
///     [[nodes]]
///     id = "start"
///     kind = "start"
///     next = ["say"]
///
///     [[nodes]]
///     id = "say"
///     kind = "set"
///     config = { values = { said = "hi" } }
/// "#)?;
/// let runtime = tokio::runtime::Runtime::new().expect("a runtime");
/// let done = runtime.block_on(backend.execute_workflow(&workflow, WorkflowContext::new()))?;
/// assert_eq!(done.status, WorkflowStatus::Success);
/// assert_eq!(metrics.get_stats("native").map(|s| s.successful), Some(2));
/// # Ok(())
/// # }
/// ```
pub trait Layer: Send + Sync {
    /// `inner`, wrapped.
    fn layer(&self, inner: Box<dyn Backend>) -> Box<dyn Backend>;
}

/// A backend that wraps another and forwards to it whatever it does not change; implementing
/// it implements [`Backend`].
///
/// Its methods have [`Backend`]'s names, so with both traits in scope a call is ambiguous:
/// name this trait by its path (`layers::LayeredBackend`) where you implement it, and call
/// through [`Backend`]. It is not re-exported at the crate root for that reason.
///
/// A layer that changes node executions ([`execute_node`](Self::execute_node)) sets
/// [`WRAPS_NODES`](Self::WRAPS_NODES): its runs then go through the shared scheduler over the
/// layer, so every node of a run passes through it. Any other layer hands whole runs to the
/// backend it wraps, which runs them its own way (on tasks, on workers).
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use nadoo_flow_core::layers::LayeredBackend;
/// use nadoo_flow_core::{async_trait, Backend, BackendRegistry, NodeContext, NodeResult, NodeSpec};
/// use nadoo_flow_core::{Workflow, WorkflowContext, WorkflowStatus};
/// # use nadoo_flow_native as _;
///
/// /// Counts the nodes it runs; everything else is the inner backend's.
/// #[derive(Debug)]
/// struct Counted { inner: Box<dyn Backend>, nodes: Arc<AtomicUsize> }
///
/// #[async_trait]
/// impl LayeredBackend for Counted {
///     const WRAPS_NODES: bool = true;
///     fn inner(&self) -> &dyn Backend { self.inner.as_ref() }
///     async fn execute_node(&self, node: &NodeSpec, context: &NodeContext, run: &WorkflowContext)
///         -> nadoo_flow_core::Result<NodeResult> {
///         self.nodes.fetch_add(1, Ordering::Relaxed);
///         self.inner.execute_node(node, context, run).await
///     }
/// }
///
/// # fn main() -> nadoo_flow_core::Result<()> {
/// let nodes = Arc::new(AtomicUsize::new(0));
/// let inner = BackendRegistry::create("native", ())?;
/// let counted: Box<dyn Backend> = Box::new(Counted { inner, nodes: Arc::clone(&nodes) });
/// assert_eq!(counted.name(), "native");
/// let workflow = Workflow::from_toml("two.toml", r#"
///     [[nodes]]
///     id = "start"
///     kind = "start"
///     next = ["say"]
///
///     [[nodes]]
///     id = "say"
///     kind = "set"
///     config = { values = { said = "hi" } }
/// "#)?;
/// let runtime = tokio::runtime::Runtime::new().expect("a runtime");
/// let done = runtime.block_on(counted.execute_workflow(&workflow, WorkflowContext::new()))?;
/// assert_eq!(done.status, WorkflowStatus::Success);
/// assert_eq!(done.output("say").map(|out| out["said"].clone()), Some("hi".into()));
/// assert_eq!(nodes.load(Ordering::Relaxed), 2, "every node went through the layer");
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait LayeredBackend: Send + Sync + fmt::Debug {
    /// Whether this layer changes node executions, so that runs must go through it node by
    /// node rather than being handed to the inner backend whole.
    const WRAPS_NODES: bool;

    /// The backend this layer wraps.
    fn inner(&self) -> &dyn Backend;

    /// The backend's name: the inner backend's.
    fn name(&self) -> &str {
        self.inner().name()
    }

    /// What the backend can do: what the inner backend can.
    fn capabilities(&self) -> Capabilities {
        self.inner().capabilities()
    }

    /// Runs one node: on the inner backend.
    async fn execute_node(
        &self,
        node: &NodeSpec,
        node_context: &NodeContext,
        workflow_context: &WorkflowContext,
    ) -> Result<NodeResult> {
        self.inner()
            .execute_node(node, node_context, workflow_context)
            .await
    }

    /// The options of a run, before it starts: unchanged.
    fn run_options(&self, options: RunOptions) -> RunOptions {
        options
    }

    /// Serves as a worker: the inner backend does.
    async fn run_worker(&self, shutdown: crate::CancellationToken) -> Result<()> {
        self.inner().run_worker(shutdown).await
    }

    /// The scheduler's limits: the inner backend's.
    fn execution_options(&self) -> ExecutionOptions {
        self.inner().execution_options()
    }

    /// Checks a workflow before a run: as the inner backend does.
    fn validate(&self, workflow: &Workflow) -> Result<()> {
        self.inner().validate(workflow)
    }
}

#[async_trait]
impl<L: LayeredBackend> Backend for L {
    fn name(&self) -> &str {
        LayeredBackend::name(self)
    }

    fn capabilities(&self) -> Capabilities {
        LayeredBackend::capabilities(self)
    }

    async fn execute_node(
        &self,
        node: &NodeSpec,
        node_context: &NodeContext,
        workflow_context: &WorkflowContext,
    ) -> Result<NodeResult> {
        LayeredBackend::execute_node(self, node, node_context, workflow_context).await
    }

    async fn run_workflow(
        &self,
        workflow: &Workflow,
        context: WorkflowContext,
        options: RunOptions,
    ) -> Result<WorkflowContext> {
        let options = self.run_options(options);
        LayeredBackend::validate(self, workflow)?;
        if L::WRAPS_NODES {
            scheduler::run(self, workflow, context, options).await
        } else {
            self.inner().run_workflow(workflow, context, options).await
        }
    }

    async fn run_worker(&self, shutdown: crate::CancellationToken) -> Result<()> {
        LayeredBackend::run_worker(self, shutdown).await
    }

    fn execution_options(&self) -> ExecutionOptions {
        LayeredBackend::execution_options(self)
    }

    fn validate(&self, workflow: &Workflow) -> Result<()> {
        LayeredBackend::validate(self, workflow)
    }
}
