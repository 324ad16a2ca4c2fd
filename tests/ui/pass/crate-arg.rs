use nadoo_flow::{Backend, BackendRegistry, Capabilities, NodeContext, NodeResult, NodeSpec, Result, WorkflowContext, async_trait};

mod renamed {
    pub use nadoo_flow::*;
}

#[derive(Debug)]
pub struct Plain;

#[async_trait]
impl Backend for Plain {
    fn name(&self) -> &str {
        "ui-crate-arg"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE
    }
    async fn execute_node(&self, _: &NodeSpec, _: &NodeContext, _: &WorkflowContext) -> Result<NodeResult> {
        Ok(NodeResult::default())
    }
}

#[nadoo_flow::backend("ui-crate-arg", crate = crate::renamed)]
fn plain(_config: ()) -> Plain {
    Plain
}

fn main() {
    assert!(BackendRegistry::is_available("ui-crate-arg").unwrap());
}
