//! Reusing the results of cacheable node kinds.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;

use crate::backend::Backend;
use crate::capabilities::Capabilities;
use crate::context::{NodeContext, WorkflowContext};
use crate::error::Result;
use crate::result::NodeResult;
use crate::scheduler::ExecutionOptions;
use crate::workflow::{NodeSpec, Workflow};

/// Reuses the successful results of nodes whose kind says it is cacheable
/// ([`Node::cacheable`](crate::Node::cacheable)): same kind, same configuration, same input,
/// same result. Other nodes always run.
///
/// The registry adds this layer when a backend is created with `enable_caching = true`.
///
/// ```
/// use nadoo_flow_core::{BackendRegistry, CachingBackend};
/// # fn main() -> nadoo_flow_core::Result<()> {
/// # if !BackendRegistry::is_available("native")? { return Ok(()); }
/// let cached = CachingBackend::new(BackendRegistry::create("native", ())?);
/// assert_eq!(cached.len(), 0);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct CachingBackend {
    inner: Box<dyn Backend>,
    results: Mutex<HashMap<String, NodeResult>>,
}

impl CachingBackend {
    /// Caches the results of `inner`.
    pub fn new(inner: Box<dyn Backend>) -> Self {
        CachingBackend {
            inner,
            results: Mutex::new(HashMap::new()),
        }
    }

    /// How many results are cached.
    pub fn len(&self) -> usize {
        self.results
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cache key: kind, configuration and input.
    fn key(node: &NodeSpec, context: &NodeContext) -> Option<String> {
        serde_json::to_string(&(node.kind(), node.config(), context.input.to_value())).ok()
    }
}

#[async_trait]
impl Backend for CachingBackend {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn execute_node(
        &self,
        node: &NodeSpec,
        node_context: &NodeContext,
        workflow_context: &WorkflowContext,
    ) -> Result<NodeResult> {
        let key = node
            .node()
            .cacheable()
            .then(|| Self::key(node, node_context))
            .flatten();
        if let Some(key) = &key {
            let cached = self
                .results
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(key)
                .cloned();
            if let Some(result) = cached {
                return Ok(result);
            }
        }
        let result = self
            .inner
            .execute_node(node, node_context, workflow_context)
            .await?;
        if let Some(key) = key
            && result.is_success()
        {
            self.results
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key, result.clone());
        }
        Ok(result)
    }

    fn validate(&self, workflow: &Workflow) -> Result<()> {
        self.inner.validate(workflow)
    }

    async fn run_worker(&self, shutdown: crate::CancellationToken) -> Result<()> {
        self.inner.run_worker(shutdown).await
    }

    fn execution_options(&self) -> ExecutionOptions {
        self.inner.execution_options()
    }
}
