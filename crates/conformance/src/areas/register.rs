//! The backend is registered, and an instance says what its registration says.

use libtest_mimic::Trial;
use nadoo_flow_core::BackendRegistry;

use super::{create, trial};
use crate::check::{Outcome, equal, text};

pub(crate) fn trials(backend: &'static str) -> Vec<Trial> {
    vec![
        trial("register", "is_registered", backend, is_registered),
        trial(
            "register",
            "instance_matches_registration",
            backend,
            instance_matches,
        ),
    ]
}

/// Fails when the backend's crate is not linked: a suite that tested nothing would pass.
fn is_registered(backend: &'static str) -> Outcome {
    let available = text("list_available", BackendRegistry::list_available())?;
    if available.contains(&backend) {
        return Ok(());
    }
    Err(format!(
        "backend `{backend}` is not registered; linked backends: {available:?}. Is its crate \
         named in the test (`use the_crate as _;`)?"
    ))
}

fn instance_matches(backend: &'static str) -> Outcome {
    let registration = text("info", BackendRegistry::info(backend))?;
    let instance = create(backend)?;
    equal("name()", instance.name(), backend)?;
    equal(
        "capabilities()",
        instance.capabilities(),
        registration.capabilities(),
    )?;
    equal("registered name", registration.name(), backend)
}
