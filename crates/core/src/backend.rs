//! The `Backend` trait: what runs a workflow's nodes.

use std::fmt;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::capabilities::Capabilities;
use crate::context::{NodeContext, WorkflowContext};
use crate::error::{BoxError, Error, Result};
use crate::graph::workflow::{NodeSpec, Workflow};
use crate::result::NodeResult;
use crate::scheduler::{self, ExecutionOptions, NodeExecutor, RunOptions, RunStream};

/// An execution backend: runs one node at a time on request, and whole workflows through the
/// shared scheduler.
///
/// The trait is object-safe; the registry hands out `Box<dyn Backend>`. A backend implements
/// [`execute_node`](Backend::execute_node); [`execute_workflow`](Backend::execute_workflow)
/// has a default that drives the shared scheduler through it, so routing, joins and limits
/// behave the same on every backend.
///
/// To make a backend available by name, implement [`BackendType`] too and annotate the type
/// with [`#[backend("name")]`](crate::backend).
#[async_trait]
pub trait Backend: Send + Sync + fmt::Debug {
    /// The name the backend is registered under.
    fn name(&self) -> &str;

    /// What this instance can do.
    fn capabilities(&self) -> Capabilities;

    /// Runs one node execution and returns its result.
    ///
    /// A node's own failure is a result with `success: false`; `Err` means the backend could
    /// not run the node at all (its underlying system failed).
    async fn execute_node(
        &self,
        node: &NodeSpec,
        node_context: &NodeContext,
        workflow_context: &WorkflowContext,
    ) -> Result<NodeResult>;

    /// Runs `workflow` from its start node with the globals of `context`, and returns the
    /// finished context: status, per-node contexts, execution path, globals and error.
    ///
    /// A failing node is not an `Err`: it ends the run with status `failed`.
    async fn execute_workflow(
        &self,
        workflow: &Workflow,
        context: WorkflowContext,
    ) -> Result<WorkflowContext> {
        self.run_workflow(workflow, context, RunOptions::default())
            .await
    }

    /// [`execute_workflow`](Backend::execute_workflow) with per-run options: an event stream,
    /// a cancel handle, limits. The default drives the shared [`scheduler`].
    async fn run_workflow(
        &self,
        workflow: &Workflow,
        context: WorkflowContext,
        options: RunOptions,
    ) -> Result<WorkflowContext> {
        self.validate(workflow)?;
        scheduler::run(self, workflow, context, options).await
    }

