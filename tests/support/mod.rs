//! Nodes shared by the facade's integration tests.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::time::Duration;

use nadoo_flow::{
    Backend, BackendRegistry, BoxError, Node, NodeContext, NodeResult, RunEvent, RunOptions,
    Workflow, WorkflowContext, async_trait,
};
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

/// A new `native` backend, by name.
pub(crate) fn native() -> Box<dyn Backend> {
    BackendRegistry::create("native", ()).expect("native is linked")
}

/// Runs `workflow` on `native` with `options`; returns the run and the events it sent.
pub(crate) async fn run_with(
    workflow: &Workflow,
    options: RunOptions,
) -> (WorkflowContext, Vec<RunEvent>) {
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let done = native()
        .run_workflow(workflow, WorkflowContext::new(), options.events(sender))
        .await
        .expect("runs");
    let mut events = Vec::new();
    while let Ok(event) = receiver.try_recv() {
        events.push(event);
    }
    (done, events)
}

/// Runs `workflow` on `native`.
pub(crate) async fn run(workflow: &Workflow) -> WorkflowContext {
    run_with(workflow, RunOptions::new()).await.0
}

/// Sleeps, then outputs a value and optionally writes a global.
#[derive(Debug)]
pub(crate) struct Slow {
    pub(crate) ms: u64,
    pub(crate) output: Value,
    pub(crate) global: Option<(&'static str, Value)>,
}

#[async_trait]
impl Node for Slow {
    async fn execute(&self, _: &NodeContext) -> Result<NodeResult, BoxError> {
        tokio::time::sleep(Duration::from_millis(self.ms)).await;
        let mut result = NodeResult::ok(self.output.clone());
        if let Some((key, value)) = &self.global {
            result = result.with_global(*key, value.clone());
        }
        Ok(result)
    }
}

/// Asks for approval: interrupts until resumed, then outputs the answer.
#[derive(Debug)]
pub(crate) struct Approve;

#[async_trait]
impl Node for Approve {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        match &ctx.resume {
            None => Ok(NodeResult::ok(json!({ "question": "publish?" })).interrupted()),
            Some(answer) => Ok(NodeResult::ok(json!({ "answer": answer }))
                .with_global("approved", answer["approved"].clone())),
        }
    }
}
