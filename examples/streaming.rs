//! Run: `cargo run --example streaming`
//!
//! A run consumed as a stream of events: the engine's (nodes started and finished) and a
//! node's own (the tokens of a text as it is written), each carrying the run id, then the
//! run's result.

#![allow(clippy::print_stdout, reason = "an example prints what it receives")]

use futures::StreamExt;
use nadoo_flow::{
    BackendRegistry, BoxError, Node, NodeContext, NodeResult, NodeSpec, RunEventKind, RunOptions,
    Workflow, WorkflowContext, WorkflowStatus, async_trait,
};
use serde_json::json;

/// Writes a sentence about the global `topic` word by word, sending each word as it goes.
#[derive(Debug)]
struct Write;

#[async_trait]
impl Node for Write {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let topic = ctx
            .input
            .lookup("topic")
            .and_then(|v| v.as_str())
            .unwrap_or("workflows");
        let words = [topic, "runs", "as", "a", "stream"];
        for word in words {
            ctx.emit("token", word);
            tokio::task::yield_now().await;
        }
        Ok(NodeResult::ok(json!({ "text": words.join(" ") })))
    }
}

/// Counts to three, reporting how far it got.
#[derive(Debug)]
struct Research;

#[async_trait]
impl Node for Research {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        for done in 1..=3 {
            ctx.emit("progress", json!({ "done": done, "of": 3 }));
            tokio::task::yield_now().await;
        }
        Ok(NodeResult::ok(json!({ "sources": 3 })))
    }
}

/// Puts the text out once both branches are done.
#[derive(Debug)]
struct Publish;

#[async_trait]
impl Node for Publish {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let text = ctx.input.lookup("write.text").cloned().unwrap_or_default();
        ctx.emit("published", text.clone());
        Ok(NodeResult::ok(json!({ "published": text })))
    }
}

#[tokio::main]
async fn main() -> Result<(), nadoo_flow::Error> {
    // `research` and `write` run concurrently; `publish` joins them.
    let workflow = Workflow::builder("streaming")
        .node(NodeSpec::start("start").next("research").next("write"))
        .node(NodeSpec::new("research", Research).next("publish"))
        .node(NodeSpec::new("write", Write).next("publish"))
        .node(NodeSpec::new("publish", Publish))
        .build()?;
    let backend = BackendRegistry::create("native", ())?;
    let context = WorkflowContext::new().with_input(json!({ "topic": "nadoo-flow" }));
    let run_id = context.workflow_id.clone();

    let mut run = backend.run_stream(&workflow, context, RunOptions::new());
    let mut order = Vec::new();
    while let Some(event) = run.next().await {
        // Every event as the CLI's `run --json --events` prints it.
        println!("{}", serde_json::to_string(&event).unwrap_or_default());
        assert_eq!(*event.run_id, *run_id);
        order.push(event.kind);
    }

    // The node's own events come after its start, before its finish, in the order sent.
    let of_write: Vec<String> = order
        .iter()
        .filter(|kind| kind.node() == Some("write"))
        .map(|kind| match kind {
            RunEventKind::NodeStarted { .. } => "started".to_owned(),
            RunEventKind::NodeEvent { data, .. } => data.as_str().unwrap_or_default().to_owned(),
            RunEventKind::NodeFinished { .. } => "finished".to_owned(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        of_write,
        [
            "started",
            "nadoo-flow",
            "runs",
            "as",
            "a",
            "stream",
            "finished"
        ]
    );
    assert!(matches!(
        order.last(),
        Some(RunEventKind::WorkflowFinished {
            status: WorkflowStatus::Success,
            ..
        })
    ));

    // Once the stream has ended, the run's result.
    let done = run.result().await?;
    assert_eq!(done.status, WorkflowStatus::Success);
    println!(
        "{}: {}",
        done.status.as_str(),
        done.output("write").unwrap_or(&json!(null))
    );
    Ok(())
}
