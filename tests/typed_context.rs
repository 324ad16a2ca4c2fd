//! A node function that takes its execution's context (`ctx: &NodeContext` as its last
//! argument): it emits its own events into the run's stream and sees its attempt and node id,
//! with or without a configuration.

use futures::StreamExt;
use nadoo_flow::{
    BackendRegistry, NodeContext, NodeSpec, RunEventKind, RunOptions, Workflow, WorkflowContext,
    WorkflowStatus, node,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
struct Text {
    text: String,
}

/// Emits a `progress` event per word, and says which node and attempt it was.
#[node("typed-with-context")]
async fn with_context(input: Text, ctx: &NodeContext) -> Result<Value, String> {
    for word in input.text.split(' ') {
        ctx.emit("progress", word);
    }
    Ok(json!({ "node": ctx.node_id.as_str(), "attempt": ctx.attempt }))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Repeat {
    times: usize,
}

/// The same with a configuration between input and context.
#[node("typed-config-and-context")]
async fn config_and_context(
    input: Text,
    config: &Repeat,
    ctx: &NodeContext,
) -> Result<String, String> {
    ctx.emit("repeating", config.times);
    Ok(input.text.repeat(config.times))
}

#[tokio::test]
async fn a_node_function_with_its_context_emits_events_into_the_stream() {
    let workflow = Workflow::builder("context")
        .input("text", json!("one two three"))
        .node(NodeSpec::start("start").next("words"))
        .node(with_context::spec("words").next("twice"))
        .node(config_and_context::spec("twice", json!({ "times": 2 })).expect("a valid config"))
        .build()
        .expect("a valid workflow");
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let mut stream = backend.run_stream(&workflow, WorkflowContext::new(), RunOptions::new());
    let mut emitted = Vec::new();
    let mut finished = None;
    while let Some(event) = stream.next().await {
        match event.kind {
            RunEventKind::NodeEvent { node, name, data } => {
                emitted.push((node.to_string(), name, data));
            }
            RunEventKind::WorkflowFinished { status, .. } => finished = Some(status),
            _ => {}
        }
    }
    assert_eq!(finished, Some(WorkflowStatus::Success));
    assert_eq!(
        emitted,
        [
            ("words".to_owned(), "progress".to_owned(), json!("one")),
            ("words".to_owned(), "progress".to_owned(), json!("two")),
            ("words".to_owned(), "progress".to_owned(), json!("three")),
            ("twice".to_owned(), "repeating".to_owned(), json!(2)),
        ]
    );

    let done = backend
        .run_workflow(&workflow, WorkflowContext::new(), RunOptions::new())
        .await
        .expect("runs");
    assert_eq!(
        done.output("words"),
        Some(&json!({ "node": "words", "attempt": 1 }))
    );
    assert_eq!(
        done.output("twice"),
        Some(&json!({ "value": "one two threeone two three" }))
    );
}
