//! A coordinator's results: a durable consumer of the result stream, filtered on this
//! coordinator's subject, and the routing of each result to the node execution waiting for
//! it. The consumer outlives a reconnect or a server restart, so a result the server has
//! stored is never lost; a consumer that disappears is made again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull::MessagesErrorKind};
use futures::StreamExt;
use nadoo_flow_core::{CancellationToken, Result};
use tokio::sync::oneshot;

use crate::client::{result_consumer, result_stream};
use crate::config::NatsConfig;
use crate::task::{TaskResult, decode_results};

/// The node executions waiting for a result, by task id.
pub(crate) type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<TaskResult>>>>;

/// Where one coordinator's results arrive.
#[derive(Debug)]
pub(crate) struct Inbox {
    /// The subject workers answer this coordinator's tasks on.
    pub(crate) subject: String,
    pub(crate) pending: Pending,
    js: jetstream::Context,
    stream: String,
    consumer: String,
    /// Stops the router.
    stop: CancellationToken,
}

impl Inbox {
    /// Makes the result stream and this coordinator's consumer, and starts routing results.
    pub(crate) async fn open(js: &jetstream::Context, config: &NatsConfig) -> Result<Inbox> {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let subject = format!("{}.{token}", config.results_prefix());
        let consumer = format!("{}-results-{token}", config.consumer);
        let stream = result_stream(js, config).await?;
        let first = result_consumer(&stream, config, &consumer, &subject).await?;
        let inbox = Inbox {
            subject,
            pending: Pending::default(),
            js: js.clone(),
            stream: config.result_stream(),
            consumer,
            stop: CancellationToken::new(),
        };
        let router = Router {
            js: js.clone(),
            config: config.clone(),
            consumer: inbox.consumer.clone(),
            subject: inbox.subject.clone(),
            pending: Arc::clone(&inbox.pending),
            stop: inbox.stop.clone(),
        };
        tokio::spawn(router.run(first));
        Ok(inbox)
    }

    /// Waits for the result of task `task_id` from now on.
    pub(crate) fn expect(&self, task_id: &str) -> oneshot::Receiver<TaskResult> {
        let (sender, receiver) = oneshot::channel();
        self.lock().insert(task_id.to_owned(), sender);
        receiver
    }

    /// Stops waiting for task `task_id`; whether it was still unanswered.
    pub(crate) fn forget(&self, task_id: &str) -> bool {
        self.lock().remove(task_id).is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<TaskResult>>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Inbox {
    /// Stops routing and deletes the consumer; should that fail (no runtime, no server), the
    /// server deletes it after `result_timeout` of inactivity.
    fn drop(&mut self) {
        self.stop.cancel();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (js, stream, consumer) =
                (self.js.clone(), self.stream.clone(), self.consumer.clone());
            runtime.spawn(async move {
                if let Ok(stream) = js.get_stream(&stream).await {
                    let _ = stream.delete_consumer(&consumer).await;
                }
            });
        }
    }
}

/// The task that reads the consumer and hands each result to its waiting node.
struct Router {
    js: jetstream::Context,
    config: NatsConfig,
    consumer: String,
    subject: String,
    pending: Pending,
    stop: CancellationToken,
}

/// The pause before making a lost consumer again.
const REOPEN_PAUSE: Duration = Duration::from_millis(250);

impl Router {
    async fn run(self, first: jetstream::consumer::PullConsumer) {
        let mut consumer = Some(first);
        while !self.stop.is_cancelled() {
            let current = match consumer.take() {
                Some(current) => current,
                None => match self.reopen().await {
                    Ok(current) => current,
                    Err(error) => {
                        tracing::debug!(target: "nadoo_flow::backend", %error, "reopening the result consumer");
                        tokio::select! {
                            () = self.stop.cancelled() => return,
                            () = tokio::time::sleep(REOPEN_PAUSE) => continue,
                        }
                    }
                },
            };
            self.read(&current).await;
        }
    }

    async fn reopen(&self) -> Result<jetstream::consumer::PullConsumer> {
        let stream = result_stream(&self.js, &self.config).await?;
        result_consumer(&stream, &self.config, &self.consumer, &self.subject).await
    }

    /// Routes results until the consumer is gone or the router stops.
    async fn read(&self, consumer: &jetstream::consumer::PullConsumer) {
        let messages = consumer
            .stream()
            .max_messages_per_batch(1_000)
            .expires(Duration::from_secs(10))
            .heartbeat(Duration::from_secs(2))
            .messages()
            .await;
        let Ok(mut messages) = messages else {
            tokio::time::sleep(REOPEN_PAUSE).await;
            return;
        };
        loop {
            let next = tokio::select! {
                () = self.stop.cancelled() => return,
                next = messages.next() => next,
            };
            match next {
                Some(Ok(message)) => {
                    self.route(&message.payload);
                    // Acknowledged once routed; a lost acknowledgement brings the result
                    // again, which is dropped as a duplicate.
                    let _ = message.ack().await;
                }
                Some(Err(error)) => match error.kind() {
                    // The server is away for now; the stream asks again once it is back.
                    MessagesErrorKind::MissingHeartbeat | MessagesErrorKind::NoResponders => {}
                    MessagesErrorKind::ConsumerDeleted | MessagesErrorKind::Other => {
                        tracing::debug!(target: "nadoo_flow::backend", %error, "result consumer lost");
                        return;
                    }
                    _ => {
                        tracing::debug!(target: "nadoo_flow::backend", %error, "reading results");
                        tokio::time::sleep(REOPEN_PAUSE).await;
                        return;
                    }
                },
                None => return,
            }
        }
    }

    fn route(&self, payload: &[u8]) {
        let Ok(results) = decode_results(payload) else {
            tracing::warn!(target: "nadoo_flow::backend", "unreadable task results dropped");
            return;
        };
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        for reply in results {
            match pending.remove(&reply.task_id) {
                Some(sender) => {
                    let _ = sender.send(reply);
                }
                // A redelivered task answered twice, or a wait that ended: the first answer
                // counted.
                None => {
                    tracing::debug!(target: "nadoo_flow::backend", task = %reply.task_id, "result nobody waits for dropped");
                }
            }
        }
    }
}
