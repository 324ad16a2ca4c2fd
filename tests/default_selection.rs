//! The process-wide default: set_default, configure_default, from_env. One test, because the
//! default is shared by every thread of this binary.

use nadoo_flow::{BackendRegistry, Capability, DefaultConfig, EnvConfig, Error, backend};
use nadoo_flow_conformance::{RecordingBackend, RecordingConfig};
use serde_json::json;

/// A second backend to switch the default to.
#[backend("second", capabilities = RecordingBackend::CAPABILITIES)]
fn second(config: RecordingConfig) -> RecordingBackend {
    RecordingBackend::new("second", config)
}

#[test]
fn the_default_is_native_until_chosen_and_stays_valid() {
    assert_eq!(BackendRegistry::default_name().expect("linked"), "native");
    assert!(
        BackendRegistry::get_default()
            .expect("linked")
            .capabilities()
            .has(Capability::Parallel)
    );

    BackendRegistry::set_default("second").expect("linked");
    assert_eq!(
        BackendRegistry::get_default().expect("linked").name(),
        "second"
    );

    let err = BackendRegistry::set_default("secnd").unwrap_err();
    assert!(
        matches!(
            err,
            Error::UnknownBackend {
                suggestion: Some("second"),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        BackendRegistry::default_name().expect("linked"),
        "second",
        "unchanged by the error"
    );

    BackendRegistry::configure_default(
        DefaultConfig::new("native").with_config(json!({ "max_workers": 4, "max_retries": 2 })),
    )
    .expect("valid");
    let backend = BackendRegistry::get_default().expect("linked");
    assert_eq!(backend.name(), "native");
    let options = backend.execution_options();
    assert_eq!((options.max_workers.get(), options.max_retries), (4, 2));

    let err = BackendRegistry::configure_default(
        DefaultConfig::new("native").with_config(json!({ "max_workers": 0 })),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidConfig { .. }), "{err}");
    assert_eq!(
        BackendRegistry::get_default()
            .expect("linked")
            .execution_options()
            .max_workers
            .get(),
        4
    );

    let env = EnvConfig::from_lookup(|var| match var {
        "NADOO_BACKEND" => Some("second".to_owned()),
        "NADOO_MAX_WORKERS" => Some("6".to_owned()),
        "NADOO_DEBUG" => Some("true".to_owned()),
        _ => None,
    })
    .expect("valid");
    BackendRegistry::configure_default(DefaultConfig::from_env_config(env)).expect("valid");
    let backend = BackendRegistry::get_default().expect("linked");
    assert_eq!(backend.name(), "second");
    assert_eq!(backend.execution_options().max_workers.get(), 6);
    assert!(backend.execution_options().debug);

    // Threads see one default.
    let seen: Vec<String> = (0..4)
        .map(|_| std::thread::spawn(|| BackendRegistry::default_name().expect("linked").to_owned()))
        .map(|t| t.join().expect("joins"))
        .collect();
    assert!(seen.iter().all(|name| name == "second"), "{seen:?}");
}
