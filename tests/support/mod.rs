//! Nodes shared by the facade's integration tests.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use nadoo_flow::{BoxError, Node, NodeContext, NodeResult, async_trait};
use serde_json::{Value, json};

/// Outputs a fixed value.
#[derive(Debug, Clone)]
pub(crate) struct Emit(pub Value);

#[async_trait]
impl Node for Emit {
    async fn execute(&self, _: &NodeContext) -> Result<NodeResult, BoxError> {
        Ok(NodeResult::ok(self.0.clone()))
    }
}

/// Outputs the node's flat input, so tests can see what it was given.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Echo;

#[async_trait]
impl Node for Echo {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        Ok(NodeResult::ok(ctx.input.to_value()))
    }
}

/// Returns a ready-made result.
#[derive(Debug, Clone)]
pub(crate) struct Returns(pub NodeResult);

#[async_trait]
impl Node for Returns {
    async fn execute(&self, _: &NodeContext) -> Result<NodeResult, BoxError> {
        Ok(self.0.clone())
    }
}

/// Counts up global `count` and routes `again` until it reaches `until`, then `done`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CountTo(pub i64);

#[async_trait]
impl Node for CountTo {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let count = ctx
            .input
            .lookup("count")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            + 1;
        let route = if count >= self.0 { "done" } else { "again" };
        Ok(NodeResult::ok(json!({ "count": count }))
            .with_global("count", json!(count))
            .with_route(route))
    }
}

/// Fails with an `Err`, as a node using `?` would.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Errs;

#[async_trait]
impl Node for Errs {
    async fn execute(&self, _: &NodeContext) -> Result<NodeResult, BoxError> {
        Err("disk on fire".into())
    }
}
