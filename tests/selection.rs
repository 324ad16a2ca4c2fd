//! Choosing a backend by capabilities and requirements, and checking versions.

use nadoo_flow::{BackendRegistry, Capability, Error, Requirements, backend};
use nadoo_flow_conformance::{RecordingBackend, RecordingConfig};

/// A distributed, durable stand-in for a cluster backend.
#[backend(
    "mock-cluster",
    capabilities = nadoo_flow::Capabilities::NONE
        .with(Capability::Distributed)
        .with(Capability::Durable)
        .with(Capability::Parallel)
)]
fn mock_cluster(config: RecordingConfig) -> RecordingBackend {
    RecordingBackend::new("mock-cluster", config)
}

#[test]
fn find_by_capabilities_returns_the_first_match_by_name() {
    let found =
        BackendRegistry::find_by_capabilities(&[Capability::Distributed]).expect("no duplicates");
    assert_eq!(found, Some("mock-cluster"));
    let found =
        BackendRegistry::find_by_capabilities(&[Capability::Streaming, Capability::Parallel])
            .expect("no duplicates");
    assert_eq!(found, Some("native"));
    let found = BackendRegistry::find_by_capabilities(&[Capability::Gpu]).expect("no duplicates");
    assert_eq!(found, None);
    let found = BackendRegistry::find_by_capabilities(&[]).expect("no duplicates");
    assert_eq!(
        found,
        Some("mock-cluster"),
        "everything has no requirement; first by name"
    );
}

#[test]
fn select_follows_the_seeds_strategy_deterministically() {
    for _ in 0..3 {
        assert_eq!(
            BackendRegistry::select(&Requirements::new().distributed()).expect("ok"),
            "mock-cluster"
        );
        assert_eq!(
            BackendRegistry::select(&Requirements::new().streaming()).expect("ok"),
            "native"
        );
        assert_eq!(
            BackendRegistry::select(&Requirements::new()).expect("ok"),
            "native"
        );
        assert_eq!(
            BackendRegistry::select(&Requirements::new().durable()).expect("ok"),
            "mock-cluster",
            "the default is not durable; the first durable backend is"
        );
        assert_eq!(
            BackendRegistry::select(&Requirements::new().gpu()).expect("ok"),
            "native",
            "nothing has a GPU: the default"
        );
    }
}

#[test]
fn require_checks_semver_and_says_why_not() {
    let info = BackendRegistry::require("native", ">=0.1, <2").expect("0.1.0 fits");
    assert_eq!(info.crate_name(), "nadoo-flow-native");

    let err = BackendRegistry::require("native", ">=1.0").unwrap_err();
    assert!(matches!(err, Error::IncompatibleVersion { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "backend `native` is version {} (crate nadoo-flow-native), which does not meet the requirement `>=1.0`",
            env!("CARGO_PKG_VERSION")
        )
    );
    let err = BackendRegistry::require("native", "at least one").unwrap_err();
    assert!(
        matches!(err, Error::InvalidVersionRequirement { .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("invalid version requirement `at least one`: ")
    );
    assert!(matches!(
        BackendRegistry::require("nope", ">=0"),
        Err(Error::UnknownBackend { .. })
    ));
}
