//! Spreading nodes over several backend instances.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use super::LayeredBackend;
use crate::backend::Backend;
use crate::capabilities::{Capabilities, Capability};
use crate::context::{NodeContext, WorkflowContext};
use crate::error::{Error, Result};
use crate::graph::workflow::NodeSpec;
use crate::result::NodeResult;

/// A pool of backend instances: each node execution goes to the next member, round-robin, so
/// the nodes the scheduler runs at the same time are spread across members.
///
/// ```
/// use std::num::NonZeroUsize;
/// use nadoo_flow_core::{Backend, BackendPool, Capability, NodeContext, NodeSpec, WorkflowContext};
/// use serde_json::json;
/// # use nadoo_flow_native as _;
/// # fn main() -> nadoo_flow_core::Result<()> {
/// let pool = BackendPool::new("native", NonZeroUsize::new(3).unwrap(), ())?;
/// assert_eq!(pool.len(), 3);
/// assert_eq!(pool.name(), "native");
/// assert!(pool.capabilities().has(Capability::Parallel));
/// let node = NodeSpec::from_kind("say", "set", json!({ "values": { "said": "hi" } }))?;
/// let context = NodeContext::new("say", Default::default());
/// let runtime = tokio::runtime::Runtime::new().expect("a runtime");
/// let result = runtime.block_on(pool.execute_node(&node, &context, &WorkflowContext::new()))?;
/// assert_eq!(result.output(), &json!({ "said": "hi" }));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct BackendPool {
    members: Vec<Box<dyn Backend>>,
    next: AtomicUsize,
}

impl BackendPool {
    /// A pool of the given instances.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] when `members` is empty.
    pub fn from_backends(members: Vec<Box<dyn Backend>>) -> Result<Self> {
        if members.is_empty() {
            return Err(Error::invalid_config(
                "pool",
                None,
                "a backend pool needs at least one member",
            ));
        }
        Ok(BackendPool {
            members,
            next: AtomicUsize::new(0),
        })
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the pool has no member (never true: a pool is made with at least one).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The next member, round-robin.
    pub fn get_next(&self) -> &dyn Backend {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.members.len();
        self.members[i].as_ref()
    }

    /// Runs independent node executions at the same time, spread across members; results come
    /// back in the order of `nodes`.
    pub async fn execute_parallel(
        &self,
        nodes: &[(&NodeSpec, &NodeContext)],
        workflow_context: &WorkflowContext,
    ) -> Vec<Result<NodeResult>> {
        futures::future::join_all(nodes.iter().map(|(node, context)| {
            self.get_next()
                .execute_node(node, context, workflow_context)
        }))
        .await
    }
}

#[async_trait]
impl LayeredBackend for BackendPool {
    const WRAPS_NODES: bool = true;

    /// The first member, which speaks for all: they are instances of one backend.
    fn inner(&self) -> &dyn Backend {
        self.members[0].as_ref()
    }

    /// What the members can do, and running nodes in parallel.
    fn capabilities(&self) -> Capabilities {
        self.inner().capabilities().with(Capability::Parallel)
    }

    async fn execute_node(
        &self,
        node: &NodeSpec,
        node_context: &NodeContext,
        workflow_context: &WorkflowContext,
    ) -> Result<NodeResult> {
        self.get_next()
            .execute_node(node, node_context, workflow_context)
            .await
    }

    /// Every member serves as a worker at once, until `shutdown` or the first error.
    async fn run_worker(&self, shutdown: crate::CancellationToken) -> Result<()> {
        super::run_workers(&self.members, shutdown).await
    }
}
