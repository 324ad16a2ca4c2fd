use nadoo_flow::{
    Backend, BackendRegistry, BackendType, Capabilities, Capability, NodeContext, NodeResult,
    NodeSpec, Result, WorkflowContext, async_trait, backend,
};

/// A backend registered on its struct.
#[backend("ui-struct")]
#[derive(Debug)]
pub struct UiBackend;

impl BackendType for UiBackend {
    type Config = ();
    const CAPABILITIES: Capabilities = Capabilities::NONE.with(Capability::Async);
    fn from_config(_: ()) -> Result<Self> {
        Ok(UiBackend)
    }
}

#[async_trait]
impl Backend for UiBackend {
    fn name(&self) -> &str {
        "ui-struct"
    }
    fn capabilities(&self) -> Capabilities {
        Self::CAPABILITIES
    }
    async fn execute_node(&self, _: &NodeSpec, _: &NodeContext, _: &WorkflowContext) -> Result<NodeResult> {
        Ok(NodeResult::default())
    }
}

fn main() {
    let info = BackendRegistry::info("ui-struct").unwrap();
    assert_eq!(info.description(), "A backend registered on its struct.");
    assert!(info.capabilities().has(Capability::Async));
    assert_eq!(BackendRegistry::create("ui-struct", ()).unwrap().name(), "ui-struct");
}
