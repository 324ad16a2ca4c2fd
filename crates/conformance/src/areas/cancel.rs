//! Cancelling a run stops its nodes promptly and leaves a consistent context.

use std::time::Duration;

use libtest_mimic::Trial;
use nadoo_flow_core::{CancellationToken, NodeStatus, RunOptions, WorkflowContext, WorkflowStatus};

use super::{create, trial, workflow};
use crate::check::{Outcome, block_on, equal, text};

pub(crate) fn trials(backend: &'static str) -> Vec<Trial> {
    vec![trial(
        "cancel",
        "cancel_handle_stops_the_run",
        backend,
        cancel_handle,
    )]
}

const SLEEPERS: &str = r#"
[[nodes]]
id = "start"
kind = "start"
next = ["a", "b"]

[[nodes]]
id = "a"
kind = "sleep"
config = { ms = 60000 }

[[nodes]]
id = "b"
kind = "sleep"
config = { ms = 60000 }
"#;

fn cancel_handle(backend: &'static str) -> Outcome {
    let wf = workflow(SLEEPERS)?;
    let instance = create(backend)?;
    let token = CancellationToken::new();
    let done = block_on(async {
        let canceller = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            canceller.cancel();
        });
        let run = instance.run_workflow(
            &wf,
            WorkflowContext::new(),
            RunOptions::new().cancel_on(token),
        );
        // The nodes sleep a minute; a run that ignores the cancel handle trips this limit.
        tokio::time::timeout(Duration::from_secs(30), run).await
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
    Ok(())
}
