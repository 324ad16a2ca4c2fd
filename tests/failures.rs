//! Retries with backoff, timeouts, panics, cancellation and dropped runs, on `native`.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use nadoo_flow::{
    BoxError, CancellationToken, Node, NodeContext, NodeResult, NodeSpec, NodeStatus, RunEventKind,
    RunOptions, Workflow, WorkflowStatus, async_trait,
};
use serde_json::json;
use support::{Slow, run, run_with};

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
        .filter_map(|e| match &e.kind {
            RunEventKind::NodeRetried {
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
            // Far longer than the panic takes to reach the scheduler, even when capturing its
            // backtrace (RUST_BACKTRACE=1) on a loaded machine takes a while: the run must
            // cancel it, not wait for it.
            SetAfter {
                ms: 30_000,
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
