//! A backend that runs nodes in-process and records every execution: the seed's
//! `MockBackend`, for tests that want to see what ran.

use std::sync::{Arc, Mutex, PoisonError};

use nadoo_flow_core::{
    Backend, Capabilities, Capability, NodeContext, NodeResult, NodeSpec, Result, WorkflowContext,
    async_trait,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One node execution a [`RecordingBackend`] saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Executed {
    /// The run.
    pub workflow_id: String,
    /// The node.
    pub node_id: String,
    /// The node's flat input.
    pub input: Value,
    /// The attempt.
    pub attempt: u32,
}

/// Configuration of [`RecordingBackend`]: none of its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordingConfig {}

/// Runs each node's code in-process, inline, and records the execution. A test registers it
/// under a name of its choosing, which no other test binary sees:
///
/// ```
/// use nadoo_flow_conformance::{RecordingBackend, RecordingConfig};
///
/// /// Records what it runs.
/// #[nadoo_flow_core::backend("recorder", capabilities = RecordingBackend::CAPABILITIES)]
/// fn recorder(config: RecordingConfig) -> RecordingBackend {
///     RecordingBackend::new("recorder", config)
/// }
/// # fn main() {
/// let backend = nadoo_flow_core::BackendRegistry::create("recorder", ()).unwrap();
/// assert_eq!(backend.name(), "recorder");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RecordingBackend {
    name: &'static str,
    executed: Arc<Mutex<Vec<Executed>>>,
}

impl RecordingBackend {
    /// What a recording backend can do.
    pub const CAPABILITIES: Capabilities = Capabilities::NONE
        .with(Capability::Streaming)
        .with(Capability::Async);

    /// A recorder registered as `name`.
    pub fn new(name: &'static str, _config: RecordingConfig) -> Self {
        RecordingBackend {
            name,
            executed: Arc::default(),
        }
    }

    /// Every execution so far, in the order they started.
    pub fn executed(&self) -> Vec<Executed> {
        self.executed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl Backend for RecordingBackend {
    fn name(&self) -> &str {
        self.name
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
        self.executed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Executed {
                workflow_id: workflow_context.workflow_id.clone(),
                node_id: node.id().to_owned(),
                input: node_context.input.to_value(),
                attempt: node_context.attempt,
            });
        Ok(node.execute(node_context).await)
    }
}
