//! Run: `cargo run --example choose_backend`
//!
//! Choosing a backend by what a job needs, from whatever this program links.

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use nadoo_flow::{BackendRegistry, Capability};

/// The first linked backend that has every capability in `needs`, else the default.
fn choose(needs: &[Capability]) -> Result<&'static str, nadoo_flow::Error> {
    for registration in BackendRegistry::registrations()? {
        if registration.capabilities().has_all(needs) {
            return Ok(registration.name());
        }
    }
    BackendRegistry::default_name()
}

fn main() -> anyhow::Result<()> {
    for registration in BackendRegistry::registrations()? {
        println!(
            "{:<8} {:<18} {}",
            registration.name(),
            registration.crate_name(),
            registration.capabilities()
        );
    }
    let jobs: [(&str, &[Capability]); 2] = [
        (
            "interactive",
            &[Capability::Streaming, Capability::Parallel],
        ),
        (
            "batch across machines",
            &[Capability::Distributed, Capability::Durable],
        ),
    ];
    for (job, needs) in jobs {
        let name = choose(needs)?;
        let backend = BackendRegistry::create(name, ())?;
        let fits = backend.capabilities().has_all(needs);
        println!(
            "{job}: {name}{}",
            if fits {
                ""
            } else {
                " (the default: nothing linked has all it needs)"
            }
        );
    }
    Ok(())
}
