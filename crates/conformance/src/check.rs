//! Small helpers for writing cases: checks that explain themselves, and a runtime.

use std::future::Future;

/// The outcome of one case: `Err` says what was expected and what happened.
pub(crate) type Outcome = Result<(), String>;

/// Fails with `message` unless `condition` holds.
pub(crate) fn ensure(condition: bool, message: impl FnOnce() -> String) -> Outcome {
    if condition { Ok(()) } else { Err(message()) }
}

/// Fails unless `actual == expected`, showing both.
pub(crate) fn equal<T: PartialEq + std::fmt::Debug>(what: &str, actual: T, expected: T) -> Outcome {
    ensure(actual == expected, || {
        format!("{what}: expected {expected:?}, got {actual:?}")
    })
}

/// Fails unless the run succeeded, showing the run's error when it did not.
pub(crate) fn succeeded(done: &nadoo_flow_core::WorkflowContext) -> Outcome {
    ensure(
        done.status == nadoo_flow_core::WorkflowStatus::Success,
        || {
            format!(
                "status: expected Success, got {:?} ({})",
                done.status,
                done.error.as_deref().unwrap_or("no error recorded")
            )
        },
    )
}

/// Runs `future` on a fresh two-thread runtime, as a program would.
pub(crate) fn block_on<F: Future>(future: F) -> Result<F::Output, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    Ok(runtime.block_on(future))
}

/// `result` with its error as text.
pub(crate) fn text<T, E: std::fmt::Display>(what: &str, result: Result<T, E>) -> Result<T, String> {
    result.map_err(|e| format!("{what}: {e}"))
}

/// How long a node the coordinator stopped waiting for may go on running in the backend.
const STOP_BOUND: std::time::Duration = std::time::Duration::from_secs(5);

/// Fails unless an execution of the `conformance-hold` nodes with `key` (`what`, say "node
/// `slow`") started in the backend, and none of them runs there any more within 5 s: the
/// backend stopped the node where it ran, not only in what the coordinator reports. `after`
/// says what should have stopped it ("it timed out").
///
/// Await it on the run's runtime, with the backend instance alive, as in a program that goes
/// on after the run: a backend may send its stop message from a task of that runtime.
pub(crate) async fn stopped_in_backend(key: &str, what: &str, after: &str) -> Outcome {
    let deadline = tokio::time::Instant::now() + STOP_BOUND;
    let mut holding = crate::kinds::holding(key);
    while holding > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        holding = crate::kinds::holding(key);
    }
    let started = crate::kinds::started(key);
    crate::kinds::forget_holds(key);
    ensure(started >= 1, || {
        format!("{what} never started in the backend, so its stopping could not be checked")
    })?;
    ensure(holding == 0, || {
        format!(
            "{what} still runs in the backend {} s after {after} ({holding} of {started} \
             executions still held)",
            STOP_BOUND.as_secs()
        )
    })
}
