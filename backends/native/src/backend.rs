//! The native backend: node code runs in the calling process, on its tokio runtime.

use std::num::NonZeroUsize;

use std::sync::Arc;

use nadoo_flow_core::{
    Backend, BackendType, Capabilities, Capability, ExecutionOptions, NodeContext, NodeResult,
    NodeSpec, Result, WorkflowContext, async_trait, backend,
};
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio_util::task::AbortOnDropHandle;

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
            .unwrap_or_else(nadoo_flow_core::scheduler::default_max_workers)
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
        let outcome = if node_context.runs_concurrently() && multi_threaded() {
            // Other nodes run at the same time: give this one a task of its own, so that
            // CPU-bound nodes use every core. Dropping the run aborts the task.
            let code = Arc::clone(node.node());
            let context = node_context.clone();
            let task =
                AbortOnDropHandle::new(tokio::spawn(async move { code.execute(&context).await }));
            match task.await {
                Ok(outcome) => outcome,
                // Re-raise the node's panic here; the scheduler turns it into the node's failure.
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(error) => Err(error.into()),
            }
        } else {
            // Alone, or on a single-threaded runtime: run inline, without a spawn.
            node.node().execute(node_context).await
        };
        Ok(outcome.unwrap_or_else(|error| NodeResult::failed(error.to_string())))
    }

    fn execution_options(&self) -> ExecutionOptions {
        let mut options = ExecutionOptions::default();
        options.max_workers = self.max_workers();
        options.timeout = self.config.timeout;
        options.max_retries = self.config.max_retries;
        options
    }
}

fn multi_threaded() -> bool {
    Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_engine_options_reach_the_scheduler() {
        let config = NativeConfig {
            max_workers: NonZeroUsize::new(3),
            timeout: Some(std::time::Duration::from_secs(5)),
            max_retries: 2,
            ..NativeConfig::default()
        };
        let options = NativeBackend::from_config(config)
            .expect("valid")
            .execution_options();
        assert_eq!(options.max_workers.get(), 3);
        assert_eq!(options.timeout, Some(std::time::Duration::from_secs(5)));
        assert_eq!(options.max_retries, 2);

        let default = NativeBackend::from_config(NativeConfig::default())
            .expect("valid")
            .execution_options();
        assert_eq!(
            default.max_workers,
            nadoo_flow_core::scheduler::default_max_workers()
        );
    }
}
