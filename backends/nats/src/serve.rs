//! How a worker serves one task: it checks the task belongs to its stream and answers only
//! where a coordinator of its configuration listens, runs the node until it ends, its
//! coordinator cancels it or its deadline passes, stores the result in the result stream,
//! and only then acknowledges the task.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, SystemTime};

use async_nats::jetstream::{self, AckKind};
use futures::FutureExt;
use nadoo_flow_core::run_store::to_millis;
use nadoo_flow_core::{NodeEvent, NodeRegistry, NodeResult};
use tokio::time::Instant;

use crate::answers::Answers;
use crate::cancel::Cancellations;
use crate::config::NatsConfig;
use crate::task::{Task, TaskResult, decode_task};
use crate::worker::is_result_subject;

/// What every task of one worker is served with.
#[derive(Debug)]
pub(crate) struct Server {
    answers: Answers,
    max_payload: usize,
    config: NatsConfig,
    task_subject: String,
    results: String,
    cancellations: Cancellations,
}

impl Server {
    pub(crate) fn new(
        client: async_nats::Client,
        js: jetstream::Context,
        config: NatsConfig,
        cancellations: Cancellations,
    ) -> Server {
        let max_payload = client.server_info().max_payload;
        Server {
            answers: Answers::start(js, max_payload),
            max_payload,
            task_subject: config.task_subject(),
            results: config.results_prefix(),
            config,
            cancellations,
        }
    }

    /// Runs one task and answers it.
    pub(crate) async fn serve(&self, message: jetstream::Message) {
        let (stream, delivered) = message.info().map_or((String::new(), 1), |info| {
            (info.stream.to_owned(), info.delivered)
        });
        if message.subject.as_str() != self.task_subject || stream != self.config.stream {
            tracing::warn!(
                target: "nadoo_flow::backend",
                subject = %message.subject,
                %stream,
                "task refused: it is not from `{}` on `{}`",
                self.config.stream,
                self.task_subject,
            );
            let _ = message.ack_with(AckKind::Term).await;
            return;
        }
        let mut task = match decode_task(&message.payload) {
            Ok(task) => task,
            Err(error) => {
                tracing::warn!(target: "nadoo_flow::backend", %error, "unreadable task terminated");
                self.refuse_unreadable(&message.payload, &error).await;
                let _ = message.ack_with(AckKind::Term).await;
                return;
            }
        };
        // A result goes only where a coordinator of this configuration listens: a task may
        // not make the worker publish, with its credentials, anywhere else.
        if !is_result_subject(&task.reply, &self.results) {
            tracing::warn!(
                target: "nadoo_flow::backend",
                node = %task.node_id,
                reply = %task.reply,
                "task refused: its reply subject is not under `{}`",
                self.results,
            );
            let _ = message.ack_with(AckKind::Term).await;
            return;
        }
        let deadline = self.deadline(&task);
        if delivered > 1 {
            tracing::debug!(target: "nadoo_flow::backend", node = %task.node_id, task = %task.task_id, delivery = delivered, "task delivered again");
        }
        if let Some(refusal) = self.refusal(&task, delivered, deadline) {
            self.answer(&message, &task, (refusal, Vec::new()), deadline)
                .await;
            let _ = message.ack_with(AckKind::Term).await;
            return;
        }
        let made =
            NodeRegistry::info(&task.kind).and_then(|kind| kind.create_from_value(&task.config));
        let node = match made {
            Ok(node) => node,
            Err(error) => {
                let result = NodeResult::failed(format!(
                    "this worker cannot make node kind `{}`: {error}",
                    task.kind
                ));
                self.answer(&message, &task, (result, Vec::new()), deadline)
                    .await;
                // Another worker would lack the kind too: no endless redelivery.
                let _ = message.ack_with(AckKind::Term).await;
                return;
            }
        };

        let Some(cancelled) = self.cancellations.start(&task.task_id) else {
            // Its coordinator stopped waiting before it started here.
            let _ = message.ack_with(AckKind::Term).await;
            return;
        };
        // The node's own events go back with its result when the coordinator listens.
        let recorder = task.events.then(|| task.context.record_events());
        let execution = AssertUnwindSafe(node.execute(&task.context)).catch_unwind();
        let run = async {
            tokio::select! {
                outcome = execution => Some(outcome),
                () = cancelled.cancelled() => None,
                () = tokio::time::sleep_until(deadline) => None,
            }
        };
        let outcome = self.holding(&message, run).await;
        self.cancellations.finish(&task.task_id);
        let Some(outcome) = outcome else {
            // Stopped: the node is dropped, its slot freed, and nobody waits for an answer.
            tracing::debug!(target: "nadoo_flow::backend", node = %task.node_id, "task stopped: cancelled by its coordinator or past its deadline");
            let _ = message.ack_with(AckKind::Term).await;
            return;
        };
        let result = match outcome {
            Ok(outcome) => NodeResult::from_outcome(outcome),
            Err(panic) => NodeResult::panicked(panic.as_ref()),
        };
        let events = recorder.map(|recorder| recorder.take()).unwrap_or_default();
        if self
            .answer(&message, &task, (result, events), deadline)
            .await
        {
            // Only now: a worker that dies before this line leaves the task to be delivered
            // again, and a result the server has not stored leaves it too.
            let _ = message.ack().await;
        } else {
            let _ = message.ack_with(AckKind::Term).await;
        }
    }

