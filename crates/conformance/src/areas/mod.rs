//! The suite's areas, one module each.

mod cancel;
mod concurrency;
mod config;
mod errors;
mod register;
mod retry;
mod run;

use libtest_mimic::Trial;
use nadoo_flow_core::{Backend, BackendRegistry, Capabilities, Capability, Workflow};

use crate::check::Outcome;

/// Every case for `backend`, those needing undeclared capabilities left out.
pub(crate) fn trials(backend: &'static str, capabilities: Capabilities) -> Vec<Trial> {
    let mut trials = Vec::new();
    trials.extend(register::trials(backend));
    trials.extend(config::trials(backend));
    trials.extend(run::trials(backend));
    trials.extend(retry::trials(backend));
    trials.extend(cancel::trials(backend));
    trials.extend(errors::trials(backend));
    if capabilities.has(Capability::Parallel) {
        trials.extend(concurrency::trials(backend));
    }
    trials
}

/// A trial named `conformance::<area>::<case>` running `case` against `backend`.
pub(crate) fn trial(
    area: &str,
    case: &str,
    backend: &'static str,
    case_fn: fn(&'static str) -> Outcome,
) -> Trial {
    Trial::test(format!("conformance::{area}::{case}"), move || {
        case_fn(backend).map_err(Into::into)
    })
}

/// A new instance of `backend` with its default configuration.
pub(crate) fn create(backend: &str) -> Result<Box<dyn Backend>, String> {
    BackendRegistry::create(backend, ()).map_err(|e| format!("create(\"{backend}\"): {e}"))
}

/// The workflow in TOML `text`.
pub(crate) fn workflow(text: &str) -> Result<Workflow, String> {
    Workflow::from_toml("conformance.toml", text).map_err(|e| e.to_string())
}
