//! The workflows the benchmarks run, shared by `engine`, `rss_probe` and `profile`.

use nadoo_flow::{BoxError, Node, NodeContext, NodeResult, NodeSpec, Workflow, async_trait};
use serde_json::Value;

/// Does nothing and outputs `null`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoOp;

#[async_trait]
impl Node for NoOp {
    async fn execute(&self, _: &NodeContext) -> Result<NodeResult, BoxError> {
        Ok(NodeResult::ok(Value::Null))
    }
}

/// `start` → `n0` → … → `n{n-1}` → the end node `n{n}`: `n` no-op nodes in a line.
pub(crate) fn chain(n: usize) -> Workflow {
    let mut builder = Workflow::builder("chain").node(NodeSpec::start("start").next("n0"));
    for i in 0..n {
        builder = builder.node(NodeSpec::new(format!("n{i}"), NoOp).next(format!("n{}", i + 1)));
    }
    builder
        .node(NodeSpec::end(format!("n{n}")))
        .max_steps(n + 1)
        .build()
        .expect("valid chain")
}

/// `start` → `n0` … `n{n-1}` → `join`: `n` no-op nodes side by side, then one that waits for
/// all of them.
pub(crate) fn fan_out(n: usize) -> Workflow {
    let mut start = NodeSpec::start("start");
    let mut builder = Workflow::builder("fan-out");
    for i in 0..n {
        start = start.next(format!("n{i}"));
        builder = builder.node(NodeSpec::new(format!("n{i}"), NoOp).next("join"));
    }
    builder
        .node(start)
        .node(NodeSpec::new("join", NoOp))
        .max_steps(n + 2)
        .build()
        .expect("valid fan-out")
}
