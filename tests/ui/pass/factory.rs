use nadoo_flow::{
    Backend, BackendRegistry, Capabilities, Capability, NodeContext, NodeResult, NodeSpec, Result,
    WorkflowContext, async_trait, backend,
};

#[derive(Debug)]
pub struct Plain;

#[async_trait]
impl Backend for Plain {
    fn name(&self) -> &str {
        "plain"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE
    }
    async fn execute_node(&self, _: &NodeSpec, _: &NodeContext, _: &WorkflowContext) -> Result<NodeResult> {
        Ok(NodeResult::default())
    }
}

/// Returns the backend itself.
#[backend("ui-factory")]
fn plain(_config: ()) -> Plain {
    Plain
}

/// Returns a Result, with capabilities given in the attribute.
#[backend("ui-factory-result", capabilities = Capabilities::NONE.with(Capability::Gpu))]
fn fallible(config: Option<u32>) -> std::result::Result<Plain, std::io::Error> {
    match config {
        Some(0) => Err(std::io::Error::other("zero is not allowed")),
        _ => Ok(Plain),
    }
}

fn main() {
    assert!(BackendRegistry::create("ui-factory", ()).is_ok());
    assert!(BackendRegistry::info("ui-factory-result").unwrap().capabilities().has(Capability::Gpu));
    let err = BackendRegistry::create("ui-factory-result", 0).unwrap_err();
    assert!(err.to_string().contains("zero is not allowed"));
}
