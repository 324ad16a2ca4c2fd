//! Two registrations of one name make every registry call fail, naming both sites.

use nadoo_flow::{
    Backend, BackendRegistry, Capabilities, Error, NodeContext, NodeResult, NodeSpec, Result,
    WorkflowContext, async_trait, backend,
};
use serde::{Deserialize, Serialize};

/// A backend that does nothing.
#[derive(Debug)]
struct Idle;

#[async_trait]
impl Backend for Idle {
    fn name(&self) -> &str {
        "twin"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE
    }
    async fn execute_node(
        &self,
        _: &NodeSpec,
        _: &NodeContext,
        _: &WorkflowContext,
    ) -> Result<NodeResult> {
        Ok(NodeResult::ok(serde_json::json!({})))
    }
}

/// No configuration.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoConfig {}

mod first {
    /// The first twin.
    #[super::backend("twin")]
    fn twin(_: super::NoConfig) -> super::Idle {
        super::Idle
    }
}

mod second {
    /// The second twin.
    #[super::backend("twin")]
    fn twin(_: super::NoConfig) -> super::Idle {
        super::Idle
    }
}

/// The lines of this file where the two registrations are written, found in its own text so
/// that moving them moves the expectation, while a site the macro got wrong still fails.
fn registration_lines() -> Vec<u32> {
    let attribute = ["#[super::backend(", "\"twin\")]"].concat();
    include_str!("duplicate.rs")
        .lines()
        .zip(1..)
        .filter(|(line, _)| line.trim() == attribute)
        .map(|(_, number)| number)
        .collect()
}

fn assert_duplicate(result: Result<impl std::fmt::Debug>) {
    let err = result.expect_err("a duplicate name fails every call");
    let Error::DuplicateBackend { name, sites } = &err else {
        panic!("expected DuplicateBackend, got {err}");
    };
    assert_eq!(*name, "twin");
    let lines: Vec<u32> = sites.iter().map(|s| s.line).collect();
    assert_eq!(lines, registration_lines());
    assert_eq!(lines.len(), 2);
    assert!(
        sites
            .iter()
            .all(|s| s.crate_name == "nadoo-flow" && s.file == "tests/duplicate.rs")
    );
}

#[test]
fn every_registry_call_reports_the_duplicate() {
    assert_duplicate(BackendRegistry::list_available());
    assert_duplicate(BackendRegistry::is_available("twin"));
    assert_duplicate(BackendRegistry::is_available("native"));
    assert_duplicate(BackendRegistry::registrations());
    assert_duplicate(BackendRegistry::info("twin"));
    assert_duplicate(BackendRegistry::create("twin", ()));
    assert_duplicate(BackendRegistry::create("native", ()));
    assert_duplicate(BackendRegistry::default_name());
    assert_duplicate(BackendRegistry::get_default());
    assert_duplicate(BackendRegistry::set_default("native"));
}

#[test]
fn duplicate_error_text_names_both_sites() {
    let err = BackendRegistry::create("twin", ()).unwrap_err();
    let version = env!("CARGO_PKG_VERSION");
    let [first, second] = registration_lines()[..] else {
        panic!("this file registers `twin` twice");
    };
    assert_eq!(
        err.to_string(),
        format!(
            "backend `twin` is registered more than once: by crate nadoo-flow {version} at tests/duplicate.rs:{first} \
             and by crate nadoo-flow {version} at tests/duplicate.rs:{second}; backend names must be unique among linked crates"
        )
    );
}
