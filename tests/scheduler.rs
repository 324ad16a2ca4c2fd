//! The shared scheduler's semantics, observed through the `native` backend by name.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use nadoo_flow::{
    BoxError, Node, NodeContext, NodeResult, NodeSpec, NodeStatus, RunEventKind, RunOptions,
    Workflow, WorkflowStatus, async_trait,
};
use serde_json::{Value, json};
use support::{Echo, Emit, Returns, Slow, run, run_with};
use tokio::sync::Barrier;

/// Waits at a shared barrier: two of these finish only if they run at the same time.
#[derive(Debug)]
struct Meet(Arc<Barrier>);

#[async_trait]
impl Node for Meet {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        self.0.wait().await;
        Ok(NodeResult::ok(json!({ "met": ctx.node_id })))
    }
}

/// Tracks how many of its kind run at once.
#[derive(Debug)]
struct Gauge {
    active: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

#[async_trait]
impl Node for Gauge {
    async fn execute(&self, _: &NodeContext) -> Result<NodeResult, BoxError> {
        let now = self.active.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.active.fetch_sub(1, Ordering::SeqCst);
        Ok(NodeResult::ok(json!({})))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_runs_successors_concurrently() {
    let barrier = Arc::new(Barrier::new(2));
    let workflow = Workflow::builder("meet")
        .node(NodeSpec::start("start").next("a").next("b"))
        .node(NodeSpec::new("a", Meet(Arc::clone(&barrier))))
        .node(NodeSpec::new("b", Meet(barrier)))
        .build()
        .expect("valid");
    // Sequential execution would wait at the barrier forever; the timeout turns that into a
    // failure instead of a hang.
    let done = tokio::time::timeout(Duration::from_secs(30), run(&workflow))
        .await
        .expect("a and b met, so they ran at the same time");
    assert_eq!(done.status, WorkflowStatus::Success);
}

#[tokio::test(flavor = "current_thread")]
async fn fan_out_is_concurrent_on_a_single_thread_too() {
    let barrier = Arc::new(Barrier::new(3));
    let mut builder =
        Workflow::builder("meet3").node(NodeSpec::start("start").next("a").next("b").next("c"));
    for id in ["a", "b", "c"] {
        builder = builder.node(NodeSpec::new(id, Meet(Arc::clone(&barrier))));
    }
    let workflow = builder.build().expect("valid");
    let options = RunOptions::new().max_workers(3.try_into().expect("not zero"));
    let (done, _) = tokio::time::timeout(Duration::from_secs(30), run_with(&workflow, options))
        .await
        .expect("all three met");
    assert_eq!(done.status, WorkflowStatus::Success);
}

#[tokio::test(flavor = "current_thread")]
async fn the_default_allows_many_more_nodes_at_once_than_cores() {
    // Nodes mostly wait; a fan-out of 16 waiting nodes must not queue behind the core count.
    let barrier = Arc::new(Barrier::new(16));
    let mut start = NodeSpec::start("start");
    let mut builder = Workflow::builder("wide-wait");
    for i in 0..16 {
        start = start.next(format!("n{i}"));
        builder = builder.node(NodeSpec::new(format!("n{i}"), Meet(Arc::clone(&barrier))));
    }
    let workflow = builder.node(start).build().expect("valid");
    let done = tokio::time::timeout(Duration::from_secs(30), run(&workflow))
        .await
        .expect("all sixteen met");
    assert_eq!(done.status, WorkflowStatus::Success);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_workers_bounds_concurrency() {
    let active = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut builder = Workflow::builder("bounded");
    let mut start = NodeSpec::start("start");
    for i in 0..12 {
        start = start.next(format!("n{i}"));
        builder = builder.node(NodeSpec::new(
            format!("n{i}"),
            Gauge {
                active: Arc::clone(&active),
                peak: Arc::clone(&peak),
            },
        ));
    }
    let workflow = builder.node(start).build().expect("valid");
    let options = RunOptions::new().max_workers(3.try_into().expect("not zero"));
    let (done, _) = run_with(&workflow, options).await;
    assert_eq!(done.status, WorkflowStatus::Success);
    assert_eq!(done.execution_path.len(), 13);
    assert!(
        peak.load(Ordering::SeqCst) <= 3,
        "peak {}",
        peak.load(Ordering::SeqCst)
    );
    assert!(peak.load(Ordering::SeqCst) >= 2, "ran concurrently at all");
}

#[tokio::test(start_paused = true)]
async fn join_waits_for_every_predecessor_and_runs_once() {
    let workflow = Workflow::builder("diamond")
        .node(NodeSpec::start("start").next("fast").next("slow"))
        .node(
            NodeSpec::new(
                "fast",
                Slow {
                    ms: 1,
                    output: json!({"v": "fast"}),
                    global: None,
                },
            )
            .next("join"),
        )
        .node(
            NodeSpec::new(
                "slow",
                Slow {
                    ms: 50,
                    output: json!({"v": "slow"}),
                    global: None,
                },
            )
            .next("join"),
        )
        .node(NodeSpec::new("join", Echo).next("end"))
        .node(NodeSpec::end("end"))
        .build()
        .expect("valid");
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Success);
    assert_eq!(
        done.execution_path
            .iter()
            .filter(|id| *id == "join")
            .count(),
        1
    );
    assert_eq!(
        done.execution_path.last().map(|id| id.as_str()),
        Some("join")
    );
    let input = &done.node_contexts["join"].input;
    assert_eq!(input.outputs["fast"], json!({"v": "fast"}));
    assert_eq!(input.outputs["slow"], json!({"v": "slow"}));
    assert!(
        input.previous_output().is_none(),
        "two predecessors: no previous_output"
    );
}

#[tokio::test]
async fn untaken_routes_are_skipped_and_skips_propagate() {
    let workflow = Workflow::builder("branches")
        .node(NodeSpec::start("start").next("decide"))
        .node(
            NodeSpec::new(
                "decide",
                Returns(NodeResult::ok(json!({})).with_route("left")),
            )
            .route("left", "l1")
            .route("right", "r1"),
        )
        .node(NodeSpec::new("l1", Emit(json!({"side": "left"}))).next("join"))
        .node(NodeSpec::new("r1", Emit(json!({}))).next("r2"))
        .node(NodeSpec::new("r2", Emit(json!({}))).next("join"))
        .node(NodeSpec::new("join", Echo).next("end"))
        .node(NodeSpec::end("end"))
        .build()
        .expect("valid");
    let (done, events) = run_with(&workflow, RunOptions::new()).await;
    assert_eq!(done.status, WorkflowStatus::Success);
    assert_eq!(done.execution_path, ["start", "decide", "l1", "join"]);
    assert_eq!(done.node_contexts["r1"].status, NodeStatus::Skipped);
    assert_eq!(done.node_contexts["r2"].status, NodeStatus::Skipped);
    let join = &done.node_contexts["join"];
    assert_eq!(join.input.outputs.keys().collect::<Vec<_>>(), ["l1"]);
    assert_eq!(join.input.previous_output(), Some(&json!({"side": "left"})));
    let skipped: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.kind {
            RunEventKind::NodeSkipped { node } => Some(node.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(skipped, ["r1", "r2"]);
}

/// Routes `again` until the global `rounds` reaches `until`, counting in the global.
#[derive(Debug)]
struct Review {
    until: i64,
}

#[async_trait]
impl Node for Review {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let rounds = ctx
            .input
            .globals
            .get("rounds")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            + 1;
        let route = if rounds >= self.until { "ok" } else { "again" };
        Ok(NodeResult::ok(json!({ "rounds": rounds }))
            .with_global("rounds", json!(rounds))
            .with_route(route))
    }
}

#[tokio::test]
async fn review_loop_exits_once_and_nodes_after_it_are_not_skipped_early() {
    let workflow = Workflow::builder("review")
        .node(NodeSpec::start("start").next("draft").next("side"))
        .node(NodeSpec::new("draft", Emit(json!({"text": "draft"}))).next("check"))
        .node(
            NodeSpec::new("check", Review { until: 3 })
                .route("again", "draft")
                .route("ok", "publish"),
        )
        .node(NodeSpec::new("side", Emit(json!({"side": true}))).next("publish"))
        .node(NodeSpec::new("publish", Echo).next("end"))
        .node(NodeSpec::end("end"))
        .build()
        .expect("valid");
    let (done, events) = run_with(&workflow, RunOptions::new()).await;
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    let count = |id: &str| done.execution_path.iter().filter(|p| *p == id).count();
    assert_eq!(
        (count("draft"), count("check"), count("publish")),
        (3, 3, 1)
    );
    assert_eq!(done.globals["rounds"], 3);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.kind, RunEventKind::NodeSkipped { .. })),
        "nothing is skipped: the loop's exit is taken in the end"
    );
    let publish = &done.node_contexts["publish"].input;
    assert_eq!(publish.outputs["check"]["rounds"], 3);
    assert_eq!(publish.outputs["side"], json!({"side": true}));
}

#[tokio::test]
async fn a_loop_exit_never_taken_is_skipped_when_the_loop_ends() {
    // `check` loops back until it routes `stop` to an end node; `report` waits for the
    // never-taken `ok` exit and for `side`, so it is skipped once the loop is over.
    let workflow = Workflow::builder("exit-not-taken")
        .node(NodeSpec::start("start").next("draft").next("side"))
        .node(NodeSpec::new("draft", Emit(json!({}))).next("check"))
        .node(
            NodeSpec::new("check", Review { until: 2 })
                .route("again", "draft")
                .route("ok", "done")
                .route("never", "report"),
        )
        .node(NodeSpec::new("side", Emit(json!({}))).next("report"))
        .node(NodeSpec::new("report", Echo))
        .node(NodeSpec::end("done"))
        .build()
        .expect("valid");
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Success);
    // `side` did reach `report`, so it runs with side's output only once the loop has ended.
    assert_eq!(done.node_contexts["report"].status, NodeStatus::Success);
    assert_eq!(
        done.node_contexts["report"]
            .input
            .outputs
            .keys()
            .collect::<Vec<_>>(),
        ["side"]
    );
    assert_eq!(
        done.execution_path.last().map(|id| id.as_str()),
        Some("report")
    );
}

