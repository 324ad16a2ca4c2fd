//! The registry as users see it: whatever this build links, by name.

use nadoo_flow::{BackendRegistry, Capability, Error};

/// The backends this build's features enable, by name.
fn enabled_features() -> Vec<&'static str> {
    let mut enabled = Vec::new();
    if cfg!(feature = "native") {
        enabled.push("native");
    }
    if cfg!(feature = "nats") {
        enabled.push("nats");
    }
    enabled
}

#[test]
fn registered_backends_are_exactly_the_enabled_features() {
    let available = BackendRegistry::list_available().expect("no duplicates");
    assert_eq!(available, enabled_features());
    let mut sorted = available.to_vec();
    sorted.sort_unstable();
    assert_eq!(available, sorted, "list_available is sorted");
}

#[test]
fn every_registered_backend_is_constructible_and_describes_itself() {
    for registration in BackendRegistry::registrations().expect("no duplicates") {
        let name = registration.name();
        assert!(BackendRegistry::is_available(name).expect("no duplicates"));
        assert_eq!(BackendRegistry::info(name).expect("listed").name(), name);
        assert_eq!(registration.crate_name(), format!("nadoo-flow-{name}"));
        assert_eq!(registration.version(), env!("CARGO_PKG_VERSION"));
        assert!(
            !registration.description().is_empty(),
            "{name} has a description"
        );
        assert!(
            registration.default_config().is_object(),
            "{name} describes its config"
        );

        let backend = BackendRegistry::create(name, ()).expect("default config works");
        assert_eq!(backend.name(), name);
        assert_eq!(backend.capabilities(), registration.capabilities());
    }
}

#[test]
fn unknown_backend_lists_what_is_available() {
    let err = BackendRegistry::create("kubernetes", ()).unwrap_err();
    let Error::UnknownBackend {
        name,
        available,
        suggestion,
    } = &err
    else {
        panic!("expected UnknownBackend, got {err}");
    };
    assert_eq!(name, "kubernetes");
    assert_eq!(available, &enabled_features());
    assert_eq!(*suggestion, None);
    assert!(!BackendRegistry::is_available("kubernetes").expect("no duplicates"));
    assert!(matches!(
        BackendRegistry::info("kubernetes"),
        Err(Error::UnknownBackend { .. })
    ));
    assert!(matches!(
        BackendRegistry::set_default("kubernetes"),
        Err(Error::UnknownBackend { .. })
    ));
}

#[cfg(feature = "native")]
mod with_native {
    use super::*;

    #[test]
    fn unknown_backend_text_suggests_the_closest_name() {
        let err = BackendRegistry::create("nativ", ()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "unknown backend `nativ` (did you mean `native`?); available backends: {}",
                enabled_features().join(", ")
            )
        );
    }

    #[test]
    fn default_is_native() {
        assert_eq!(BackendRegistry::default_name().expect("linked"), "native");
        let backend = BackendRegistry::get_default().expect("linked");
        assert_eq!(backend.name(), "native");
        assert!(backend.capabilities().has(Capability::Parallel));
    }

    #[test]
    fn native_registration_names_its_crate_and_site() {
        let info = BackendRegistry::info("native").expect("linked");
        assert_eq!(info.crate_name(), "nadoo-flow-native");
        assert_eq!(info.description(), "Runs workflows in-process on tokio.");
        assert!(info.site().file.ends_with("backend.rs"), "{}", info.site());
        assert_eq!(info.site().module_path, "nadoo_flow_native::backend");
    }
}

#[cfg(not(feature = "native"))]
mod without_backends {
    use super::*;

    #[test]
    fn registry_is_empty_and_default_says_what_to_enable() {
        assert!(
            BackendRegistry::list_available()
                .expect("no duplicates")
                .is_empty()
        );
        let err = BackendRegistry::get_default().unwrap_err();
        assert!(matches!(err, Error::NoBackendLinked));
        assert_eq!(
            err.to_string(),
            "no backend is linked into this program; enable a backend feature of nadoo-flow, such as the default `native`"
        );
    }

    #[test]
    fn disabled_workspace_backend_names_its_feature() {
        let err = BackendRegistry::create("native", ()).unwrap_err();
        let Error::BackendNotCompiled { name, feature } = &err else {
            panic!("expected BackendNotCompiled, got {err}");
        };
        assert_eq!((name.as_str(), *feature), ("native", "native"));
        assert_eq!(
            err.to_string(),
            "backend `native` is not compiled into this program; enable Cargo feature `native` of nadoo-flow"
        );
    }
}
