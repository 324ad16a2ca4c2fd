//! The worker: pulls tasks from the shared durable consumer, runs each node from the node-kind
//! registry, publishes the result, and only then acknowledges the task.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::AckKind;
use futures::{FutureExt, StreamExt};
use nadoo_flow_core::{CancellationToken, NodeRegistry, NodeResult, Result};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::cancel::Cancellations;
use crate::client::{connect, failure, task_consumer, task_stream};
use crate::config::NatsConfig;
use crate::task::{Task, TaskResult};

/// Serves tasks until `shutdown` is cancelled, then lets the tasks it started finish.
///
/// Delivery is at least once: a task whose worker dies before acknowledging it is delivered
/// again after `ack_wait`; a task whose kind this worker lacks is answered with an error and
/// terminated, so it is not delivered forever.
///
/// # Errors
///
/// When the server cannot be reached or the stream or consumer cannot be opened.
pub async fn run(config: &NatsConfig, shutdown: CancellationToken) -> Result<()> {
    let (client, js) = connect(config, "nadoo-flow worker").await?;
    let stream = task_stream(&js, config).await?;
    let consumer = task_consumer(&stream, config).await?;
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(config.worker_concurrency)
        .messages()
        .await
        .map_err(|e| failure("cannot pull tasks", e))?;
    let cancellations = Cancellations::default();
    let cancels = client
        .subscribe(crate::cancel::subject(&config.subject_prefix, "*"))
        .await
        .map_err(|e| failure("cannot subscribe to cancellations", e))?;
    let stop_listening = CancellationToken::new();
    let listener = tokio::spawn(crate::cancel::listen(
        cancels,
        cancellations.clone(),
        stop_listening.clone(),
    ));
    tracing::info!(target: "nadoo_flow::backend", url = %nadoo_flow_core::redact_list(&config.url), stream = %config.stream, "worker started");

    let slots = Arc::new(Semaphore::new(config.worker_concurrency));
    let mut running = JoinSet::new();
    loop {
        let slot = tokio::select! {
            () = shutdown.cancelled() => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let message = tokio::select! {
            () = shutdown.cancelled() => break,
            message = messages.next() => message,
        };
        match message {
            None => break,
            Some(Err(error)) => {
                tracing::warn!(target: "nadoo_flow::backend", %error, "pulling tasks");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Some(Ok(message)) => {
                let client = client.clone();
                let ack_wait = config.ack_wait;
                let results = config.results_prefix();
                let cancellations = cancellations.clone();
                running.spawn(async move {
                    serve(client, message, ack_wait, &results, &cancellations).await;
                    drop(slot);
                });
            }
        }
        while running.try_join_next().is_some() {}
    }
    // Graceful: the tasks already started finish, answer and acknowledge; tasks pulled but not
    // started are delivered to another worker after `ack_wait`.
    while running.join_next().await.is_some() {}
    stop_listening.cancel();
    let _ = listener.await;
    Ok(())
}

/// Runs one task and answers it.
async fn serve(
    client: async_nats::Client,
    message: async_nats::jetstream::Message,
    ack_wait: Duration,
    results: &str,
    cancellations: &Cancellations,
) {
    let task: Task = match serde_json::from_slice(&message.payload) {
        Ok(task) => task,
        Err(error) => {
            tracing::warn!(target: "nadoo_flow::backend", %error, "unreadable task terminated");
            refuse_unreadable(&client, &message.payload, &error, results).await;
            let _ = message.ack_with(AckKind::Term).await;
            return;
        }
    };
    // A result goes only where a coordinator of this configuration listens: a task may not
    // make the worker publish, with its credentials, anywhere else (the JetStream API, say).
    if !is_result_subject(&task.reply, results) {
        tracing::warn!(
            target: "nadoo_flow::backend",
            node = %task.node_id,
            reply = %task.reply,
            "task refused: its reply subject is not under `{results}`"
        );
        let _ = message.ack_with(AckKind::Term).await;
        return;
    }
    let made = NodeRegistry::info(&task.kind).and_then(|kind| kind.create_from_value(&task.config));
    let node = match made {
        Ok(node) => node,
        Err(error) => {
            let result = NodeResult::failed(format!(
                "this worker cannot make node kind `{}`: {error}",
                task.kind
            ));
            answer(&client, &task, result).await;
            // Another worker would lack the kind too: no endless redelivery.
            let _ = message.ack_with(AckKind::Term).await;
            return;
        }
    };

    let Some(cancelled) = cancellations.start(&task.task_id) else {
        // Its coordinator stopped waiting before it started here.
        let _ = message.ack_with(AckKind::Term).await;
        return;
    };
    let execution = AssertUnwindSafe(node.execute(&task.context)).catch_unwind();
    tokio::pin!(execution);
    let mut progress = tokio::time::interval((ack_wait / 3).max(Duration::from_millis(10)));
    progress.tick().await;
    let outcome = loop {
        tokio::select! {
            outcome = &mut execution => break Some(outcome),
            () = cancelled.cancelled() => break None,
            _ = progress.tick() => {
                // Still working: keep the task from being delivered to another worker.
                let _ = message.ack_with(AckKind::Progress).await;
            }
        }
    };
    cancellations.finish(&task.task_id);
    let Some(outcome) = outcome else {
        // Stopped: the node is dropped, its slot freed, and nobody waits for an answer.
        tracing::debug!(target: "nadoo_flow::backend", node = %task.node_id, "task cancelled by its coordinator");
        let _ = message.ack_with(AckKind::Term).await;
        return;
    };
    let result = match outcome {
        Ok(outcome) => NodeResult::from_outcome(outcome),
        Err(panic) => NodeResult::panicked(panic.as_ref()),
    };
    answer(&client, &task, result).await;
    // Only now: a worker that dies before this line leaves the task to be delivered again.
    let _ = message.ack().await;
}

/// Publishes the result of `task` to its coordinator.
async fn answer(client: &async_nats::Client, task: &Task, result: NodeResult) {
    let reply = TaskResult {
        task_id: task.task_id.clone(),
        result,
    };
    match serde_json::to_vec(&reply) {
        Ok(payload) => {
            if let Err(error) = client.publish(task.reply.clone(), payload.into()).await {
                tracing::warn!(target: "nadoo_flow::backend", %error, node = %task.node_id, "publishing a result");
            }
            let _ = client.flush().await;
        }
        Err(error) => {
            tracing::warn!(target: "nadoo_flow::backend", %error, node = %task.node_id, "encoding a result");
        }
    }
}

/// Answers a task that does not read as one with an error, when its id and a valid reply
/// subject can be read, so that its coordinator does not wait `result_timeout` for nothing.
async fn refuse_unreadable(
    client: &async_nats::Client,
    payload: &[u8],
    error: &serde_json::Error,
    results: &str,
) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(payload) else {
        return;
    };
    let (Some(task_id), Some(reply)) = (value["task_id"].as_str(), value["reply"].as_str()) else {
        return;
    };
    if !is_result_subject(reply, results) {
        return;
    }
    let answer = TaskResult {
        task_id: task_id.to_owned(),
        result: NodeResult::failed(format!("the worker cannot read this task: {error}")),
    };
    if let Ok(payload) = serde_json::to_vec(&answer) {
        let _ = client.publish(reply.to_owned(), payload.into()).await;
        let _ = client.flush().await;
    }
}

/// Whether `subject` is `<results>.<one token of letters and digits>`: a coordinator's
/// results subject of this configuration, and nothing else.
fn is_result_subject(subject: &str, results: &str) -> bool {
    subject
        .strip_prefix(results)
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|token| !token.is_empty() && token.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::is_result_subject;

    #[test]
    fn only_this_configurations_results_subjects_are_answered() {
        let results = "nadoo.results";
        assert!(is_result_subject("nadoo.results.0123abcd", results));
        for forged in [
            "$JS.API.STREAM.DELETE.NADOO_TASKS",
            "nadoo.results",
            "nadoo.results.",
            "nadoo.results.a.b",
            "nadoo.results.*",
            "nadoo.results.>",
            "nadoo.resultsX.a",
            "other.results.a",
        ] {
            assert!(!is_result_subject(forged, results), "{forged}");
        }
    }
}
