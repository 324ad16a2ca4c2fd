//! The workloads of the peer comparison (`benches/peers.rs`, `benches/peers_rss.rs`), each on
//! graph-flow 0.8, on nadoo-flow's `native` backend and in hand-written tokio, with values
//! passed from node to node as SPEC §10 describes them:
//!
//! - **chain of `n`**: every node reads a `u64` from its predecessor's output (the first one
//!   from the run's input, 0), adds one and outputs it; the last output is `n`.
//! - **fan-out of `n` + join**: `n` workers after one start node, worker `i` outputs the run's
//!   input `base` (1) plus `i`; one sink waits for all of them and outputs their sum.
//!
//! # What graph-flow 0.8 does per node
//!
//! graph-flow runs one task at a time: [`Graph::execute_session`] loops while a task returns
//! `NextAction::ContinueAndExecute`, so one call runs a whole chain in memory, with no session
//! storage (`FlowRunner::run` would add one load and one save of the session per call, not per
//! node). Per task it: looks the task up by its `String` id in a `HashMap` and clones its
//! `Arc`; clones the session's `Context` (two `Arc`s); wraps the task's boxed future
//! (`async-trait`) in `tokio::time::timeout` (5 minutes, never registered as a timer because
//! the task finishes on its first poll); allocates the result's `task_id` string; clones the
//! status message; finds the next task by a second `HashMap` lookup and allocates a copy of its
//! id. Values pass through the session's `Context`, a `DashMap<String, serde_json::Value>`
//! shared by every task: a task reads its input with `Context::get` (a shard read lock and a
//! deserialization from `Value`) and writes its output with `Context::set` (a key `String`, a
//! serialization to `Value`, a shard write lock). It records no per-task timing, status or
//! history, and it keeps no outputs other than what tasks write to the context.
//!
//! graph-flow has no join of several graph nodes: a graph follows one edge at a time, and the
//! way to run tasks in parallel is a `FanOutTask`, one graph node that spawns each of its
//! children on a tokio `JoinSet`, awaits them all and writes each child's `next_action` (and
//! response, if any) into the context under `fanout.<child id>.*`. So its fan-out here is
//! start → `FanOutTask` of `n` workers → sink: the workers write `w<i>` into the context and
//! the sink reads the `n` keys back.
//!
//! nadoo-flow's `native` backend, per node, records a `NodeContext` (status, input, output,
//! duration from two clock reads, attempt) in the run's `node_contexts`, appends the id to the
//! execution path, checks `max_steps`, and hands each node its predecessors' outputs; a fan-out
//! runs its workers on a pool of runner tasks and the join receives all `n` outputs as input.

use std::sync::Arc;

use graph_flow::{
    Context, ExecutionStatus, FanOutTask, Graph, GraphBuilder, GraphError, NextAction, Session,
    Task, TaskResult,
};
use nadoo_flow::{
    Backend, BoxError, Node, NodeContext, NodeResult, NodeSpec, Workflow, WorkflowContext,
    WorkflowStatus, async_trait,
};
use serde_json::{Value, json};

/// The fan-out's input: every worker adds its index to it.
pub(crate) const BASE: u64 = 1;

/// What the fan-out's sink must output: the sum of `BASE + i` for `i` in `0..n`.
pub(crate) fn fan_out_sum(n: usize) -> u64 {
    let n = n as u64;
    n * BASE + n * (n - 1) / 2
}

// ---- nadoo-flow ----

/// Outputs its predecessor's `u64` output (the first node: the input `value`) plus one.
#[derive(Debug, Clone, Copy)]
struct Increment {
    first: bool,
}

#[async_trait]
impl Node for Increment {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let input = if self.first {
            ctx.input.globals.get("value")
        } else {
            ctx.input.previous_output()
        };
        let value = input.and_then(Value::as_u64).ok_or("no u64 input")?;
        Ok(NodeResult::ok(Value::from(value + 1)))
    }
}

/// Outputs the input `base` plus its index.
#[derive(Debug, Clone, Copy)]
struct AddIndex {
    index: u64,
}

#[async_trait]
impl Node for AddIndex {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let base = ctx.input.globals.get("base").and_then(Value::as_u64);
        Ok(NodeResult::ok(Value::from(
            base.ok_or("no u64 base")? + self.index,
        )))
    }
}

/// Outputs the sum of its predecessors' `u64` outputs.
#[derive(Debug, Clone, Copy)]
struct Sum;

