//! The coordinator: the shared scheduler, with each node execution published as a task to
//! JetStream and its result awaited from a worker.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use async_nats::jetstream;
use nadoo_flow_core::run_store::to_millis;
use nadoo_flow_core::{
    Backend, BackendType, CancellationToken, Capabilities, Capability, Error, NodeContext,
    NodeRegistry, NodeResult, NodeSpec, Result, RunOptions, Workflow, WorkflowContext, async_trait,
    backend, scheduler,
};
use tokio::sync::OnceCell;
use tokio::task::JoinHandle;

use crate::client::{connect, failure};
use crate::config::NatsConfig;
use crate::results::Inbox;
use crate::task::Task;

/// Runs node executions on NATS JetStream workers across machines.
#[backend("nats")]
#[derive(Debug)]
pub struct NatsBackend {
    config: NatsConfig,
    /// Made at the first node execution: constructing a backend does no I/O.
    connection: OnceCell<Coordinator>,
}

/// The live connection of a coordinator: where it publishes tasks and reads results.
#[derive(Debug)]
struct Coordinator {
    client: async_nats::Client,
    js: jetstream::Context,
    tasks: jetstream::stream::Stream,
    inbox: Inbox,
    /// Cancellations on their way to the workers; a run waits for them before it returns, so
    /// that a program that exits right after a failed run still stops its nodes.
    stopping: Mutex<Vec<JoinHandle<()>>>,
}

/// Ends a task's wait, however it ends. A wait that ends without an answer (the node timed
/// out, the run was cancelled or failed) tells the workers to stop the task and removes it
/// from the task stream if no worker has taken it yet.
struct WaitGuard<'a> {
    coordinator: &'a Coordinator,
    task_id: String,
    /// The task's place in the task stream, once stored.
    sequence: Option<u64>,
    subject_prefix: &'a str,
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        let unanswered = self.coordinator.inbox.forget(&self.task_id);
        if unanswered && let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let client = self.coordinator.client.clone();
            let tasks = self.coordinator.tasks.clone();
            let subject = crate::cancel::subject(self.subject_prefix, &self.task_id);
            let sequence = self.sequence;
            let stopped = runtime.spawn(async move {
                let _ = client.publish(subject, bytes::Bytes::new()).await;
                let _ = client.flush().await;
                if let Some(sequence) = sequence {
                    let _ = tasks.delete_message(sequence).await;
                }
            });
            let mut stopping = self.coordinator.stopping();
            stopping.retain(|handle| !handle.is_finished());
            stopping.push(stopped);
        }
    }
}

impl NatsBackend {
    /// The configuration this instance was made with.
    pub fn config(&self) -> &NatsConfig {
        &self.config
    }

    /// How many node executions wait for a result now (for tests: 0 once no run is going
    /// on).
    #[cfg(feature = "testing")]
    pub fn waiting(&self) -> usize {
        self.connection.get().map_or(0, |c| {
            c.inbox
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .len()
        })
    }

    async fn coordinator(&self) -> Result<&Coordinator> {
        self.connection
            .get_or_try_init(|| Coordinator::start(&self.config))
            .await
    }
}

impl Coordinator {
    fn stopping(&self) -> std::sync::MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.stopping
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits, at most `limit`, for the cancellations sent so far to reach the server.
    async fn settle(&self, limit: Duration) {
        let handles = std::mem::take(&mut *self.stopping());
        let _ = tokio::time::timeout(limit, futures::future::join_all(handles)).await;
    }

    async fn start(config: &NatsConfig) -> Result<Coordinator> {
        let (client, js) = connect(config, "nadoo-flow coordinator").await?;
        let tasks = crate::client::task_stream(&js, config).await?;
        let inbox = Inbox::open(&js, config).await?;
        Ok(Coordinator {
            client,
            js,
            tasks,
            inbox,
            stopping: Mutex::default(),
        })
    }
}

impl BackendType for NatsBackend {
    type Config = NatsConfig;

    const CAPABILITIES: Capabilities = Capabilities::NONE
        .with(Capability::Streaming)
        .with(Capability::Parallel)
        .with(Capability::Async)
        .with(Capability::Distributed)
        .with(Capability::Durable);

    fn from_config(config: NatsConfig) -> Result<Self> {
        config.check()?;
        Ok(NatsBackend {
            config,
            connection: OnceCell::new(),
        })
    }
}

#[async_trait]
impl Backend for NatsBackend {
    fn name(&self) -> &str {
        "nats"
    }

    fn capabilities(&self) -> Capabilities {
        Self::CAPABILITIES
    }

