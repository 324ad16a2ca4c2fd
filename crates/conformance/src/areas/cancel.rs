//! Cancelling a run stops its nodes promptly, where they run, and leaves a consistent context.

use std::time::Duration;

use libtest_mimic::Trial;
use nadoo_flow_core::{CancellationToken, NodeStatus, RunOptions, WorkflowContext, WorkflowStatus};

use super::{create, hold_key, trial, workflow};
use crate::check::{Outcome, block_on, equal, stopped_in_backend, text};
use crate::kinds;

pub(crate) fn trials(backend: &'static str) -> Vec<Trial> {
    vec![trial(
        "cancel",
        "cancel_handle_stops_the_run",
        backend,
        cancel_handle,
    )]
}

/// Two nodes that hold a minute, recorded under `key`.
fn holders(key: &str) -> String {
    format!(
        r#"
[[nodes]]
id = "start"
kind = "start"
next = ["a", "b"]

[[nodes]]
id = "a"
kind = "conformance-hold"
config = {{ ms = 60000, key = "{key}" }}

[[nodes]]
id = "b"
kind = "conformance-hold"
config = {{ ms = 60000, key = "{key}" }}
"#
    )
}

/// Cancels a run once a node runs in the backend (and 100 ms have passed): the run fails as
/// cancelled, and no execution of its nodes goes on in the backend.
fn cancel_handle(backend: &'static str) -> Outcome {
    let key = hold_key(backend, "cancel");
    let wf = workflow(&holders(&key))?;
    let instance = create(backend)?;
    let token = CancellationToken::new();
    let (done, stopped) = block_on(async {
        let canceller = token.clone();
        let watched = key.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            // Cancel a node that runs, not one still on its way: that is what must stop. A
            // backend that never starts one is cancelled anyway, and fails the check below.
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while kinds::started(&watched) == 0 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            canceller.cancel();
        });
        let run = instance.run_workflow(
            &wf,
            WorkflowContext::new(),
            RunOptions::new().cancel_on(token),
        );
        // The nodes hold a minute; a run that ignores the cancel handle trips this limit.
        let done = tokio::time::timeout(Duration::from_secs(30), run).await;
        let stopped = stopped_in_backend(&key, "node `a` or `b`", "the run was cancelled");
        (done, stopped.await)
    })?;
    let done = text("run", text("cancellation", done)?)?;
    equal("status", done.status, WorkflowStatus::Failed)?;
    equal("error", done.error.as_deref(), Some("run cancelled"))?;
    for node in ["a", "b"] {
        let status = done.node_contexts.get(node).map(|c| c.status);
        equal(
            &format!("{node}'s status"),
            status,
            Some(NodeStatus::Failed),
        )?;
    }
    stopped
}
