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