    /// Workers make nodes from their registered kind and configuration, so every node must
    /// have a registered kind.
    fn validate(&self, workflow: &Workflow) -> Result<()> {
        for node in workflow.nodes() {
            if !NodeRegistry::is_available(node.kind())? {
                // `Unsupported` holds a `&'static str`. Each distinct message is kept once, so
                // checking the same workflow again and again does not grow the program.
                static MESSAGES: std::sync::Mutex<std::collections::BTreeSet<&'static str>> =
                    std::sync::Mutex::new(std::collections::BTreeSet::new());
                let message = format!(
                    "node `{}` of kind `{}`, which no #[node(\"kind\")] registers: workers make a node from its registered kind, so write it as a type or an async fn with #[node(\"kind\")] and add it with `NodeSpec::of`, the function's `spec` or a workflow file, not with `NodeSpec::from_fn` or `NodeSpec::new`",
                    node.id(),
                    node.kind()
                );
                let mut messages = MESSAGES
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let operation = match messages.get(message.as_str()) {
                    Some(kept) => *kept,
                    None => {
                        let kept: &'static str = Box::leak(message.into_boxed_str());
                        messages.insert(kept);
                        kept
                    }
                };
                return Err(Error::Unsupported {
                    backend: "nats".to_owned(),
                    operation,
                });
            }
        }
        Ok(())
    }

    async fn execute_node(
        &self,
        node: &NodeSpec,
        node_context: &NodeContext,
        workflow_context: &WorkflowContext,
    ) -> Result<NodeResult> {
        let coordinator = self.coordinator().await?;
        let task_id = uuid::Uuid::new_v4().simple().to_string();
        // Nobody waits for the result longer than the node's timeout, or the result timeout:
        // the worker stops the node then, even if the cancellation does not reach it.
        let budget = node
            .timeout_limit()
            .map_or(self.config.result_timeout, |t| {
                t.min(self.config.result_timeout)
            });
        let deadline = tokio::time::Instant::now() + budget;
        let task = Task {
            task_id: task_id.clone(),
            workflow_id: workflow_context.workflow_id.clone(),
            node_id: node.id().to_owned(),
            attempt: node_context.attempt,
            kind: node.kind().to_owned(),
            config: node.config().clone(),
            context: node_context.clone(),
            reply: coordinator.inbox.subject.clone(),
            deadline_ms: Some(to_millis(SystemTime::now() + budget)),
            events: node_context.has_event_listener(),
        };
        let payload = serde_json::to_vec(&task).map_err(|e| {
            failure(
                format_args!("cannot encode the task of node `{}`", node.id()),
                e,
            )
        })?;
        let limit = coordinator.client.server_info().max_payload;
        if payload.len() > limit {
            return Err(failure(
                format_args!(
                    "the task of node `{}` is {} bytes",
                    node.id(),
                    payload.len()
                ),
                format_args!("the server accepts at most {limit} bytes per message"),
            ));
        }

        let receiver = coordinator.inbox.expect(&task_id);
        let mut guard = WaitGuard {
            coordinator,
            task_id: task_id.clone(),
            sequence: None,
            subject_prefix: &self.config.subject_prefix,
        };
        let subject = self.config.task_subject();
        let ack = crate::publish::durably(
            &coordinator.js,
            &subject,
            &task_id,
            payload.into(),
            deadline,
        )
        .await
        .map_err(|e| {
            failure(
                format_args!("the server did not store the task of node `{}`", node.id()),
                e,
            )
        })?;
        guard.sequence = Some(ack.sequence);

        // The scheduler applies the node's timeout; this wait only bounds a lost result.
        let waited = self.config.result_timeout;
        match tokio::time::timeout(waited, receiver).await {
            Ok(Ok(reply)) => {
                // The node's own events, in the order it emitted them, before its result.
                for event in reply.events {
                    node_context.emit(event.name, event.data);
                }
                Ok(reply.result)
            }
            Ok(Err(_)) => Err(failure(
                "the result router stopped",
                "the connection was closed",
            )),
            Err(_) => Ok(NodeResult::failed(format!(
                "no result within {waited:?}; is a worker running? (`nadoo-flow worker --backend nats`)"
            ))),
        }
    }

    /// Runs `workflow` on the shared scheduler, then waits (at most `request_timeout`) until
    /// the workers have been told to stop the nodes the run no longer waits for.
    async fn run_workflow(
        &self,
        workflow: &Workflow,
        context: WorkflowContext,
        options: RunOptions,
    ) -> Result<WorkflowContext> {
        self.validate(workflow)?;
        let done = scheduler::run(self, workflow, context, options).await;
        if let Some(coordinator) = self.connection.get() {
            coordinator.settle(self.config.request_timeout).await;
        }
        done
    }

    async fn run_worker(&self, shutdown: CancellationToken) -> Result<()> {
        crate::worker::run(&self.config, shutdown).await
    }
}
