//! Run: `cargo run --example choose_backend`
//!
//! Choosing a backend by what a job needs, from whatever this program links.

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use nadoo_flow::{BackendRegistry, Capability, Requirements};

fn main() -> anyhow::Result<()> {
    for registration in BackendRegistry::registrations()? {
        println!(
            "{:<8} {:<18} {}",
            registration.name(),
            registration.crate_name(),
            registration.capabilities()
        );
    }

    // The seed's strategy: a distributed job gets the first distributed backend, anything
    // else the default when it fits. Deterministic: the same program always picks the same.
    let jobs = [
        ("interactive", Requirements::new().streaming().parallel()),
        (
            "batch across machines",
            Requirements::new().distributed().durable(),
        ),
    ];
    for (job, requirements) in jobs {
        let name = BackendRegistry::select(&requirements)?;
        let backend = BackendRegistry::create(name, ())?;
        let fits = backend.capabilities().has_all(&requirements.capabilities());
        println!(
            "{job}: {name}{}",
            if fits {
                ""
            } else {
                " (the default: nothing linked has all it needs)"
            }
        );
    }

    // Strict matching: `None` when nothing linked has every capability.
    let gpu = BackendRegistry::find_by_capabilities(&[Capability::Gpu])?;
    println!("gpu: {}", gpu.unwrap_or("none linked"));
    Ok(())
}
