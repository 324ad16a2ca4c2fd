//! **The suite every `nadoo-flow` backend must pass** (the seed's `BackendValidator`, as a
//! test suite rather than a runtime check), and a recording backend for tests.
//!
//! A backend crate runs the suite from a few lines in `tests/conformance.rs`:
//!
//! ```no_run
//! // tests/conformance.rs, declared with `harness = false` in Cargo.toml:
//! //
//! // [[test]]
//! // name = "conformance"
//! // harness = false
//! use nadoo_flow_conformance as conformance;
//! // use my_backend_crate as _; // link the backend under test
//!
//! fn main() -> std::process::ExitCode {
//!     conformance::run("my-backend")
//! }
//! ```
//!
//! Each case is a test named `conformance::<area>::<case>`; the usual test-runner arguments
//! (a filter, `--list`, `--nocapture`) work. Cases that need a capability the backend does not
//! declare are left out. The first case checks that the backend is registered at all, so a
//! crate that is not linked fails instead of passing with nothing tested.
//!
//! The workflows use registered node kinds only (the built-in ones and the `conformance-*`
//! kinds of this crate), so a distributed backend's workers can run them when they link this
//! crate.

mod areas;
mod check;
pub mod kinds;
mod recording;
pub mod stores;

use std::process::ExitCode;

use libtest_mimic::{Arguments, Trial};
use nadoo_flow_core::BackendRegistry;

pub use crate::recording::{Executed, RecordingBackend, RecordingConfig};

/// Every case of the suite for backend `name`, as test trials.
pub fn trials(name: &'static str) -> Vec<Trial> {
    let capabilities = BackendRegistry::info(name)
        .map(|r| r.capabilities())
        .unwrap_or_default();
    areas::trials(name, capabilities)
}

/// Runs the suite for backend `name` with the command line's test arguments; the exit code
/// says whether every case passed.
pub fn run(name: &'static str) -> ExitCode {
    run_with(name, serde_json::Value::Null)
}

/// Makes every instance the suite creates from `config`, for [`trials`] run by a harness of
/// one's own (one that also runs workers, say). Only the first call counts.
pub fn configure(config: serde_json::Value) {
    let _ = areas::CONFIG.set(config);
}

/// [`run`] with every instance made from `config` (a server's address, say); the
/// configuration cases add their keys to it.
pub fn run_with(name: &'static str, config: serde_json::Value) -> ExitCode {
    let _ = areas::CONFIG.set(config);
    let arguments = Arguments::from_args();
    libtest_mimic::run(&arguments, trials(name)).exit_code()
}