#[async_trait]
impl Node for Sum {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let mut total = 0;
        for output in ctx.input.outputs.values() {
            total += output.as_u64().ok_or("a worker output no u64")?;
        }
        Ok(NodeResult::ok(Value::from(total)))
    }
}

/// A workflow, its input and the node whose output is the result.
#[derive(Debug)]
pub(crate) struct NadooRun {
    workflow: Workflow,
    input: WorkflowContext,
    result: String,
}

impl NadooRun {
    /// `start` → `n0` → … → `n{n-1}` → the end node `n{n}`.
    pub(crate) fn chain(n: usize) -> Self {
        let mut builder = Workflow::builder("chain").node(NodeSpec::start("start").next("n0"));
        for i in 0..n {
            let node = Increment { first: i == 0 };
            builder =
                builder.node(NodeSpec::new(format!("n{i}"), node).next(format!("n{}", i + 1)));
        }
        let workflow = builder
            .node(NodeSpec::end(format!("n{n}")))
            .max_steps(n + 1)
            .build()
            .expect("valid chain");
        NadooRun {
            workflow,
            input: WorkflowContext::new().with_input(json!({ "value": 0 })),
            result: format!("n{}", n - 1),
        }
    }

    /// `start` → `w0` … `w{n-1}` → `join`.
    pub(crate) fn fan_out(n: usize) -> Self {
        let mut start = NodeSpec::start("start");
        let mut builder = Workflow::builder("fan-out");
        for i in 0..n {
            start = start.next(format!("w{i}"));
            let node = AddIndex { index: i as u64 };
            builder = builder.node(NodeSpec::new(format!("w{i}"), node).next("join"));
        }
        let workflow = builder
            .node(start)
            .node(NodeSpec::new("join", Sum))
            .max_steps(n + 2)
            .build()
            .expect("valid fan-out");
        NadooRun {
            workflow,
            input: WorkflowContext::new().with_input(json!({ "base": BASE })),
            result: "join".to_owned(),
        }
    }

    /// Runs the workflow to completion; returns the result node's output.
    pub(crate) async fn run(&self, backend: &dyn Backend) -> u64 {
        let done = backend
            .execute_workflow(&self.workflow, self.input.clone())
            .await
            .expect("runs");
        assert_eq!(done.status, WorkflowStatus::Success);
        done.output(&self.result)
            .and_then(Value::as_u64)
            .expect("a u64 result")
    }
}

// ---- graph-flow 0.8 ----

/// Reads the `u64` under `from` from the context, writes it plus one under its own id.
struct GfIncrement {
    id: String,
    from: String,
    next: NextAction,
}

#[async_trait]
impl Task for GfIncrement {
    fn id(&self) -> &str {
        &self.id
    }

    async fn run(&self, ctx: Context) -> graph_flow::Result<TaskResult> {
        let value: u64 = ctx
            .get(&self.from)
            .ok_or_else(|| GraphError::ContextError(format!("no u64 under {}", self.from)))?;
        ctx.set(self.id.as_str(), value + 1)?;
        Ok(TaskResult::new(None, self.next.clone()))
    }
}

/// The fan-out's start: nothing to compute, on to the `FanOutTask`.
struct GfStart;

#[async_trait]
impl Task for GfStart {
    fn id(&self) -> &str {
        "start"
    }

    async fn run(&self, _: Context) -> graph_flow::Result<TaskResult> {
        Ok(TaskResult::move_to_next_direct())
    }
}

/// Reads `base` from the context, writes it plus its index under its own id.
struct GfAddIndex {
    id: String,
    index: u64,
}

#[async_trait]
impl Task for GfAddIndex {
    fn id(&self) -> &str {
        &self.id
    }

    async fn run(&self, ctx: Context) -> graph_flow::Result<TaskResult> {
        let base: u64 = ctx
            .get("base")
            .ok_or_else(|| GraphError::ContextError("no u64 base".to_owned()))?;
        ctx.set(self.id.as_str(), base + self.index)?;
        Ok(TaskResult::new(None, NextAction::End))
    }
}

/// Sums the `u64`s the workers wrote, writes the total under `sum`.
struct GfSum {
    keys: Vec<String>,
}

#[async_trait]
impl Task for GfSum {
    fn id(&self) -> &str {
        "sum"
    }

