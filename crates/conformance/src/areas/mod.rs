//! The suite's areas, one module each.

mod cancel;
mod concurrency;
mod config;
mod errors;
mod register;
mod retry;
mod run;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use libtest_mimic::Trial;
use nadoo_flow_core::{Backend, BackendRegistry, Capabilities, Capability, Workflow};
use serde_json::Value;

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

/// The configuration the suite makes instances from (`null`: the backend's defaults).
pub(crate) static CONFIG: OnceLock<Value> = OnceLock::new();

/// The suite's configuration with `extra` keys added.
pub(crate) fn config_with(extra: Value) -> Value {
    let mut config = match CONFIG.get() {
        Some(Value::Object(map)) => Value::Object(map.clone()),
        _ => Value::Object(serde_json::Map::new()),
    };
    if let (Value::Object(map), Value::Object(extra)) = (&mut config, extra) {
        map.extend(extra);
    }
    config
}

/// A new instance of `backend` made from the suite's configuration.
pub(crate) fn create(backend: &str) -> Result<Box<dyn Backend>, String> {
    let config = CONFIG.get().cloned().unwrap_or(Value::Null);
    BackendRegistry::create(backend, config).map_err(|e| format!("create(\"{backend}\"): {e}"))
}

/// A key for `conformance-hold` nodes of `case` that no other trial, run or process uses.
pub(crate) fn hold_key(backend: &str, case: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{backend}-{case}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The workflow in TOML `text`.
pub(crate) fn workflow(text: &str) -> Result<Workflow, String> {
    Workflow::from_toml("conformance.toml", text).map_err(|e| e.to_string())
}
