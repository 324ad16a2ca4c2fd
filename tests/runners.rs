//! Where the scheduler runs concurrent nodes: inline, on its own task, or on a pool of runner
//! tasks bounded by `max_workers`; and how the runners halt when a node stops the run.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use nadoo_flow::{
    BackendRegistry, BoxError, Node, NodeContext, NodeResult, NodeSpec, NodeStatus, RunEvent,
    RunEventKind, RunOptions, Workflow, WorkflowContext, WorkflowStatus, async_trait,
};
use serde_json::json;
use support::{Approve, Returns, Slow, native, run, run_with};
use tokio::sync::Barrier;

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
        .filter_map(|event| match &event.kind {
            RunEventKind::NodeStarted { node, .. } => Some(node.to_string()),
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
