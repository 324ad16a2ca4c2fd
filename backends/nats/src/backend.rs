//! The coordinator: the shared scheduler, with each node execution published as a task to
//! JetStream and its result awaited from a worker.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_nats::jetstream;
use async_nats::jetstream::message::PublishMessage;
use futures::StreamExt;
use nadoo_flow_core::{
    Backend, BackendType, CancellationToken, Capabilities, Capability, Error, NodeContext,
    NodeRegistry, NodeResult, NodeSpec, Result, Workflow, WorkflowContext, async_trait, backend,
};
use serde::Deserialize;
use tokio::sync::{OnceCell, oneshot};

use crate::client::{connect, failure};
use crate::config::NatsConfig;
use crate::task::{Task, TaskResult};

/// Runs node executions on NATS JetStream workers across machines.
#[backend("nats")]
#[derive(Debug)]
pub struct NatsBackend {
    config: NatsConfig,
    /// Made at the first node execution: constructing a backend does no I/O.
    connection: OnceCell<Coordinator>,
}

/// What a pending task is waiting for.
#[derive(Debug)]
enum Reply {
    Result(NodeResult),
    /// The server gave up on the task after `max_deliver` deliveries.
    Poison,
}

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Reply>>>>;

/// The live connection of a coordinator and its routing of replies to waiting nodes.
#[derive(Debug)]
struct Coordinator {
    client: async_nats::Client,
    js: jetstream::Context,
    results: String,
    pending: Pending,
    by_sequence: Arc<Mutex<HashMap<u64, String>>>,
    /// Stops the reply routers when the backend is dropped.
    stop: CancellationToken,
}

impl Drop for Coordinator {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Removes a task from the pending map when its wait ends, however it ends; a wait that ends
/// without an answer (the node timed out, the run was cancelled or failed) tells the workers
/// to stop the task.
struct PendingGuard<'a> {
    pending: &'a Pending,
    task_id: String,
    client: &'a async_nats::Client,
    subject_prefix: &'a str,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        let unanswered = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.task_id)
            .is_some();
        if unanswered && let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let client = self.client.clone();
            let subject = crate::cancel::subject(self.subject_prefix, &self.task_id);
            runtime.spawn(async move {
                let _ = client.publish(subject, bytes::Bytes::new()).await;
                let _ = client.flush().await;
            });
        }
    }
}

/// Forgets a task's stream sequence when its wait ends, however it ends (a cancelled or
/// timed-out run drops the wait).
struct SequenceGuard<'a> {
    by_sequence: &'a Arc<Mutex<HashMap<u64, String>>>,
    sequence: u64,
}

impl Drop for SequenceGuard<'_> {
    fn drop(&mut self) {
        self.by_sequence
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.sequence);
    }
}

/// The part of a max-deliveries advisory the coordinator reads.
#[derive(Deserialize)]
struct MaxDeliveries {
    stream_seq: u64,
}

impl NatsBackend {
    /// The configuration this instance was made with.
    pub fn config(&self) -> &NatsConfig {
        &self.config
    }

    /// How many node executions wait for a result now, and how many stream sequences the
    /// coordinator maps to them (for tests: both are 0 once no run is going on).
    #[cfg(feature = "testing")]
    pub fn waiting(&self) -> (usize, usize) {
        self.connection.get().map_or((0, 0), |c| {
            (
                c.pending
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .len(),
                c.by_sequence
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .len(),
            )
        })
    }

    async fn coordinator(&self) -> Result<&Coordinator> {
        self.connection
            .get_or_try_init(|| Coordinator::start(&self.config))
            .await
    }
}

