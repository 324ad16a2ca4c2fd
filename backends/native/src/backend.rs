//! The native backend: node code runs in the calling process, on its tokio runtime.

use std::num::NonZeroUsize;

use nadoo_flow_core::{
    Backend, BackendType, Capabilities, Capability, NodeContext, NodeResult, NodeSpec, Result,
    WorkflowContext, async_trait, backend,
};

use crate::config::NativeConfig;

/// Runs workflows in-process on tokio.
#[backend("native")]
#[derive(Debug, Clone)]
pub struct NativeBackend {
    config: NativeConfig,
}

impl NativeBackend {
    /// The configuration this instance was made with.
    pub fn config(&self) -> &NativeConfig {
        &self.config
    }

    /// The upper bound on nodes running at once.
    pub fn max_workers(&self) -> NonZeroUsize {
        self.config
            .max_workers
            .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN))
    }
}

impl BackendType for NativeBackend {
    type Config = NativeConfig;

    const CAPABILITIES: Capabilities = Capabilities::NONE
        .with(Capability::Streaming)
        .with(Capability::Parallel)
        .with(Capability::Async);

    fn from_config(config: NativeConfig) -> Result<Self> {
        Ok(NativeBackend { config })
    }
}

#[async_trait]
impl Backend for NativeBackend {
    fn name(&self) -> &str {
        "native"
    }

    fn capabilities(&self) -> Capabilities {
        Self::CAPABILITIES
    }

    async fn execute_node(
        &self,
        node: &NodeSpec,
        node_context: &NodeContext,
        _workflow_context: &WorkflowContext,
    ) -> Result<NodeResult> {
        if self.config.debug {
            tracing::debug!(
                target: "nadoo_flow::backend",
                node = node.id(),
                kind = node.kind(),
                "node started"
            );
        }
        Ok(match node.node().execute(node_context).await {
            Ok(result) => result,
            Err(error) => NodeResult::failed(error.to_string()),
        })
    }
}
