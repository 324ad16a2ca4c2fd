//! Passing each node through several backends in turn.

use async_trait::async_trait;

use crate::backend::Backend;
use crate::capabilities::Capabilities;
use crate::context::{NodeContext, NodeInput, WorkflowContext};
use crate::error::Result;
use crate::result::NodeResult;
use crate::scheduler::ExecutionOptions;
use crate::workflow::{NodeSpec, Workflow};

/// Runs each node on every member in turn: the first sees the node's input, each next one the
/// previous member's output (as `previous_output`). It stops at the first failure and returns
/// it; otherwise the last member's result.
///
/// ```
/// use nadoo_flow_core::{BackendRegistry, ChainedBackend};
/// # fn main() -> nadoo_flow_core::Result<()> {
/// # if !BackendRegistry::is_available("native")? { return Ok(()); }
/// let chained = ChainedBackend::new(vec![
///     BackendRegistry::create("native", ())?,
///     BackendRegistry::create("native", ())?,
/// ]);
/// assert_eq!(chained.len(), 2);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct ChainedBackend {
    members: Vec<Box<dyn Backend>>,
}

impl ChainedBackend {
    /// A chain of `members`, run first to last.
    pub fn new(members: Vec<Box<dyn Backend>>) -> Self {
        ChainedBackend { members }
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the chain has no member (it then returns the node's input unchanged).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

#[async_trait]
impl Backend for ChainedBackend {
    fn name(&self) -> &str {
        "chained"
    }

    /// What every member can do.
    fn capabilities(&self) -> Capabilities {
        let mut members = self.members.iter().map(|m| m.capabilities());
        let first = members.next().unwrap_or(Capabilities::NONE);
        members.fold(first, Capabilities::intersection)
    }

    async fn execute_node(
        &self,
        node: &NodeSpec,
        node_context: &NodeContext,
        workflow_context: &WorkflowContext,
    ) -> Result<NodeResult> {
        let mut context = node_context.clone();
        let mut last = NodeResult::ok(node_context.input.to_value());
        for member in &self.members {
            last = member
                .execute_node(node, &context, workflow_context)
                .await?;
            if !last.is_success() {
                return Ok(last);
            }
            let mut input = NodeInput::new(std::sync::Arc::clone(&node_context.input.globals));
            input
                .outputs
                .insert(node_context.node_id.clone(), last.output().clone());
            context.input = input;
        }
        Ok(last)
    }

    fn validate(&self, workflow: &Workflow) -> Result<()> {
        self.members.iter().try_for_each(|m| m.validate(workflow))
    }

    fn execution_options(&self) -> ExecutionOptions {
        self.members
            .first()
            .map(|m| m.execution_options())
            .unwrap_or_default()
    }
}