    /// [`run_workflow`](Backend::run_workflow) as a [`Stream`](futures::Stream) of its
    /// [`RunEvent`](crate::RunEvent)s, each carrying the run's id; once the stream ends,
    /// [`RunStream::result`] gives the finished context. Nodes' own events
    /// ([`NodeContext::emit`]) come in order among the engine's. Any sender given with
    /// [`RunOptions::events`] is replaced by the stream's own.
    ///
    /// The stream drives the run, so it needs no task of its own and may borrow; dropping it
    /// cancels the run.
    ///
    /// ```
    /// # use nadoo_flow_native as _;
    /// use futures::StreamExt;
    /// use nadoo_flow_core::{
    ///     async_trait, BackendRegistry, BoxError, Node, NodeContext, NodeResult, NodeSpec,
    ///     RunEventKind, RunOptions, Workflow, WorkflowContext, WorkflowStatus,
    /// };
    /// use serde_json::json;
    ///
    /// #[derive(Debug)]
    /// struct Write;
    ///
    /// #[async_trait]
    /// impl Node for Write {
    ///     async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
    ///         for token in ["Hello", ", ", "world"] {
    ///             ctx.emit("token", token);
    ///         }
    ///         Ok(NodeResult::ok(json!({ "text": "Hello, world" })))
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> nadoo_flow_core::Result<()> {
    /// let workflow = Workflow::builder("write")
    ///     .node(NodeSpec::start("start").next("write"))
    ///     .node(NodeSpec::new("write", Write))
    ///     .build()?;
    /// let backend = BackendRegistry::create("native", ())?;
    /// let context = WorkflowContext::new();
    /// let run_id = context.workflow_id.clone();
    ///
    /// let mut run = backend.run_stream(&workflow, context, RunOptions::new());
    /// let mut seen = Vec::new();
    /// while let Some(event) = run.next().await {
    ///     assert_eq!(*event.run_id, *run_id);
    ///     match event.kind {
    ///         RunEventKind::NodeStarted { node, .. } => seen.push(format!("started {node}")),
    ///         RunEventKind::NodeEvent { name, data, .. } => seen.push(format!("{name} {data}")),
    ///         RunEventKind::NodeFinished { node, .. } => seen.push(format!("finished {node}")),
    ///         RunEventKind::WorkflowFinished { status, .. } => seen.push(format!("{status:?}")),
    ///         _ => {}
    ///     }
    /// }
    /// assert_eq!(
    ///     seen,
    ///     [
    ///         "started start", "finished start", "started write", r#"token "Hello""#,
    ///         r#"token ", ""#, r#"token "world""#, "finished write", "Success",
    ///     ]
    /// );
    ///
    /// let done = run.result().await?;
    /// assert_eq!(done.status, WorkflowStatus::Success);
    /// assert_eq!(done.output("write"), Some(&json!({ "text": "Hello, world" })));
    /// # Ok(())
    /// # }
    /// ```
    fn run_stream<'a>(
        &'a self,
        workflow: &'a Workflow,
        context: WorkflowContext,
        options: RunOptions,
    ) -> RunStream<'a> {
        RunStream::new(options, move |options| {
            self.run_workflow(workflow, context, options)
        })
    }

    /// Continues an interrupted run: `context` is what the interrupted run returned (perhaps
    /// stored as JSON and read back in another process); `input` is handed to the nodes that
    /// interrupted it as [`NodeContext::resume`], and they run again.
    async fn resume(
        &self,
        workflow: &Workflow,
        context: WorkflowContext,
        input: serde_json::Value,
    ) -> Result<WorkflowContext> {
        self.run_workflow(workflow, context, RunOptions::default().resume_with(input))
            .await
    }

    /// Runs this backend's worker loop until `shutdown` is cancelled: for distributed
    /// backends, whose nodes run in worker processes (`nadoo-flow worker`). The default says
    /// the backend has no workers.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for backends that run nodes themselves; a backend's own failure
    /// to serve.
    async fn run_worker(&self, shutdown: crate::CancellationToken) -> Result<()> {
        let _ = shutdown;
        Err(Error::Unsupported {
            backend: self.name().to_owned(),
            operation: "worker processes (it runs nodes itself; use `nadoo-flow run`)",
        })
    }

    /// The engine options this instance was configured with (workers, timeout, retries).
    fn execution_options(&self) -> ExecutionOptions {
        ExecutionOptions::default()
    }

    /// Checks that this backend can run `workflow` (beyond the graph checks every workflow
    /// passes when it is built).
    fn validate(&self, workflow: &Workflow) -> Result<()> {
        let _ = workflow;
        Ok(())
    }
}

/// Every backend is something the scheduler can run nodes on.
impl<B: Backend + ?Sized> NodeExecutor for B {
    fn executor_name(&self) -> &str {
        self.name()
    }

    fn execute_one<'a>(
        &'a self,
        node: &'a NodeSpec,
        node_context: &'a NodeContext,
        workflow_context: &'a WorkflowContext,
    ) -> futures::future::BoxFuture<'a, Result<NodeResult>> {
        self.execute_node(node, node_context, workflow_context)
    }

    fn execution_limits(&self) -> ExecutionOptions {
        self.execution_options()
    }
}

/// A backend's typed configuration: deserialized from code, TOML or JSON, unknown keys
/// rejected (use `#[serde(default, deny_unknown_fields)]`).
pub trait BackendConfig: DeserializeOwned + Serialize + Default + fmt::Debug + 'static {}

