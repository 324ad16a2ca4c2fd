//! Reusing the results of cacheable node kinds.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;

use super::{Layer, LayeredBackend};
use crate::backend::Backend;
use crate::context::{NodeContext, WorkflowContext};
use crate::error::Result;
use crate::graph::workflow::NodeSpec;
use crate::result::NodeResult;

/// Reuses the successful results of nodes whose kind says it is cacheable
/// ([`Node::cacheable`](crate::Node::cacheable)): same kind, same configuration, same input,
/// same result. Other nodes always run.
///
/// The registry adds this layer when a backend is created with `enable_caching = true`.
///
/// ```
/// use nadoo_flow_core::{Backend, BackendRegistry, CachingBackend, NodeContext, NodeSpec};
/// use nadoo_flow_core::WorkflowContext;
/// use serde_json::json;
/// # use nadoo_flow_native as _;
/// # fn main() -> nadoo_flow_core::Result<()> {
/// let cached = CachingBackend::new(BackendRegistry::create("native", ())?);
/// assert_eq!(cached.len(), 0);
/// // `set` is cacheable: the second run with the same input is answered from the cache.
/// let node = NodeSpec::from_kind("say", "set", json!({ "values": { "said": "hi" } }))?;
/// let context = NodeContext::new("say", Default::default());
/// let runtime = tokio::runtime::Runtime::new().expect("a runtime");
/// for _ in 0..2 {
///     let result = runtime.block_on(cached.execute_node(&node, &context, &WorkflowContext::new()))?;
///     assert_eq!(result.output(), &json!({ "said": "hi" }));
/// }
/// assert_eq!(cached.len(), 1);
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

/// The [`Layer`] that wraps a backend in a [`CachingBackend`], each with a cache of its own.
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheLayer;

impl Layer for CacheLayer {
    fn layer(&self, inner: Box<dyn Backend>) -> Box<dyn Backend> {
        Box::new(CachingBackend::new(inner))
    }
}

#[async_trait]
impl LayeredBackend for CachingBackend {
    const WRAPS_NODES: bool = true;

    fn inner(&self) -> &dyn Backend {
        self.inner.as_ref()
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
}