impl Coordinator {
    async fn start(config: &NatsConfig) -> Result<Coordinator> {
        let (client, js) = connect(config, "nadoo-flow coordinator").await?;
        crate::client::task_stream(&js, config).await?;
        let results = format!(
            "{}.{}",
            config.results_prefix(),
            uuid::Uuid::new_v4().simple()
        );
        let pending: Pending = Arc::default();
        let by_sequence: Arc<Mutex<HashMap<u64, String>>> = Arc::default();
        let stop = CancellationToken::new();

        let mut replies = client
            .subscribe(results.clone())
            .await
            .map_err(|e| failure("cannot subscribe to results", e))?;
        let advisory = format!(
            "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{}.{}",
            config.stream, config.consumer
        );
        let mut poison = client
            .subscribe(advisory)
            .await
            .map_err(|e| failure("cannot subscribe to delivery advisories", e))?;
        client
            .flush()
            .await
            .map_err(|e| failure("cannot flush subscriptions", e))?;

        let routes = (Arc::clone(&pending), Arc::clone(&by_sequence), stop.clone());
        tokio::spawn(async move {
            let (pending, by_sequence, stop) = routes;
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    Some(message) = replies.next() => {
                        let Ok(reply) = serde_json::from_slice::<TaskResult>(&message.payload) else {
                            tracing::warn!(target: "nadoo_flow::backend", "unreadable task result dropped");
                            continue;
                        };
                        let waiting = pending.lock().unwrap_or_else(PoisonError::into_inner).remove(&reply.task_id);
                        match waiting {
                            Some(sender) => { let _ = sender.send(Reply::Result(reply.result)); }
                            // A redelivered task answered twice: the first answer counted.
                            None => tracing::debug!(target: "nadoo_flow::backend", task = %reply.task_id, "duplicate result dropped"),
                        }
                    }
                    Some(message) = poison.next() => {
                        let Ok(advisory) = serde_json::from_slice::<MaxDeliveries>(&message.payload) else { continue };
                        let task = by_sequence.lock().unwrap_or_else(PoisonError::into_inner).remove(&advisory.stream_seq);
                        if let Some(task) = task {
                            let waiting = pending.lock().unwrap_or_else(PoisonError::into_inner).remove(&task);
                            if let Some(sender) = waiting {
                                let _ = sender.send(Reply::Poison);
                            }
                        }
                    }
                    else => break,
                }
            }
        });
        Ok(Coordinator {
            client,
            js,
            results,
            pending,
            by_sequence,
            stop,
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
                return Err(Error::Unsupported {
                    backend: "nats".to_owned(),
                    operation: "nodes made in code; register the node's kind with #[node(\"kind\")] so workers can make it",
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
        let task = Task {
            task_id: task_id.clone(),
            workflow_id: workflow_context.workflow_id.clone(),
            node_id: node.id().to_owned(),
            attempt: node_context.attempt,
            kind: node.kind().to_owned(),
            config: node.config().clone(),
            context: node_context.clone(),
            reply: coordinator.results.clone(),
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

        let (sender, receiver) = oneshot::channel();
        coordinator
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(task_id.clone(), sender);
        let _guard = PendingGuard {
            pending: &coordinator.pending,
            task_id: task_id.clone(),
            client: &coordinator.client,
            subject_prefix: &self.config.subject_prefix,
        };
        let publish = PublishMessage::build()
            .payload(payload.into())
            .message_id(&task_id);
        let ack = coordinator
            .js
            .send_publish(self.config.task_subject(), publish)
            .await
            .map_err(|e| {
                failure(
                    format_args!("cannot publish the task of node `{}`", node.id()),
                    e,
                )
            })?
            .await
            .map_err(|e| {
                failure(
                    format_args!("the server did not store the task of node `{}`", node.id()),
                    e,
                )
            })?;
        coordinator
            .by_sequence
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(ack.sequence, task_id.clone());
        let _sequence = SequenceGuard {
            by_sequence: &coordinator.by_sequence,
            sequence: ack.sequence,
        };

        let reply = tokio::time::timeout(self.config.result_timeout, receiver).await;
        match reply {
            Ok(Ok(Reply::Result(result))) => Ok(result),
            Ok(Ok(Reply::Poison)) => Ok(NodeResult::failed(format!(
                "its task was delivered {} times without a result (poison task); see the workers' logs",
                self.config.max_deliver
            ))),
            Ok(Err(_)) => Err(failure(
                "the result router stopped",
                "the connection was closed",
            )),
            Err(_) => Ok(NodeResult::failed(format!(
                "no result within {:?}; is a worker running? (`nadoo-flow worker --backend nats`)",
                self.config.result_timeout
            ))),
        }
    }

    async fn run_worker(&self, shutdown: CancellationToken) -> Result<()> {
        crate::worker::run(&self.config, shutdown).await
    }
}
