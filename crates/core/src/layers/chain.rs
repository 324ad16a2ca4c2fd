//! Passing each node through several backends in turn.

use async_trait::async_trait;

use super::LayeredBackend;
use crate::backend::Backend;
use crate::capabilities::Capabilities;
use crate::context::{NodeContext, NodeInput, WorkflowContext};
use crate::error::Result;
use crate::graph::workflow::{NodeSpec, Workflow};
use crate::result::NodeResult;

/// Runs each node on every member in turn: the first sees the node's input, each next one the
/// previous member's output (as `previous_output`). It stops at the first failure and returns
/// it; otherwise the last member's result.
///
/// ```
/// use nadoo_flow_core::{Backend, BackendRegistry, ChainedBackend, NodeContext, NodeInput, NodeSpec};
/// use nadoo_flow_core::WorkflowContext;
/// use serde_json::json;
/// # use nadoo_flow_native as _;
/// # fn main() -> nadoo_flow_core::Result<()> {
/// let chained = ChainedBackend::new(vec![
///     BackendRegistry::create("native", ())?,
///     BackendRegistry::create("native", ())?,
/// ]);
/// assert_eq!(chained.len(), 2);
/// // The second member sees the first one's output as `previous_output`.
/// let node = NodeSpec::from_kind("t", "template", json!({ "text": "<{{previous_output.text}}>" }))?;
/// let mut input = NodeInput::default();
/// input.outputs.insert("before", json!({ "text": "x" }));
/// let context = NodeContext::new("t", input);
/// let runtime = tokio::runtime::Runtime::new().expect("a runtime");
/// let result = runtime.block_on(chained.execute_node(&node, &context, &WorkflowContext::new()))?;
/// assert_eq!(result.output(), &json!({ "text": "<<x>>" }));
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
impl LayeredBackend for ChainedBackend {
    const WRAPS_NODES: bool = true;

    /// The first member, whose limits the scheduler keeps; an empty chain has none and runs
    /// nothing.
    fn inner(&self) -> &dyn Backend {
        self.members.first().map_or(&EMPTY, |first| first.as_ref())
    }

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

    /// Every member's checks.
    fn validate(&self, workflow: &Workflow) -> Result<()> {
        self.members.iter().try_for_each(|m| m.validate(workflow))
    }

    /// Every member serves as a worker at once, until `shutdown` or the first error.
    async fn run_worker(&self, shutdown: crate::CancellationToken) -> Result<()> {
        super::run_workers(&self.members, shutdown).await
    }
}

/// What an empty chain wraps: a backend with nothing to offer, never asked to run a node
/// (an empty chain returns each node's input itself).
#[derive(Debug)]
struct Empty;

static EMPTY: Empty = Empty;

#[async_trait]
impl Backend for Empty {
    fn name(&self) -> &str {
        "chained"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE
    }

    async fn execute_node(
        &self,
        _node: &NodeSpec,
        node_context: &NodeContext,
        _workflow_context: &WorkflowContext,
    ) -> Result<NodeResult> {
        Ok(NodeResult::ok(node_context.input.to_value()))
    }
}