    /// Why `task` is answered without running it: delivered too often, or nobody waits for
    /// it any more.
    fn refusal(&self, task: &Task, delivered: i64, deadline: Instant) -> Option<NodeResult> {
        if delivered > self.config.max_deliver {
            return Some(NodeResult::failed(format!(
                "its task was delivered {} times without a result (poison task); see the workers' logs",
                self.config.max_deliver
            )));
        }
        if deadline <= Instant::now() {
            return Some(NodeResult::failed(format!(
                "its task reached a worker after its deadline (attempt {}); are the workers busy, or are the clocks of coordinator and worker apart?",
                task.attempt
            )));
        }
        None
    }

    /// When nobody waits for the result of `task` any more: its deadline, and never later
    /// than this worker's own `result_timeout` from now.
    fn deadline(&self, task: &Task) -> Instant {
        let longest = self.config.result_timeout;
        let left = task.deadline_ms.map_or(longest, |deadline| {
            let now = to_millis(SystemTime::now());
            Duration::from_millis(deadline.saturating_sub(now)).min(longest)
        });
        Instant::now() + left
    }

    /// Runs `work` while telling the server the task is still being worked on, so that it is
    /// not delivered to another worker.
    async fn holding<F: Future>(&self, message: &jetstream::Message, work: F) -> F::Output {
        let every = (self.config.ack_wait / 3).max(Duration::from_millis(10));
        let mut progress = tokio::time::interval_at(Instant::now() + every, every);
        tokio::pin!(work);
        loop {
            tokio::select! {
                output = &mut work => return output,
                _ = progress.tick() => {
                    let _ = message.ack_with(AckKind::Progress).await;
                }
            }
        }
    }

    /// Stores the result of `task` in the result stream, trying again until `deadline`, and
    /// keeps the task from being delivered again meanwhile; whether the server stored it.
    async fn answer(
        &self,
        message: &jetstream::Message,
        task: &Task,
        (result, events): (NodeResult, Vec<NodeEvent>),
        deadline: Instant,
    ) -> bool {
        let Some(encoded) = self.encode(&task.task_id, result, events) else {
            return false;
        };
        let stored = self.answers.store(&task.reply, encoded, deadline);
        self.holding(message, stored).await
    }

    /// The result as the coordinator reads it; a result larger than the server accepts
    /// becomes an error saying so.
    fn encode(&self, task_id: &str, result: NodeResult, events: Vec<NodeEvent>) -> Option<Vec<u8>> {
        let encode = |result, events| {
            serde_json::to_vec(&TaskResult {
                task_id: task_id.to_owned(),
                result,
                events,
            })
        };
        let payload = match encode(result, events) {
            // Two bytes for the brackets of the message that carries it.
            Ok(payload) if payload.len() + 2 <= self.max_payload => payload,
            Ok(payload) => encode(
                NodeResult::failed(format!(
                    "its result is {} bytes; the server accepts at most {} bytes per message",
                    payload.len(),
                    self.max_payload
                )),
                Vec::new(),
            )
            .ok()?,
            Err(error) => encode(
                NodeResult::failed(format!("its result cannot be encoded: {error}")),
                Vec::new(),
            )
            .ok()?,
        };
        Some(payload)
    }

    /// Answers a task that does not read as one with an error, when its id and a valid reply
    /// subject can be read, so that its coordinator does not wait `result_timeout` for nothing.
    async fn refuse_unreadable(&self, payload: &[u8], error: &serde_json::Error) {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(payload) else {
            return;
        };
        let (Some(task_id), Some(reply)) = (value["task_id"].as_str(), value["reply"].as_str())
        else {
            return;
        };
        if !is_result_subject(reply, &self.results) {
            return;
        }
        let result = NodeResult::failed(format!("the worker cannot read this task: {error}"));
        let Some(encoded) = self.encode(task_id, result, Vec::new()) else {
            return;
        };
        let deadline = Instant::now() + self.config.request_timeout;
        if !self.answers.store(reply, encoded, deadline).await {
            tracing::warn!(target: "nadoo_flow::backend", task = %task_id, "an unreadable task could not be answered");
        }
    }
}
