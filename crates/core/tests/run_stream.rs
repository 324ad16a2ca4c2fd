//! `Backend::run_stream` on the native backend: events carry the run id, nodes' own events
//! come between their start and finish, the stream ends and gives the run's result.

use std::time::Duration;

use futures::StreamExt;
use nadoo_flow_core::{
    BackendRegistry, BoxError, Node, NodeContext, NodeResult, NodeSpec, RunEvent, RunEventKind,
    RunOptions, Workflow, WorkflowContext, WorkflowStatus, async_trait,
};
use nadoo_flow_native as _;
use serde_json::{Value, json};

/// Sends `count` events of its own, yielding between them, and says whether anyone listened.
#[derive(Debug)]
struct Chatty {
    count: u64,
}

#[async_trait]
impl Node for Chatty {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        for step in 0..self.count {
            ctx.emit("step", step);
            tokio::task::yield_now().await;
        }
        Ok(NodeResult::ok(
            json!({ "listened": ctx.has_event_listener() }),
        ))
    }
}

/// Fails every attempt.
#[derive(Debug)]
struct Broken;

#[async_trait]
impl Node for Broken {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        ctx.emit("trying", Value::Null);
        Err("broken on purpose".into())
    }
}

/// `start`, then `width` chatty nodes side by side, each sending `count` events, joined by
/// `join`.
fn fan_out(width: usize, count: u64) -> Workflow {
    let mut start = NodeSpec::start("start");
    let mut builder = Workflow::builder("fan-out");
    for i in 0..width {
        let id = format!("n{i}");
        start = start.next(id.as_str());
        builder = builder.node(NodeSpec::new(id, Chatty { count }).next("join"));
    }
    builder
        .node(start)
        .node(NodeSpec::new("join", Chatty { count: 1 }))
        .build()
        .expect("valid")
}

async fn collect(workflow: &Workflow, options: RunOptions) -> (Vec<RunEvent>, WorkflowContext) {
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let context = WorkflowContext::new();
    let mut run = backend.run_stream(workflow, context, options);
    let mut events = Vec::new();
    while let Some(event) = run.next().await {
        events.push(event);
    }
    let done = run.result().await.expect("the run returns");
    (events, done)
}

/// What each node's events were, in order: `started`, the steps it sent, `finished`.
fn per_node(events: &[RunEvent], node: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.node() == Some(node))
        .map(|e| match &e.kind {
            RunEventKind::NodeStarted { .. } => "started".to_owned(),
            RunEventKind::NodeEvent { name, data, .. } => format!("{name} {data}"),
            RunEventKind::NodeFinished { .. } => "finished".to_owned(),
            RunEventKind::NodeFailed { .. } => "failed".to_owned(),
            other => format!("{other:?}"),
        })
        .collect()
}