#[tokio::test]
async fn events_come_in_order_per_node_and_the_workflow_ends_last() {
    let workflow = Workflow::builder("events")
        .node(NodeSpec::start("start").next("a").next("b"))
        .node(NodeSpec::new("a", Emit(json!({}))).next("c"))
        .node(NodeSpec::new("b", Emit(json!({}))).next("c"))
        .node(NodeSpec::new("c", Emit(json!({}))))
        .build()
        .expect("valid");
    let (done, events) = run_with(&workflow, RunOptions::new()).await;
    assert_eq!(done.status, WorkflowStatus::Success);
    for id in ["start", "a", "b", "c"] {
        let kinds: Vec<&str> = events
            .iter()
            .filter(|e| e.node() == Some(id))
            .map(|e| match &e.kind {
                RunEventKind::NodeStarted { attempt: 1, .. } => "started",
                RunEventKind::NodeFinished {
                    status: NodeStatus::Success,
                    ..
                } => "finished",
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(kinds, ["started", "finished"], "{id}");
    }
    let position = |id: &str| {
        events
            .iter()
            .position(|e| matches!(&e.kind, RunEventKind::NodeFinished { node, .. } if node == id))
            .expect("finished")
    };
    let c_started = events
        .iter()
        .position(|e| matches!(&e.kind, RunEventKind::NodeStarted { node, .. } if node == "c"))
        .expect("started");
    assert!(
        position("a") < c_started && position("b") < c_started,
        "the join starts last"
    );
    assert_eq!(
        events.last().map(|e| &e.kind),
        Some(&RunEventKind::WorkflowFinished {
            status: WorkflowStatus::Success,
            error: None
        })
    );
    let run_id = &done.workflow_id;
    assert!(events.iter().all(|e| *e.run_id == **run_id), "{events:?}");
    let json = serde_json::to_value(&events[0]).expect("serializes");
    assert_eq!(
        json,
        json!({"run_id": run_id, "event": "node_started", "node": "start", "attempt": 1})
    );
}

#[tokio::test(start_paused = true)]
async fn concurrent_global_writes_resolve_by_topological_order_not_timing() {
    for (first_ms, second_ms) in [(1, 30), (30, 1)] {
        let workflow = Workflow::builder("race")
            .node(NodeSpec::start("start").next("x").next("y"))
            .node(NodeSpec::new(
                "x",
                Slow {
                    ms: first_ms,
                    output: json!({}),
                    global: Some(("k", json!("x"))),
                },
            ))
            .node(NodeSpec::new(
                "y",
                Slow {
                    ms: second_ms,
                    output: json!({}),
                    global: Some(("k", json!("y"))),
                },
            ))
            .build()
            .expect("valid");
        let done = run(&workflow).await;
        assert_eq!(
            done.globals["k"], "y",
            "x after {first_ms} ms, y after {second_ms} ms"
        );
    }
}

#[tokio::test]
async fn ten_thousand_node_fan_out_and_join() {
    const N: usize = 10_000;
    let mut start = NodeSpec::start("start");
    let mut builder = Workflow::builder("wide");
    for i in 0..N {
        start = start.next(format!("n{i}"));
        builder = builder.node(NodeSpec::new(format!("n{i}"), Emit(json!(i))).next("join"));
    }
    let workflow = builder
        .node(start)
        .node(NodeSpec::new("join", Returns(NodeResult::ok(json!({})))))
        .max_steps(N + 2)
        .build()
        .expect("valid");
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Success);
    assert_eq!(done.execution_path.len(), N + 2);
    let join = &done.node_contexts["join"];
    assert_eq!(join.input.outputs.len(), N);
    assert_eq!(join.input.outputs["n9999"], json!(9999));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_sees_its_inputs_in_id_order_whatever_order_they_finish_in() {
    // Declared, and finishing, in an order that is neither the ids' order nor its reverse.
    let sources = [("m", 30), ("z", 1), ("a", 15), ("q", 45)];
    let mut start = NodeSpec::start("start");
    let mut builder = Workflow::builder("ordered-join");
    for (id, ms) in sources {
        start = start.next(id);
        builder = builder.node(
            NodeSpec::new(
                id,
                Slow {
                    ms,
                    output: json!({ "from": id }),
                    global: None,
                },
            )
            .next("join"),
        );
    }
    let workflow = builder
        .node(start)
        .node(NodeSpec::new("join", Echo))
        .build()
        .expect("valid");
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Success);
    let outputs = &done.node_contexts["join"].input.outputs;
    let ids: Vec<&str> = outputs.keys().map(|id| id.as_str()).collect();
    assert_eq!(ids, ["a", "m", "q", "z"]);
    for (id, _) in sources {
        assert_eq!(outputs[id], json!({ "from": id }));
    }
}
