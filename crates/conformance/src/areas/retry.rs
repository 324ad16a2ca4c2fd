//! Retries with backoff, and timeouts that stop the node where it runs.

use std::time::Duration;

use libtest_mimic::Trial;
use nadoo_flow_core::{RunOptions, WorkflowContext, WorkflowStatus};
use serde_json::json;

use super::{create, hold_key, trial, workflow};
use crate::check::{Outcome, block_on, equal, stopped_in_backend, succeeded, text};

pub(crate) fn trials(backend: &'static str) -> Vec<Trial> {
    vec![
        trial("retry", "retries_until_success", backend, retries),
        trial("retry", "retries_run_out", backend, retries_run_out),
        trial("retry", "timeout_fails_the_attempt", backend, timeout),
    ]
}

const FLAKY: &str = r#"
[[nodes]]
id = "start"
kind = "start"
next = ["flaky"]

[[nodes]]
id = "flaky"
kind = "conformance-flaky"
config = { succeed_on_attempt = 3 }
retries = 2
"#;

fn retries(backend: &'static str) -> Outcome {
    let wf = workflow(FLAKY)?;
    let options = RunOptions::new().retry_backoff(Duration::from_millis(1));
    let done = block_on(create(backend)?.run_workflow(&wf, WorkflowContext::new(), options))?;
    let done = text("run", done)?;
    succeeded(&done)?;
    equal(
        "attempt",
        done.node_contexts.get("flaky").map(|c| c.attempt),
        Some(3),
    )?;
    equal(
        "output",
        done.output("flaky").cloned(),
        Some(json!({ "attempt": 3 })),
    )
}

fn retries_run_out(backend: &'static str) -> Outcome {
    let wf = workflow(&FLAKY.replace("retries = 2", "retries = 1"))?;
    let options = RunOptions::new().retry_backoff(Duration::from_millis(1));
    let done = block_on(create(backend)?.run_workflow(&wf, WorkflowContext::new(), options))?;
    let done = text("run", done)?;
    equal("status", done.status, WorkflowStatus::Failed)?;
    equal(
        "error",
        done.error.as_deref(),
        Some("node `flaky` failed: attempt 2 failed"),
    )
}

/// A node that holds a minute, recorded under `key`, with a 100 ms timeout.
fn slow(key: &str) -> String {
    format!(
        r#"
[[nodes]]
id = "start"
kind = "start"
next = ["slow"]

[[nodes]]
id = "slow"
kind = "conformance-hold"
config = {{ ms = 60000, key = "{key}" }}
timeout = "100ms"
"#
    )
}

/// The timeout fails the attempt, and the node stops where it runs.
fn timeout(backend: &'static str) -> Outcome {
    let key = hold_key(backend, "timeout");
    let wf = workflow(&slow(&key))?;
    let instance = create(backend)?;
    let (done, stopped) = block_on(async {
        let done = instance.execute_workflow(&wf, WorkflowContext::new()).await;
        (
            done,
            stopped_in_backend(&key, "node `slow`", "it timed out").await,
        )
    })?;
    let done = text("run", done)?;
    equal("status", done.status, WorkflowStatus::Failed)?;
    equal(
        "error",
        done.error.as_deref(),
        Some("node `slow` failed: timed out after 100ms"),
    )?;
    stopped
}
