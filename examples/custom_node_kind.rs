//! Run: `cargo run --example custom_node_kind`
//!
//! Writing a node kind: a type, its typed config, `#[node("kind")]`; then using it from a TOML
//! workflow.

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use nadoo_flow::{
    BackendRegistry, BoxError, Node, NodeContext, NodeKind, NodeResult, Workflow, WorkflowContext,
    async_trait, node,
};
use serde::Deserialize;
use serde_json::json;

/// Counts the words of a text found at a dotted path of the input.
#[node("word-count")]
#[derive(Debug)]
pub struct WordCount {
    path: String,
}

/// Configuration of [`WordCount`]. Unknown keys are rejected.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordCountConfig {
    /// Where the text is, for example `"draft.text"`. Required.
    pub path: String,
}

impl NodeKind for WordCount {
    type Config = WordCountConfig;

    fn from_config(config: WordCountConfig) -> Result<Self, BoxError> {
        Ok(WordCount { path: config.path })
    }
}

#[async_trait]
impl Node for WordCount {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let text = ctx
            .input
            .lookup(&self.path)
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("no text at `{}`", self.path))?;
        Ok(NodeResult::ok(
            json!({ "words": text.split_whitespace().count() }),
        ))
    }
}

const WORKFLOW: &str = r#"
[input]
topic = "link-time plugin registries in Rust"

[[nodes]]
id = "start"
kind = "start"
next = ["draft"]

[[nodes]]
id = "draft"
kind = "template"
config = { text = "A short post about {{topic}}" }
next = ["count"]

[[nodes]]
id = "count"
kind = "word-count"
config = { path = "draft.text" }
"#;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let workflow = Workflow::from_toml("count.toml", WORKFLOW)?;
    let backend = BackendRegistry::get_default()?;
    let run = backend
        .execute_workflow(&workflow, WorkflowContext::new())
        .await?;
    println!("status: {}", run.status.as_str());
    println!("count:  {}", run.output("count").unwrap_or(&json!(null)));

    // A typo in the config is an error that names the file, line, node and key.
    let typo = WORKFLOW.replace("path = ", "pth = ");
    let err = Workflow::from_toml("count.toml", &typo).unwrap_err();
    println!("error:  {err}");
    Ok(())
}