fn expected_steps(count: u64) -> Vec<String> {
    std::iter::once("started".to_owned())
        .chain((0..count).map(|step| format!("step {step}")))
        .chain(std::iter::once("finished".to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_own_events_come_between_their_start_and_finish_in_order() {
    let workflow = fan_out(16, 20);
    let (events, done) = collect(&workflow, RunOptions::new()).await;
    assert_eq!(done.status, WorkflowStatus::Success);
    for i in 0..16 {
        assert_eq!(
            per_node(&events, &format!("n{i}")),
            expected_steps(20),
            "n{i}"
        );
        assert_eq!(
            done.output(&format!("n{i}")),
            Some(&json!({ "listened": true }))
        );
    }
    assert_eq!(per_node(&events, "join"), expected_steps(1));
    assert!(
        matches!(
            events.last().map(|e| &e.kind),
            Some(RunEventKind::WorkflowFinished {
                status: WorkflowStatus::Success,
                error: None
            })
        ),
        "{:?}",
        events.last()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn on_one_thread_too_a_nodes_events_stay_between_its_start_and_finish() {
    let workflow = fan_out(4, 5);
    let (events, done) = collect(&workflow, RunOptions::new()).await;
    assert_eq!(done.status, WorkflowStatus::Success);
    for i in 0..4 {
        assert_eq!(per_node(&events, &format!("n{i}")), expected_steps(5));
    }
}

#[tokio::test]
async fn every_event_carries_the_run_id() {
    let workflow = fan_out(3, 2);
    let (events, done) = collect(&workflow, RunOptions::new().run_id("run-42")).await;
    assert_eq!(done.workflow_id, "run-42");
    assert!(events.len() > 10, "{events:?}");
    for event in &events {
        assert_eq!(&*event.run_id, "run-42", "{event:?}");
        assert_eq!(
            serde_json::to_value(event).expect("JSON")["run_id"],
            "run-42"
        );
    }

    // Without an id given, the context's.
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let context = WorkflowContext::new();
    let id = context.workflow_id.clone();
    let mut run = backend.run_stream(&workflow, context, RunOptions::new());
    let first = run.next().await.expect("an event");
    assert_eq!(*first.run_id, *id);
    assert_eq!(run.result().await.expect("runs").workflow_id, id);
}

#[tokio::test]
async fn durations_are_numbers_of_milliseconds() {
    let workflow = Workflow::builder("slow")
        .node(NodeSpec::start("start").next("nap"))
        .node(NodeSpec::from_kind("nap", "sleep", json!({ "ms": 30 })).expect("sleep is built in"))
        .build()
        .expect("valid");
    let (events, _) = collect(&workflow, RunOptions::new()).await;
    let nap = events
        .iter()
        .find(|e| matches!(&e.kind, RunEventKind::NodeFinished { node, .. } if node == "nap"))
        .expect("nap finished");
    let json = serde_json::to_value(nap).expect("JSON");
    let ms = json["duration_ms"].as_f64().expect("a number");
    assert!((30.0..5_000.0).contains(&ms), "{json}");
    assert!(json.get("duration").is_none(), "{json}");
}

#[tokio::test]
async fn a_failed_run_ends_its_stream_and_gives_its_context() {
    let workflow = Workflow::builder("broken")
        .node(NodeSpec::start("start").next("broken"))
        .node(NodeSpec::new("broken", Broken).retries(1))
        .build()
        .expect("valid");
    let options = RunOptions::new().retry_backoff(Duration::from_millis(1));
    let (events, done) = collect(&workflow, options).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    let kinds: Vec<&str> = events
        .iter()
        .filter(|e| e.node() == Some("broken"))
        .map(|e| match &e.kind {
            RunEventKind::NodeStarted { .. } => "started",
            RunEventKind::NodeEvent { .. } => "event",
            RunEventKind::NodeRetried { .. } => "retried",
            RunEventKind::NodeFailed { duration, .. } => {
                assert!(duration.is_some(), "a node that ran has a duration");
                "failed"
            }
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        ["started", "event", "retried", "started", "event", "failed"]
    );
    assert!(matches!(
        events.last().map(|e| &e.kind),
        Some(RunEventKind::WorkflowFinished {
            status: WorkflowStatus::Failed,
            error: Some(_)
        })
    ));
}

#[tokio::test]
async fn a_run_that_cannot_start_has_no_events_and_gives_its_error() {
    let workflow = fan_out(1, 1);
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    // Resuming a stored run needs a store.
    let options = RunOptions::new().resume_run("nowhere");
    let mut run = backend.run_stream(&workflow, WorkflowContext::new(), options);
    assert!(run.next().await.is_none());
    let error = run.result().await.expect_err("no store");
    assert!(error.to_string().contains("nowhere"), "{error}");
}

#[tokio::test]
async fn the_result_can_be_awaited_without_reading_the_events() {
    let workflow = fan_out(8, 50);
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let mut run = backend.run_stream(&workflow, WorkflowContext::new(), RunOptions::new());
    let first = run.next().await.expect("an event");
    assert!(matches!(first.kind, RunEventKind::NodeStarted { .. }));
    let done = run.result().await.expect("runs");
    assert_eq!(done.status, WorkflowStatus::Success);
}

#[tokio::test(flavor = "current_thread")]
async fn without_a_listener_nodes_are_told_so_and_a_finished_run_keeps_no_channel_open() {
    let workflow = fan_out(2, 3);
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let done = backend
        .execute_workflow(&workflow, WorkflowContext::new())
        .await
        .expect("runs");
    assert_eq!(done.output("n0"), Some(&json!({ "listened": false })));

    // A run's contexts outlive it; its event channel must not.
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let done = backend
        .run_workflow(
            &workflow,
            WorkflowContext::new(),
            RunOptions::new().events(sender),
        )
        .await
        .expect("runs");
    assert_eq!(done.output("n0"), Some(&json!({ "listened": true })));
    let mut received = 0;
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while receiver.recv().await.is_some() {
            received += 1;
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the channel is still open after {received} events"
    );
    drop(done);
}
