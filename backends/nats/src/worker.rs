//! The worker: pulls tasks from the shared durable consumer, one per free slot, and serves
//! each (see `serve`): runs the node from the node-kind registry, stores the result in the
//! result stream, and only then acknowledges the task.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use nadoo_flow_core::{CancellationToken, Result};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::cancel::Cancellations;
use crate::client::{connect, failure, result_stream, task_consumer, task_stream};
use crate::config::NatsConfig;
use crate::serve::Server;

/// How long one pull request of a worker waits for tasks before it asks again.
const PULL_EXPIRY: Duration = Duration::from_secs(2);

/// How long after its expiry a pull request counts as lost (the server restarted, say) and
/// is made again.
const PULL_GRACE: Duration = Duration::from_secs(1);

/// Serves tasks until `shutdown` is cancelled, then lets the tasks it started finish.
///
/// Delivery is at least once: a task whose worker dies before acknowledging it is delivered
/// again after `ack_wait`. A worker asks the server only for as many tasks as it has free
/// slots, so no task waits unacknowledged in its buffer while every slot is busy. A task
/// whose kind this worker lacks is answered with an error and terminated, so it is not
/// delivered forever; so is a task delivered more than `max_deliver` times (a poison task).
///
/// # Errors
///
/// When the server cannot be reached or the streams or the consumer cannot be opened.
pub async fn run(config: &NatsConfig, shutdown: CancellationToken) -> Result<()> {
    let (client, js) = connect(config, "nadoo-flow worker").await?;
    let stream = task_stream(&js, config).await?;
    result_stream(&js, config).await?;
    let consumer = task_consumer(&stream, config).await?;
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

    let server = Arc::new(Server::new(client, js, config.clone(), cancellations));
    let slots = Arc::new(Semaphore::new(config.worker_concurrency));
    let mut running = JoinSet::new();
    'pulling: loop {
        // Wait for a free slot, then take every free one: one task is asked for per slot.
        let first = tokio::select! {
            () = shutdown.cancelled() => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let mut free = vec![first];
        while let Ok(slot) = Arc::clone(&slots).try_acquire_owned() {
            free.push(slot);
        }
        let batch = consumer
            .batch()
            .max_messages(free.len())
            .expires(PULL_EXPIRY)
            .messages()
            .await;
        let mut batch = match batch {
            Ok(batch) => batch,
            Err(error) => {
                tracing::warn!(target: "nadoo_flow::backend", %error, "pulling tasks");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_millis(250)) => continue,
                }
            }
        };
        let lost = tokio::time::sleep(PULL_EXPIRY + PULL_GRACE);
        tokio::pin!(lost);
        loop {
            let next = tokio::select! {
                () = shutdown.cancelled() => break 'pulling,
                () = &mut lost => break,
                next = batch.next() => next,
            };
            match next {
                None => break,
                Some(Err(error)) => {
                    tracing::debug!(target: "nadoo_flow::backend", %error, "pulling tasks");
                    break;
                }
                Some(Ok(message)) => {
                    // A batch brings at most one task per slot taken for it.
                    let Some(slot) = free.pop() else { break };
                    let server = Arc::clone(&server);
                    running.spawn(async move {
                        server.serve(message).await;
                        drop(slot);
                    });
                }
            }
        }
        drop(free);
        while running.try_join_next().is_some() {}
    }
    // Graceful: the tasks already started finish, answer and acknowledge; tasks pulled but not
    // started are delivered to another worker after `ack_wait`.
    while running.join_next().await.is_some() {}
    stop_listening.cancel();
    let _ = listener.await;
    Ok(())
}

/// Whether `subject` is `<results>.<one token of letters and digits>`: a coordinator's
/// results subject of this configuration, and nothing else.
pub(crate) fn is_result_subject(subject: &str, results: &str) -> bool {
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
