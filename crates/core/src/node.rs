//! The `Node` trait: the code a workflow step runs.

use std::fmt;

use crate::context::NodeContext;
use crate::error::BoxError;
use crate::result::NodeResult;
use async_trait::async_trait;

/// The code of one workflow step.
///
/// A node sees only its [`NodeContext`]: its input holds the workflow's globals and the outputs
/// of its predecessors. It changes globals only through its [`NodeResult`], so the same node
/// can run in-process or on a remote worker.
///
/// Returning `Err` fails the node with the error's message, as does a result with
/// `success: false`.
///
/// ```
/// use nadoo_flow_core::{async_trait, BoxError, Node, NodeContext, NodeResult};
/// use serde_json::json;
///
/// #[derive(Debug)]
/// struct Greet;
///
/// #[async_trait]
/// impl Node for Greet {
///     async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
///         let name = ctx.input.lookup("name").and_then(|v| v.as_str()).unwrap_or("world");
///         Ok(NodeResult::ok(json!({ "greeting": format!("hello, {name}") })))
///     }
/// }
/// ```
#[async_trait]
pub trait Node: Send + Sync + fmt::Debug + 'static {
    /// Runs the node once.
    async fn execute(&self, context: &NodeContext) -> Result<NodeResult, BoxError>;

    /// The kind name under which this node's code is known (`"template"`); by default the
    /// Rust type name.
    fn kind(&self) -> &'static str {
        std::any::type_name::<Self>()
    }

    /// Whether equal inputs always give equal results, so that a backend created with
    /// `enable_caching = true` may reuse them. Default: `false`.
    fn cacheable(&self) -> bool {
        false
    }
}
