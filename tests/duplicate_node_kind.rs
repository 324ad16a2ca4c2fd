//! Two registrations of one node kind make every node-registry call fail, naming both sites.

use nadoo_flow::{
    BoxError, Error, Node, NodeContext, NodeKind, NodeRegistry, NodeResult, Workflow, async_trait,
};
use serde::Deserialize;

/// No configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoConfig {}

mod first {
    /// The first twin.
    #[nadoo_flow::node("twin")]
    #[derive(Debug)]
    pub(super) struct Twin;
}

mod second {
    /// The second twin.
    #[nadoo_flow::node("twin")]
    #[derive(Debug)]
    pub(super) struct Twin;
}

macro_rules! no_op_kind {
    ($($ty:ty),*) => {$(
        impl NodeKind for $ty {
            type Config = NoConfig;
            fn from_config(_: NoConfig) -> Result<Self, BoxError> {
                Ok(Self)
            }
        }

        #[async_trait]
        impl Node for $ty {
            async fn execute(&self, _: &NodeContext) -> Result<NodeResult, BoxError> {
                Ok(NodeResult::default())
            }
        }
    )*};
}

no_op_kind!(first::Twin, second::Twin);

/// The lines of this file where the two kinds are registered, found in its own text.
fn registration_lines() -> Vec<u32> {
    let attribute = ["#[nadoo_flow::node(", "\"twin\")]"].concat();
    include_str!("duplicate_node_kind.rs")
        .lines()
        .zip(1..)
        .filter(|(line, _)| line.trim() == attribute)
        .map(|(_, number)| number)
        .collect()
}

#[test]
fn every_node_registry_call_reports_the_duplicate() {
    let expected = registration_lines();
    assert_eq!(expected.len(), 2, "this file registers `twin` twice");
    let errors = [
        NodeRegistry::list_available().map(|_| ()).unwrap_err(),
        NodeRegistry::is_available("start").map(|_| ()).unwrap_err(),
        NodeRegistry::info("twin").map(|_| ()).unwrap_err(),
        NodeRegistry::create("start", ()).map(|_| ()).unwrap_err(),
    ];
    for err in errors {
        let Error::DuplicateNodeKind { kind, sites } = &err else {
            panic!("expected DuplicateNodeKind, got {err}");
        };
        assert_eq!(*kind, "twin");
        let lines: Vec<u32> = sites.iter().map(|s| s.line).collect();
        assert_eq!(lines, expected);
    }
    let err =
        Workflow::from_toml("wf.toml", "[[nodes]]\nid = \"s\"\nkind = \"start\"\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("node kind `twin` is registered more than once"),
        "{err}"
    );
}
