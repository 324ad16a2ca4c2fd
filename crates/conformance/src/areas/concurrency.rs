//! Backends that declare `parallel` run independent nodes at the same time.

use libtest_mimic::Trial;
use nadoo_flow_core::{RunEvent, RunOptions, WorkflowContext, WorkflowStatus};

use super::{create, trial, workflow};
use crate::check::{Outcome, block_on, ensure, equal, text};

pub(crate) fn trials(backend: &'static str) -> Vec<Trial> {
    vec![trial("concurrency", "fan_out_overlaps", backend, overlap)]
}

const WIDE: &str = r#"
[[nodes]]
id = "start"
kind = "start"
next = ["a", "b", "c", "d"]

[[nodes]]
id = "a"
kind = "sleep"
config = { ms = 300 }

[[nodes]]
id = "b"
kind = "sleep"
config = { ms = 300 }

[[nodes]]
id = "c"
kind = "sleep"
config = { ms = 300 }

[[nodes]]
id = "d"
kind = "sleep"
config = { ms = 300 }
"#;

/// All four siblings start before any of them finishes: observed in the event order, not in
/// elapsed time.
fn overlap(backend: &'static str) -> Outcome {
    let wf = workflow(WIDE)?;
    let instance = create(backend)?;
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let done = block_on(instance.run_workflow(
        &wf,
        WorkflowContext::new(),
        RunOptions::new().events(sender),
    ))?;
    equal("status", text("run", done)?.status, WorkflowStatus::Success)?;
    let mut events = Vec::new();
    while let Ok(event) = receiver.try_recv() {
        events.push(event);
    }
    let siblings = ["a", "b", "c", "d"];
    let first_finish = events
        .iter()
        .position(|e| matches!(e, RunEvent::NodeFinished { node, .. } if siblings.contains(&node.as_str())))
        .unwrap_or(events.len());
    let started_before = events[..first_finish]
        .iter()
        .filter(|e| matches!(e, RunEvent::NodeStarted { node, .. } if siblings.contains(&node.as_str())))
        .count();
    ensure(started_before == siblings.len(), || {
        format!(
            "only {started_before} of 4 siblings started before the first finished: they did not run concurrently"
        )
    })
}
