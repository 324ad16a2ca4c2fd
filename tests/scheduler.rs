//! The shared scheduler's semantics, observed through the `native` backend by name.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use nadoo_flow::{
    Backend, BackendRegistry, BoxError, CancellationToken, Node, NodeContext, NodeResult, NodeSpec,
    NodeStatus, RunEvent, RunOptions, Workflow, WorkflowContext, WorkflowStatus, async_trait,
};
use serde_json::{Value, json};
use support::{Echo, Emit, Returns};
use tokio::sync::Barrier;

fn native() -> Box<dyn Backend> {
    BackendRegistry::create("native", ()).expect("native is linked")
}

async fn run_with(workflow: &Workflow, options: RunOptions) -> (WorkflowContext, Vec<RunEvent>) {
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

async fn run(workflow: &Workflow) -> WorkflowContext {
    run_with(workflow, RunOptions::new()).await.0
}

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

/// Sleeps, then outputs a value and optionally writes a global.
#[derive(Debug)]
struct Slow {
    ms: u64,
    output: Value,
    global: Option<(&'static str, Value)>,
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

/// Fails until its `attempts` count reaches `succeed_on`.
#[derive(Debug)]
struct Flaky {
    attempts: Arc<AtomicUsize>,
    succeed_on: usize,
}

#[async_trait]
impl Node for Flaky {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let n = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        if n < self.succeed_on {
            return Ok(NodeResult::failed(format!("attempt {n} failed")));
        }
        Ok(NodeResult::ok(json!({ "attempt": ctx.attempt })))
    }
}

/// Panics.
#[derive(Debug)]
struct Boom;

#[async_trait]
impl Node for Boom {
    async fn execute(&self, _: &NodeContext) -> Result<NodeResult, BoxError> {
        panic!("kaboom")
    }
}

/// Sleeps, then sets a flag: a flag left unset proves the node was stopped.
#[derive(Debug)]
struct SetAfter {
    ms: u64,
    flag: Arc<AtomicBool>,
}

#[async_trait]
impl Node for SetAfter {
    async fn execute(&self, _: &NodeContext) -> Result<NodeResult, BoxError> {
        tokio::time::sleep(Duration::from_millis(self.ms)).await;
        self.flag.store(true, Ordering::SeqCst);
        Ok(NodeResult::ok(json!({})))
    }
}

/// Asks for approval: interrupts until resumed, then outputs the answer.
#[derive(Debug)]
struct Approve;

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
        .filter_map(|e| match e {
            RunEvent::NodeSkipped { node } => Some(node.as_str()),
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
            .any(|e| matches!(e, RunEvent::NodeSkipped { .. })),
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

#[tokio::test(start_paused = true)]
async fn retries_back_off_and_count_attempts() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let workflow = Workflow::builder("flaky")
        .node(NodeSpec::start("start").next("flaky"))
        .node(
            NodeSpec::new(
                "flaky",
                Flaky {
                    attempts: Arc::clone(&attempts),
                    succeed_on: 3,
                },
            )
            .retries(2),
        )
        .build()
        .expect("valid");
    let (done, events) = run_with(&workflow, RunOptions::new()).await;
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    assert_eq!(done.node_contexts["flaky"].attempt, 3);
    assert_eq!(done.output("flaky"), Some(&json!({"attempt": 3})));
    let retried: Vec<(u32, &str, Duration)> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::NodeRetried {
                attempt,
                error,
                delay,
                ..
            } => Some((*attempt, error.as_str(), *delay)),
            _ => None,
        })
        .collect();
    assert_eq!(retried.len(), 2);
    assert_eq!((retried[0].0, retried[0].1), (2, "attempt 1 failed"));
    assert_eq!((retried[1].0, retried[1].1), (3, "attempt 2 failed"));
    // 100 ms, then 200 ms, each with jitter in [0.5, 1.5).
    assert!(retried[0].2 >= Duration::from_millis(50) && retried[0].2 < Duration::from_millis(150));
    assert!(
        retried[1].2 >= Duration::from_millis(100) && retried[1].2 < Duration::from_millis(300)
    );
}

#[tokio::test(start_paused = true)]
async fn retries_run_out_and_the_run_fails_with_the_last_reason() {
    let attempts = Arc::new(AtomicUsize::new(0));
    let workflow = Workflow::builder("flaky")
        .node(NodeSpec::start("start").next("flaky"))
        .node(NodeSpec::new(
            "flaky",
            Flaky {
                attempts: Arc::clone(&attempts),
                succeed_on: 10,
            },
        ))
        .build()
        .expect("valid");
    let (done, _) = run_with(&workflow, RunOptions::new().max_retries(1)).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    assert_eq!(
        done.error.as_deref(),
        Some("node `flaky` failed: attempt 2 failed")
    );
    assert_eq!(done.node_contexts["flaky"].attempt, 2);
}

#[tokio::test(start_paused = true)]
async fn node_timeout_fails_the_attempt() {
    let workflow = Workflow::builder("slow")
        .node(NodeSpec::start("start").next("slow"))
        .node(
            NodeSpec::new(
                "slow",
                Slow {
                    ms: 60_000,
                    output: json!({}),
                    global: None,
                },
            )
            .timeout(Duration::from_millis(50)),
        )
        .build()
        .expect("valid");
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    assert_eq!(
        done.error.as_deref(),
        Some("node `slow` failed: timed out after 50ms")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_node_fails_the_run_and_cancels_the_others() {
    let flag = Arc::new(AtomicBool::new(false));
    let workflow = Workflow::builder("panics")
        .node(NodeSpec::start("start").next("boom").next("long"))
        .node(NodeSpec::new("boom", Boom))
        .node(NodeSpec::new(
            "long",
            SetAfter {
                ms: 300,
                flag: Arc::clone(&flag),
            },
        ))
        .build()
        .expect("valid");
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    assert_eq!(
        done.error.as_deref(),
        Some("node `boom` failed: panicked: kaboom")
    );
    assert_eq!(done.node_contexts["boom"].status, NodeStatus::Failed);
    let long = &done.node_contexts["long"];
    assert_eq!(long.status, NodeStatus::Failed);
    assert!(
        long.error
            .as_deref()
            .is_some_and(|e| e.starts_with("cancelled")),
        "{long:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !flag.load(Ordering::SeqCst),
        "the cancelled node was stopped"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_panic_inline_is_caught_too() {
    let workflow = Workflow::builder("panics-inline")
        .node(NodeSpec::start("start").next("boom"))
        .node(NodeSpec::new("boom", Boom))
        .build()
        .expect("valid");
    let done = run(&workflow).await;
    assert_eq!(
        done.error.as_deref(),
        Some("node `boom` failed: panicked: kaboom")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_handle_stops_in_flight_nodes_promptly() {
    let flag = Arc::new(AtomicBool::new(false));
    let workflow = Workflow::builder("cancel")
        .node(NodeSpec::start("start").next("a").next("b"))
        .node(NodeSpec::new(
            "a",
            SetAfter {
                ms: 60_000,
                flag: Arc::clone(&flag),
            },
        ))
        .node(NodeSpec::new(
            "b",
            SetAfter {
                ms: 60_000,
                flag: Arc::clone(&flag),
            },
        ))
        .build()
        .expect("valid");
    let token = CancellationToken::new();
    let canceller = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        canceller.cancel();
    });
    let done = tokio::time::timeout(
        Duration::from_secs(30),
        run_with(&workflow, RunOptions::new().cancel_on(token)),
    )
    .await
    .expect("cancellation ends the run long before the nodes would finish")
    .0;
    assert_eq!(done.status, WorkflowStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("run cancelled"));
    for id in ["a", "b"] {
        assert_eq!(done.node_contexts[id].status, NodeStatus::Failed);
        assert_eq!(
            done.node_contexts[id].error.as_deref(),
            Some("cancelled: run cancelled")
        );
    }
    assert_eq!(done.execution_path, ["start"]);
    assert!(!flag.load(Ordering::SeqCst));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_run_stops_its_nodes() {
    let flag = Arc::new(AtomicBool::new(false));
    let workflow = Workflow::builder("dropped")
        .node(NodeSpec::start("start").next("a").next("b"))
        .node(NodeSpec::new(
            "a",
            SetAfter {
                ms: 200,
                flag: Arc::clone(&flag),
            },
        ))
        .node(NodeSpec::new(
            "b",
            SetAfter {
                ms: 200,
                flag: Arc::clone(&flag),
            },
        ))
        .build()
        .expect("valid");
    let task = tokio::spawn(async move { run(&workflow).await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    task.abort();
    assert!(task.await.expect_err("aborted").is_cancelled());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !flag.load(Ordering::SeqCst),
        "the nodes' tasks were aborted with the run"
    );
}

fn approval_workflow() -> Workflow {
    Workflow::builder("approval")
        .node(NodeSpec::start("start").next("write").next("ask"))
        .node(NodeSpec::new("write", Emit(json!({"text": "post"}))).next("publish"))
        .node(NodeSpec::new("ask", Approve).next("publish"))
        .node(NodeSpec::new("publish", Echo).next("end"))
        .node(NodeSpec::end("end"))
        .build()
        .expect("valid")
}

#[tokio::test]
async fn interrupt_checkpoint_json_resume_in_a_fresh_backend() {
    let workflow = approval_workflow();
    let first = native()
        .execute_workflow(
            &workflow,
            WorkflowContext::new().with_input(json!({"topic": "rust"})),
        )
        .await
        .expect("runs");
    assert_eq!(first.status, WorkflowStatus::Interrupted);
    assert_eq!(first.node_contexts["ask"].status, NodeStatus::Interrupted);
    assert!(!first.node_contexts.contains_key("publish"));
    let checkpoint = first
        .checkpoint
        .as_ref()
        .expect("an interrupted run has a checkpoint");
    assert_eq!(checkpoint.interrupted().collect::<Vec<_>>(), ["ask"]);

    // Across a process boundary: JSON out, JSON in, a new backend instance.
    let stored = serde_json::to_string(&first).expect("serializes");
    let restored: WorkflowContext = serde_json::from_str(&stored).expect("deserializes");
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let done = backend
        .resume(&workflow, restored, json!({"approved": true}))
        .await
        .expect("resumes");

    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    assert!(done.checkpoint.is_none());
    assert_eq!(done.workflow_id, first.workflow_id);
    assert_eq!(
        done.output("ask"),
        Some(&json!({"answer": {"approved": true}}))
    );
    assert_eq!(done.globals["approved"], true);
    assert_eq!(done.globals["topic"], "rust");
    let publish = &done.node_contexts["publish"].input;
    assert_eq!(publish.outputs["write"], json!({"text": "post"}));
    assert_eq!(
        publish.outputs["ask"],
        json!({"answer": {"approved": true}})
    );
    assert_eq!(
        done.execution_path
            .iter()
            .filter(|id| *id == "publish")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_checkpoint_of_another_workflow_is_refused() {
    let first = native()
        .execute_workflow(&approval_workflow(), WorkflowContext::new())
        .await
        .expect("runs");
    let other = Workflow::builder("other")
        .node(NodeSpec::start("start"))
        .build()
        .expect("valid");
    let err = native().resume(&other, first, json!({})).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot resume workflow `other` from this checkpoint: it was taken on workflow `approval`"
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
            .map(|e| match e {
                RunEvent::NodeStarted { attempt: 1, .. } => "started",
                RunEvent::NodeFinished {
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
            .position(|e| matches!(e, RunEvent::NodeFinished { node, .. } if node == id))
            .expect("finished")
    };
    let c_started = events
        .iter()
        .position(|e| matches!(e, RunEvent::NodeStarted { node, .. } if node == "c"))
        .expect("started");
    assert!(
        position("a") < c_started && position("b") < c_started,
        "the join starts last"
    );
    assert_eq!(
        events.last(),
        Some(&RunEvent::WorkflowFinished {
            status: WorkflowStatus::Success,
            error: None
        })
    );
    let json = serde_json::to_value(&events[0]).expect("serializes");
    assert_eq!(
        json,
        json!({"event": "node_started", "node": "start", "attempt": 1})
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

#[tokio::test]
async fn a_checkpoint_naming_a_stranger_to_a_join_is_refused() {
    let workflow = approval_workflow();
    let first = native()
        .execute_workflow(&workflow, WorkflowContext::new())
        .await
        .expect("runs");
    // `publish` waits for `write` and `ask`; claim it heard from `start` instead.
    let mut stored = serde_json::to_value(&first).expect("serializes");
    let joins = stored["checkpoint"]["joins"]
        .as_array_mut()
        .expect("the checkpoint has joins");
    assert_eq!(joins[0]["node"], "publish");
    joins[0]["taken"] = json!([[0, "start", {}]]);
    let tampered: WorkflowContext = serde_json::from_value(stored).expect("deserializes");
    let err = native()
        .resume(&workflow, tampered, json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot resume workflow `approval` from this checkpoint: node `start` is not a source of join `publish`"
    );
}

/// Reports where the scheduler placed it, after meeting the others at a barrier.
#[derive(Debug)]
struct Placed(Arc<Barrier>);

#[async_trait]
impl Node for Placed {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        self.0.wait().await;
        Ok(NodeResult::ok(json!({
            "concurrent": ctx.runs_concurrently(),
            "own_task": ctx.has_own_task(),
        })))
    }
}

fn meeting(n: usize, barrier: &Arc<Barrier>) -> Workflow {
    let mut start = NodeSpec::start("start");
    let mut builder = Workflow::builder("meeting");
    for i in 0..n {
        start = start.next(format!("n{i}"));
        builder = builder.node(NodeSpec::new(format!("n{i}"), Placed(Arc::clone(barrier))));
    }
    builder.node(start).build().expect("valid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_multi_threaded_runtime_concurrent_nodes_get_tasks_and_all_may_wait_at_once() {
    // Forty nodes that each wait for all the others: they finish only if the pool of runner
    // tasks grows to forty although two threads could run them all.
    let barrier = Arc::new(Barrier::new(40));
    let workflow = meeting(40, &barrier);
    let done = tokio::time::timeout(Duration::from_secs(30), run(&workflow))
        .await
        .expect("all forty met");
    assert_eq!(done.status, WorkflowStatus::Success);
    for i in 0..40 {
        let placed = done.output(&format!("n{i}")).expect("ran");
        assert_eq!(placed["concurrent"], true);
        assert_eq!(placed["own_task"], true, "n{i}");
    }
    // The start node ran alone, inline.
    assert!(!done.node_contexts["start"].runs_concurrently());
}

/// Counts how many of its kind run at once, and waits until a group of them has met.
#[derive(Debug)]
struct GaugedMeet {
    active: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    group: Arc<Barrier>,
}

#[async_trait]
impl Node for GaugedMeet {
    async fn execute(&self, _: &NodeContext) -> Result<NodeResult, BoxError> {
        let now = self.active.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        self.group.wait().await;
        self.active.fetch_sub(1, Ordering::SeqCst);
        Ok(NodeResult::ok(json!({})))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runner_tasks_reach_max_workers_and_never_exceed_it() {
    // Groups of four must meet: the run ends only if four nodes run at once, and the gauge
    // fails it if more ever do.
    let active = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let group = Arc::new(Barrier::new(4));
    let mut builder = Workflow::builder("bounded-tasks");
    let mut start = NodeSpec::start("start");
    for i in 0..28 {
        start = start.next(format!("n{i}"));
        builder = builder.node(NodeSpec::new(
            format!("n{i}"),
            GaugedMeet {
                active: Arc::clone(&active),
                peak: Arc::clone(&peak),
                group: Arc::clone(&group),
            },
        ));
    }
    let workflow = builder.node(start).build().expect("valid");
    // Through the backend's own configuration, which a layer applies.
    let backend = BackendRegistry::create("native", json!({ "max_workers": 4 })).expect("valid");
    let done = tokio::time::timeout(
        Duration::from_secs(30),
        backend.execute_workflow(&workflow, WorkflowContext::new()),
    )
    .await
    .expect("every group of four met")
    .expect("runs");
    assert_eq!(done.status, WorkflowStatus::Success);
    assert_eq!(done.execution_path.len(), 29);
    assert_eq!(peak.load(Ordering::SeqCst), 4, "four at once, never more");
}

#[tokio::test(flavor = "current_thread")]
async fn on_a_single_thread_concurrent_nodes_share_the_schedulers_task() {
    let barrier = Arc::new(Barrier::new(3));
    let done = run(&meeting(3, &barrier)).await;
    assert_eq!(done.status, WorkflowStatus::Success);
    let placed = done.output("n0").expect("ran");
    assert_eq!(placed["concurrent"], true);
    assert_eq!(placed["own_task"], false);
}

/// `start` → `first` and ten slow siblings, at most two nodes at once: `first` ends the run
/// (by interrupting or failing) while most siblings wait for a runner.
fn first_then_siblings(first: impl Node) -> Workflow {
    let mut start = NodeSpec::start("start").next("first");
    let mut builder = Workflow::builder("first-then-siblings").node(NodeSpec::new("first", first));
    for i in 0..10 {
        start = start.next(format!("s{i}"));
        builder = builder.node(NodeSpec::new(
            format!("s{i}"),
            Slow {
                ms: 30,
                output: json!({}),
                global: None,
            },
        ));
    }
    builder.node(start).build().expect("valid")
}

/// The siblings (`s…`) that started, after checking that `start` and `first` did.
fn siblings_started(events: &[RunEvent]) -> Vec<String> {
    let started: Vec<String> = events
        .iter()
        .filter_map(|event| match event {
            RunEvent::NodeStarted { node, .. } => Some(node.to_string()),
            _ => None,
        })
        .collect();
    assert!(started.iter().any(|id| id == "start") && started.iter().any(|id| id == "first"));
    let siblings: Vec<String> = started
        .into_iter()
        .filter(|id| id.starts_with('s') && id != "start")
        .collect();
    // Two at once: `first` and at most one sibling beside it; none of those waiting.
    assert!(siblings.len() <= 1, "{siblings:?}");
    siblings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_interrupt_no_waiting_node_starts_and_all_are_in_the_checkpoint() {
    let workflow = first_then_siblings(Approve);
    let options = RunOptions::new().max_workers(2.try_into().expect("not zero"));
    let (first, events) = run_with(&workflow, options).await;
    assert_eq!(first.status, WorkflowStatus::Interrupted);
    let siblings = siblings_started(&events);
    assert_eq!(first.node_contexts.len(), 2 + siblings.len());

    let done = native()
        .resume(&workflow, first, json!({"approved": true}))
        .await
        .expect("resumes");
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    for i in 0..10 {
        assert_eq!(
            done.node_contexts[format!("s{i}").as_str()].status,
            NodeStatus::Success,
            "s{i}"
        );
    }
    let siblings = done
        .execution_path
        .iter()
        .filter(|id| id.starts_with("s") && *id != "start");
    assert_eq!(siblings.count(), 10, "each sibling once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_failure_waiting_nodes_neither_start_nor_count_as_cancelled() {
    let workflow = first_then_siblings(Returns(NodeResult::failed("no")));
    let options = RunOptions::new().max_workers(2.try_into().expect("not zero"));
    let (done, events) = run_with(&workflow, options).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("node `first` failed: no"));
    // A sibling that was running is cancelled; the waiting ones are not there at all.
    let siblings = siblings_started(&events);
    for sibling in &siblings {
        assert_eq!(
            done.node_contexts[sibling.as_str()].status,
            NodeStatus::Failed
        );
    }
    assert_eq!(done.node_contexts.len(), 2 + siblings.len());
}
