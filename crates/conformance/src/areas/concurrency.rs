//! Backends that declare `parallel` run independent nodes at the same time.

use libtest_mimic::Trial;
use nadoo_flow_core::{Workflow, WorkflowContext};

use super::{create, trial};
use crate::check::{Outcome, block_on, succeeded, text};

pub(crate) fn trials(backend: &'static str) -> Vec<Trial> {
    vec![trial("concurrency", "fan_out_overlaps", backend, overlap)]
}

/// How many siblings must be executing at once.
const SIBLINGS: usize = 4;

/// A fan-out of four siblings that each wait, inside their execution, until all four are
/// executing: it succeeds only if the backend really runs them at the same time. Counting
/// start events would not do: the scheduler reports a start before the backend runs the node.
fn overlap(backend: &'static str) -> Outcome {
    let dir = std::env::temp_dir().join(format!(
        "nadoo-flow-rendezvous-{}-{}",
        std::process::id(),
        backend
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    let siblings: Vec<String> = (0..SIBLINGS).map(|i| format!("s{i}")).collect();
    let mut toml = format!("[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = {siblings:?}\n");
    for id in &siblings {
        toml.push_str(&format!(
            "\n[[nodes]]\nid = \"{id}\"\nkind = \"conformance-rendezvous\"\n\
             config = {{ dir = {:?}, parties = {SIBLINGS} }}\n",
            dir.display().to_string()
        ));
    }
    let wf = text("workflow", Workflow::from_toml("wide.toml", &toml))?;
    let instance = create(backend)?;
    let done = block_on(instance.execute_workflow(&wf, WorkflowContext::new()));
    let _ = std::fs::remove_dir_all(&dir);
    succeeded(&text("run", done?)?)
}
