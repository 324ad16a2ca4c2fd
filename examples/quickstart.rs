//! Run: `cargo run --example quickstart`
//!
//! A workflow written in code, run on the default backend.

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use nadoo_flow::{
    BackendRegistry, BoxError, Node, NodeContext, NodeResult, NodeSpec, Workflow, WorkflowContext,
    async_trait,
};
use serde_json::json;

/// Writes a greeting for the global `name`.
#[derive(Debug)]
struct Greet;

#[async_trait]
impl Node for Greet {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let name = ctx
            .input
            .lookup("name")
            .and_then(|v| v.as_str())
            .unwrap_or("world");
        Ok(NodeResult::ok(json!({ "text": format!("hello, {name}") })))
    }
}

/// Shouts the previous node's text.
#[derive(Debug)]
struct Shout;

#[async_trait]
impl Node for Shout {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let text = ctx
            .input
            .lookup("previous_output.text")
            .and_then(|v| v.as_str())
            .ok_or("the previous node has no `text`")?;
        Ok(NodeResult::ok(json!({ "text": text.to_uppercase() })))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let workflow = Workflow::builder("quickstart")
        .node(NodeSpec::start("start").next("greet"))
        .node(NodeSpec::new("greet", Greet).next("shout"))
        .node(NodeSpec::new("shout", Shout).next("end"))
        .node(NodeSpec::end("end"))
        .build()?;

    // `native` unless the program chose another default.
    let backend = BackendRegistry::get_default()?;
    let input = WorkflowContext::new().with_input(json!({ "name": "nadoo" }));
    let run = backend.execute_workflow(&workflow, input).await?;

    println!("backend: {}", backend.name());
    println!("status:  {}", run.status.as_str());
    println!("path:    {}", run.execution_path.join(" -> "));
    println!("output:  {}", run.output("shout").unwrap_or(&json!(null)));
    Ok(())
}