    async fn run(&self, ctx: Context) -> graph_flow::Result<TaskResult> {
        let mut total = 0u64;
        for key in &self.keys {
            let value: u64 = ctx
                .get(key)
                .ok_or_else(|| GraphError::ContextError(format!("no u64 under {key}")))?;
            total += value;
        }
        ctx.set("sum", total)?;
        Ok(TaskResult::new(None, NextAction::End))
    }
}

/// A graph-flow graph, its input and the context key of the result.
pub(crate) struct GraphFlowRun {
    graph: Graph,
    start: String,
    input: (&'static str, u64),
    result: String,
}

impl std::fmt::Debug for GraphFlowRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphFlowRun")
            .field("graph", &self.graph.id)
            .field("result", &self.result)
            .finish_non_exhaustive()
    }
}

impl GraphFlowRun {
    /// Tasks `n0` → … → `n{n-1}`; `n0` reads the input `value`.
    pub(crate) fn chain(n: usize) -> Self {
        let mut builder = GraphBuilder::new("chain");
        for i in 0..n {
            let task = GfIncrement {
                id: format!("n{i}"),
                from: if i == 0 {
                    "value".to_owned()
                } else {
                    format!("n{}", i - 1)
                },
                next: if i + 1 == n {
                    NextAction::End
                } else {
                    NextAction::ContinueAndExecute
                },
            };
            builder = builder.add_task(Arc::new(task));
            if i > 0 {
                builder = builder.add_edge(format!("n{}", i - 1), format!("n{i}"));
            }
        }
        GraphFlowRun {
            graph: builder.build().expect("valid chain"),
            start: "n0".to_owned(),
            input: ("value", 0),
            result: format!("n{}", n - 1),
        }
    }

    /// `start` → `fan` (a `FanOutTask` of workers `w0` … `w{n-1}`) → `sum`.
    pub(crate) fn fan_out(n: usize) -> Self {
        let workers: Vec<Arc<dyn Task>> = (0..n)
            .map(|i| {
                Arc::new(GfAddIndex {
                    id: format!("w{i}"),
                    index: i as u64,
                }) as Arc<dyn Task>
            })
            .collect();
        let fan = FanOutTask::new("fan", workers).with_next_action(NextAction::ContinueAndExecute);
        let sum = GfSum {
            keys: (0..n).map(|i| format!("w{i}")).collect(),
        };
        let graph = GraphBuilder::new("fan-out")
            .add_task(Arc::new(GfStart))
            .add_task(fan)
            .add_task(Arc::new(sum))
            .add_edge("start", "fan")
            .add_edge("fan", "sum")
            .build()
            .expect("valid fan-out");
        GraphFlowRun {
            graph,
            start: "start".to_owned(),
            input: ("base", BASE),
            result: "sum".to_owned(),
        }
    }

    /// Runs the graph to completion in one `execute_session` call on a new session; returns
    /// the result the last task wrote to the context.
    pub(crate) async fn run(&self) -> u64 {
        let mut session = Session::new_from_task("bench".to_owned(), &self.start);
        session
            .context
            .set(self.input.0, self.input.1)
            .expect("input");
        let done = self
            .graph
            .execute_session(&mut session)
            .await
            .expect("runs");
        assert!(matches!(done.status, ExecutionStatus::Completed));
        session.context.get(&self.result).expect("a u64 result")
    }
}

// ---- hand-written tokio ----

/// One step of a hand-written chain, called through a trait object as an engine would.
#[async_trait]
trait Step: Send + Sync {
    async fn step(&self, value: u64) -> u64;
}

struct AddOne;

#[async_trait]
impl Step for AddOne {
    async fn step(&self, value: u64) -> u64 {
        value + 1
    }
}

/// `n` boxed steps awaited in sequence, each given the previous one's value.
pub(crate) struct TokioChain(Vec<Box<dyn Step>>);

impl std::fmt::Debug for TokioChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokioChain({})", self.0.len())
    }
}

impl TokioChain {
    pub(crate) fn new(n: usize) -> Self {
        TokioChain((0..n).map(|_| Box::new(AddOne) as Box<dyn Step>).collect())
    }

    pub(crate) async fn run(&self, input: u64) -> u64 {
        let mut value = input;
        for step in &self.0 {
            value = step.step(value).await;
        }
        value
    }
}

/// `n` spawned tasks, task `i` returning `base + i`, joined in order and summed.
pub(crate) async fn tokio_fan_out(n: usize, base: u64) -> u64 {
    let tasks: Vec<_> = (0..n as u64)
        .map(|i| tokio::spawn(async move { std::hint::black_box(base) + i }))
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("joins");
    }
    total
}
