//! Errors are values: a panicking node fails the run, unknown names are typed errors.

use libtest_mimic::Trial;
use nadoo_flow_core::{BackendRegistry, Error, WorkflowContext, WorkflowStatus};

use super::{create, trial, workflow};
use crate::check::{Outcome, block_on, equal, text};

pub(crate) fn trials(backend: &'static str) -> Vec<Trial> {
    vec![
        trial("errors", "a_panicking_node_fails_the_run", backend, panic),
        trial(
            "errors",
            "unknown_backend_is_a_typed_error",
            backend,
            unknown,
        ),
    ]
}

const PANICS: &str = r#"
[[nodes]]
id = "start"
kind = "start"
next = ["boom"]

[[nodes]]
id = "boom"
kind = "conformance-panic"
config = { message = "conformance panic" }
"#;

fn panic(backend: &'static str) -> Outcome {
    let wf = workflow(PANICS)?;
    let done = block_on(create(backend)?.execute_workflow(&wf, WorkflowContext::new()))?;
    let done = text("run", done)?;
    equal("status", done.status, WorkflowStatus::Failed)?;
    equal(
        "error",
        done.error.as_deref(),
        Some("node `boom` failed: panicked: conformance panic"),
    )
}

fn unknown(backend: &'static str) -> Outcome {
    let misspelt = format!("{backend}-conformance-typo");
    match BackendRegistry::create(&misspelt, ()) {
        Err(Error::UnknownBackend {
            name, available, ..
        }) => {
            equal("name", name, misspelt)?;
            equal("lists the backend", available.contains(&backend), true)
        }
        Err(other) => Err(format!("expected UnknownBackend, got: {other}")),
        Ok(_) => Err(format!("`{misspelt}` was created")),
    }
}
