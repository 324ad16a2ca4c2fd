//! Run: `cargo run --example typed_node`
//!
//! The shortest way to write a node: `#[node("kind")]` on an async function with a typed input
//! and a typed config. The workflow is built in code and run on the default backend; the same
//! kind is usable by name from a workflow file.

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use nadoo_flow::{BackendRegistry, NodeSpec, Workflow, WorkflowContext, WorkflowStatus, node};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What the node reads from its input: the global `text`.
#[derive(Debug, Deserialize)]
struct Text {
    text: String,
}

/// How the node counts. Unknown keys are rejected.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CountConfig {
    /// Words shorter than this are not counted. Default: 1.
    #[serde(default = "one")]
    min_len: usize,
}

fn one() -> usize {
    1
}

/// What the node outputs.
#[derive(Debug, Serialize)]
struct Counted {
    words: usize,
}

/// Counts the words of `text` that have at least `min_len` characters.
#[node("word-count")]
async fn word_count(input: Text, config: CountConfig) -> Result<Counted, std::convert::Infallible> {
    let words = input
        .text
        .split_whitespace()
        .filter(|word| word.chars().count() >= config.min_len)
        .count();
    Ok(Counted { words })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // A node function stays a plain function.
    let direct = word_count(
        Text {
            text: "a typed node".into(),
        },
        CountConfig { min_len: 2 },
    )
    .await?;
    assert_eq!(direct.words, 2);

    // `word_count::spec` makes a node of the kind and records kind and config, so a
    // distributed backend's workers can make it too.
    let workflow = Workflow::builder("count")
        .input("text", json!("the shortest way to write a node"))
        .node(NodeSpec::start("start").next("count"))
        .node(word_count::spec("count", CountConfig { min_len: 4 })?.next("end"))
        .node(NodeSpec::end("end"))
        .build()?;
    let count = workflow.node("count").expect("the node is there");
    assert_eq!(count.kind(), "word-count");
    assert_eq!(count.config(), &json!({ "min_len": 4 }));

    let backend = BackendRegistry::get_default()?;
    let run = backend
        .execute_workflow(&workflow, WorkflowContext::new())
        .await?;
    assert_eq!(run.status, WorkflowStatus::Success);
    assert_eq!(run.output("count"), Some(&json!({ "words": 3 })));
    println!("status: {}", run.status.as_str());
    println!("count:  {}", json!(run.output("count")));

    // A bad input is the node's failure, naming the node, the field and the kind.
    let run = backend
        .execute_workflow(
            &workflow,
            WorkflowContext::new().with_input(json!({ "text": 5 })),
        )
        .await?;
    assert_eq!(run.status, WorkflowStatus::Failed);
    let error = run.node_contexts.get("count").and_then(|c| c.error.clone());
    println!("error:  {}", error.as_deref().unwrap_or("none"));
    Ok(())
}