impl<T> BackendConfig for T where T: DeserializeOwned + Serialize + Default + fmt::Debug + 'static {}

/// A backend type the registry can construct from its typed configuration.
///
/// Implement it next to [`Backend`] for a struct annotated with `#[backend("name")]`.
///
/// ```
/// use nadoo_flow_core::{
///     async_trait, backend, Backend, BackendType, Capabilities, Capability, NodeContext,
///     NodeResult, NodeSpec, Result, WorkflowContext,
/// };
/// use serde::{Deserialize, Serialize};
///
/// /// Runs every node inline, one after another.
/// #[backend("inline")]
/// #[derive(Debug)]
/// pub struct InlineBackend {
///     config: InlineConfig,
/// }
///
/// /// Configuration of [`InlineBackend`].
/// #[derive(Debug, Default, Serialize, Deserialize)]
/// #[serde(default, deny_unknown_fields)]
/// pub struct InlineConfig {
///     /// Log every node. Default: `false`.
///     pub verbose: bool,
/// }
///
/// impl BackendType for InlineBackend {
///     type Config = InlineConfig;
///     const CAPABILITIES: Capabilities = Capabilities::NONE.with(Capability::Async);
///     fn from_config(config: InlineConfig) -> Result<Self> {
///         Ok(InlineBackend { config })
///     }
/// }
///
/// #[async_trait]
/// impl Backend for InlineBackend {
///     fn name(&self) -> &str { "inline" }
///     fn capabilities(&self) -> Capabilities { Self::CAPABILITIES }
///     async fn execute_node(
///         &self,
///         node: &NodeSpec,
///         ctx: &NodeContext,
///         _: &WorkflowContext,
///     ) -> Result<NodeResult> {
///         Ok(node.execute(ctx).await)
///     }
/// }
///
/// let backend = nadoo_flow_core::BackendRegistry::create("inline", ())?;
/// assert_eq!(backend.name(), "inline");
/// # Ok::<(), nadoo_flow_core::Error>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is registered with #[backend] but does not implement `BackendType`",
    label = "implement `Backend` and `BackendType` for this type",
    note = "`BackendType` says how the registry makes `{Self}` from its typed configuration"
)]
pub trait BackendType: Backend + Sized + 'static {
    /// The typed configuration `create(name, config)` deserializes.
    type Config: BackendConfig;

    /// What the backend can do, known before an instance exists (shown by
    /// `nadoo-flow backends`).
    const CAPABILITIES: Capabilities;

    /// Makes an instance; cross-field checks of the configuration belong here and fail with
    /// [`Error::InvalidConfig`].
    fn from_config(config: Self::Config) -> Result<Self>;
}

/// What a factory function annotated with `#[backend("name")]` may return: a backend, or a
/// `Result` of one.
#[diagnostic::on_unimplemented(
    message = "a #[backend] factory must return a backend or a `Result` of one, not `{Self}`",
    label = "this factory's return type does not implement `Backend`"
)]
pub trait FactoryOutput {
    /// Boxes the backend, or turns the factory's error into [`Error::InvalidConfig`].
    fn into_backend(self, name: &'static str) -> Result<Box<dyn Backend>>;
}

impl<B: Backend + 'static> FactoryOutput for B {
    fn into_backend(self, _name: &'static str) -> Result<Box<dyn Backend>> {
        Ok(Box::new(self))
    }
}

impl<B: Backend + 'static, E: Into<BoxError>> FactoryOutput for std::result::Result<B, E> {
    fn into_backend(self, name: &'static str) -> Result<Box<dyn Backend>> {
        match self {
            Ok(backend) => Ok(Box::new(backend)),
            Err(error) => {
                let error: BoxError = error.into();
                match error.downcast::<Error>() {
                    Ok(error) => Err(*error),
                    Err(error) => Err(Error::invalid_config(name, None, error.to_string())),
                }
            }
        }
    }
}
