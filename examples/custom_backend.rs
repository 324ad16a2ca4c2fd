//! Run: `cargo run --example custom_backend`
//!
//! Writing a backend: a type, its typed config, and `#[backend("name")]`; then running a workflow
//! on it by name.

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use std::sync::atomic::{AtomicUsize, Ordering};

use nadoo_flow::{
    Backend, BackendRegistry, BackendType, Capabilities, Capability, NodeContext, NodeResult,
    NodeSpec, Result, Workflow, WorkflowContext, async_trait, backend,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Runs nodes in-process and counts them: the smallest useful backend.
#[backend("counting")]
#[derive(Debug)]
pub struct CountingBackend {
    config: CountingConfig,
    executed: AtomicUsize,
}

/// Configuration of [`CountingBackend`]. Unknown keys are rejected.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CountingConfig {
    /// Print every node as it runs. Default: `false`.
    pub verbose: bool,
}

impl BackendType for CountingBackend {
    type Config = CountingConfig;
    const CAPABILITIES: Capabilities = Capabilities::NONE.with(Capability::Async);

    fn from_config(config: CountingConfig) -> Result<Self> {
        Ok(CountingBackend {
            config,
            executed: AtomicUsize::new(0),
        })
    }
}

#[async_trait]
impl Backend for CountingBackend {
    fn name(&self) -> &str {
        "counting"
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
        let n = self.executed.fetch_add(1, Ordering::Relaxed) + 1;
        if self.config.verbose {
            println!("node #{n}: {}", node.id());
        }
        // Runs the node's code here; an error it returns is the node's failure.
        Ok(node.execute(node_context).await)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!("linked backends: {:?}", BackendRegistry::list_available()?);

    let workflow = Workflow::builder("two-steps")
        .node(NodeSpec::start("start").next("end"))
        .node(NodeSpec::end("end"))
        .build()?;

    let backend = BackendRegistry::create("counting", json!({ "verbose": true }))?;
    let run = backend
        .execute_workflow(&workflow, WorkflowContext::new())
        .await?;
    println!("status: {}", run.status.as_str());

    // Typed config: a misspelt key is an error that names it.
    let err = BackendRegistry::create("counting", json!({ "verbos": true })).unwrap_err();
    println!("error:  {err}");
    Ok(())
}
