//! A test binary registers its own backend by annotating a type, and runs a workflow on it by
//! name. Other test binaries do not see it (see `mock_not_visible.rs`).

mod support;

use std::sync::Mutex;

use nadoo_flow::{
    Backend, BackendRegistry, BackendType, Capabilities, Capability, Error, NodeContext,
    NodeResult, NodeSpec, Result, Workflow, WorkflowContext, WorkflowStatus, async_trait, backend,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support::Emit;

/// One node execution the mock saw.
#[derive(Debug, Clone, PartialEq)]
struct Executed {
    workflow_id: String,
    node_id: String,
    input: Value,
}

/// Every execution of every mock instance in this binary.
static EXECUTED: Mutex<Vec<Executed>> = Mutex::new(Vec::new());

fn executed(workflow_id: &str) -> Vec<Executed> {
    let all = EXECUTED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    all.iter()
        .filter(|e| e.workflow_id == workflow_id)
        .cloned()
        .collect()
}

/// Records the nodes it is asked to run and answers `{"mocked": true}`.
#[backend("mock")]
#[derive(Debug)]
struct MockBackend {
    config: MockConfig,
}

/// Configuration of the mock.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct MockConfig {
    /// Added to every output under `tag`.
    tag: Option<String>,
}

impl BackendType for MockBackend {
    type Config = MockConfig;
    const CAPABILITIES: Capabilities = Capabilities::NONE.with(Capability::Async);

    fn from_config(config: MockConfig) -> Result<Self> {
        if config.tag.as_deref() == Some("") {
            return Err(Error::invalid_config(
                "mock",
                Some("tag"),
                "must not be empty",
            ));
        }
        Ok(MockBackend { config })
    }
}

#[async_trait]
impl Backend for MockBackend {
    fn name(&self) -> &str {
        "mock"
    }

    fn capabilities(&self) -> Capabilities {
        Self::CAPABILITIES
    }

    async fn execute_node(
        &self,
        node: &NodeSpec,
        node_context: &NodeContext,
        workflow_context: &WorkflowContext,
    ) -> Result<NodeResult> {
        EXECUTED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Executed {
                workflow_id: workflow_context.workflow_id.clone(),
                node_id: node.id().to_owned(),
                input: node_context.input.to_value(),
            });
        let mut output = json!({ "mocked": true });
        if let Some(tag) = &self.config.tag {
            output["tag"] = json!(tag);
        }
        Ok(NodeResult::ok(output))
    }
}

/// A mock made by a factory function, as `register_factory` does in the seed.
#[backend("mock-factory", capabilities = Capabilities::NONE.with(Capability::Streaming))]
fn mock_factory(config: MockConfig) -> std::result::Result<MockBackend, String> {
    match config.tag.as_deref() {
        Some("refuse") => Err("the factory refuses tag `refuse`".to_owned()),
        _ => Ok(MockBackend { config }),
    }
}

fn three_node_workflow() -> Workflow {
    Workflow::builder("test")
        .node(NodeSpec::start("node1").next("node2"))
        .node(NodeSpec::new("node2", Emit(json!({"real": true}))).next("node3"))
        .node(NodeSpec::new("node3", Emit(json!({"real": true}))).next("end"))
        .node(NodeSpec::end("end"))
        .build()
        .expect("valid")
}

#[tokio::test]
async fn workflow_runs_on_the_mock_by_name() {
    assert!(BackendRegistry::is_available("mock").expect("no duplicates"));
    let backend = BackendRegistry::create("mock", json!({"tag": "t1"})).expect("mock is linked");
    let ctx = WorkflowContext::new().with_input(json!({"input": "test"}));
    let workflow_id = ctx.workflow_id.clone();
    let done = backend
        .execute_workflow(&three_node_workflow(), ctx)
        .await
        .expect("runs");

    assert_eq!(done.status, WorkflowStatus::Success);
    let executed = executed(&workflow_id);
    assert_eq!(executed.len(), 3);
    let ids: Vec<&str> = executed.iter().map(|e| e.node_id.as_str()).collect();
    assert_eq!(ids, ["node1", "node2", "node3"]);
    assert_eq!(executed[0].input, json!({"input": "test"}));
    assert_eq!(
        executed[1].input["previous_output"],
        json!({"mocked": true, "tag": "t1"})
    );
    assert_eq!(
        done.output("node3"),
        Some(&json!({"mocked": true, "tag": "t1"}))
    );
}

#[test]
fn registry_lists_the_mocks_beside_the_enabled_backends() {
    let available = BackendRegistry::list_available().expect("no duplicates");
    assert!(available.contains(&"mock") && available.contains(&"mock-factory"));
    let info = BackendRegistry::info("mock").expect("linked");
    assert_eq!(info.crate_name(), "nadoo-flow");
    assert_eq!(
        info.description(),
        "Records the nodes it is asked to run and answers `{\"mocked\": true}`."
    );
    assert_eq!(info.site().file, "tests/mock_backend.rs");
    assert_eq!(
        info.default_config(),
        json!({
            "tag": null,
            "max_workers": null,
            "timeout": null,
            "max_retries": null,
            "debug": null,
            "enable_caching": null
        })
    );
}

#[test]
fn factory_form_registers_with_its_capabilities_and_errors() {
    let info = BackendRegistry::info("mock-factory").expect("linked");
    assert!(info.capabilities().has(Capability::Streaming));
    assert_eq!(
        info.description(),
        "A mock made by a factory function, as `register_factory` does in the seed."
    );
    assert!(BackendRegistry::create("mock-factory", ()).is_ok());
    let err = BackendRegistry::create("mock-factory", json!({"tag": "refuse"})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration for backend `mock-factory`: the factory refuses tag `refuse`"
    );
}

#[test]
fn typed_config_errors_name_the_backend_and_key() {
    let err = BackendRegistry::create("mock", json!({"tag": ""})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration for backend `mock`: key `tag`: must not be empty"
    );
    let err = BackendRegistry::create("mock", json!({"tags": "x"})).unwrap_err();
    let Error::InvalidConfig {
        backend,
        key,
        message,
    } = &err
    else {
        panic!("expected InvalidConfig, got {err}");
    };
    assert_eq!(backend, "mock");
    assert_eq!(key.as_deref(), Some("tags"));
    assert_eq!(message, "unknown field `tags`, expected `tag`");
}
