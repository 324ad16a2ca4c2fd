//! Stopping a task a coordinator no longer waits for: its node timed out, its run was
//! cancelled or failed. The coordinator publishes the task's id on `<prefix>.cancel.<id>`;
//! every worker listens there and stops the node if it runs it, or skips it if it has not
//! started it yet.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::StreamExt;
use nadoo_flow_core::CancellationToken;

/// How long a cancellation of a task this worker has not seen is remembered, in case the
/// task reaches it later.
const REMEMBERED: Duration = Duration::from_secs(600);

/// The subject a coordinator cancels task `task_id` on.
pub(crate) fn subject(subject_prefix: &str, task_id: &str) -> String {
    format!("{subject_prefix}.cancel.{task_id}")
}

#[derive(Debug)]
enum State {
    /// Running here; cancelling the token stops it.
    Running(CancellationToken),
    /// Cancelled before it started here, at this time.
    Cancelled(Instant),
}

/// The tasks of one worker that can be cancelled.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cancellations(Arc<Mutex<HashMap<String, State>>>);

impl Cancellations {
    fn tasks(&self) -> std::sync::MutexGuard<'_, HashMap<String, State>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers task `task_id` as starting; `None` when it was cancelled already.
    pub(crate) fn start(&self, task_id: &str) -> Option<CancellationToken> {
        let mut tasks = self.tasks();
        if let Some(State::Cancelled(_)) = tasks.get(task_id) {
            tasks.remove(task_id);
            return None;
        }
        let token = CancellationToken::new();
        tasks.insert(task_id.to_owned(), State::Running(token.clone()));
        Some(token)
    }

    /// Forgets task `task_id`, which ended.
    pub(crate) fn finish(&self, task_id: &str) {
        self.tasks().remove(task_id);
    }

    /// Cancels task `task_id`: stops it if it runs, or remembers it for a while.
    pub(crate) fn cancel(&self, task_id: &str) {
        let mut tasks = self.tasks();
        match tasks.get(task_id) {
            Some(State::Running(token)) => token.cancel(),
            _ => {
                let now = Instant::now();
                tasks.retain(|_, state| match state {
                    State::Cancelled(at) => now.duration_since(*at) < REMEMBERED,
                    State::Running(_) => true,
                });
                tasks.insert(task_id.to_owned(), State::Cancelled(now));
            }
        }
    }

    /// How many tasks are known (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.tasks().len()
    }
}

/// Listens for cancellations until `shutdown`.
pub(crate) async fn listen(
    mut cancels: async_nats::Subscriber,
    cancellations: Cancellations,
    shutdown: CancellationToken,
) {
    loop {
        let message = tokio::select! {
            () = shutdown.cancelled() => break,
            message = cancels.next() => message,
        };
        let Some(message) = message else { break };
        if let Some(task_id) = message.subject.rsplit('.').next() {
            cancellations.cancel(task_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_is_stopped_while_it_runs_or_skipped_before_it_starts() {
        let cancellations = Cancellations::default();
        let token = cancellations.start("a").expect("not cancelled");
        cancellations.cancel("a");
        assert!(token.is_cancelled());
        cancellations.finish("a");

        cancellations.cancel("b");
        assert!(
            cancellations.start("b").is_none(),
            "cancelled before it started"
        );
        assert_eq!(cancellations.len(), 0);
    }
}
