//! A `map` in a durable run journals each element as it finishes: a run resumed after its
//! process died, or another attempt of the map, runs only the elements without a recorded
//! output.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use nadoo_flow_core::{
    BackendRegistry, MemoryStore, NodeSpec, RunOptions, RunStore, Workflow, WorkflowContext,
    WorkflowStatus, node,
};
use nadoo_flow_native as _;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
struct Item {
    item: usize,
}

/// Executions per item of the kind `hangs-once`, which never finishes its first execution of
/// item 3 (as if its process died there).
static HANGS: [AtomicUsize; 6] = [const { AtomicUsize::new(0) }; 6];

#[node("hangs-once")]
async fn hangs_once(input: Item) -> Result<usize, std::convert::Infallible> {
    if HANGS[input.item].fetch_add(1, Ordering::SeqCst) == 0 && input.item == 3 {
        std::future::pending::<()>().await;
    }
    Ok(input.item * 10)
}

/// Executions per item of the kind `fails-once`, whose first execution of item 3 fails.
static FAILS: [AtomicUsize; 6] = [const { AtomicUsize::new(0) }; 6];

#[node("fails-once")]
async fn fails_once(input: Item) -> Result<usize, String> {
    if FAILS[input.item].fetch_add(1, Ordering::SeqCst) == 0 && input.item == 3 {
        return Err("not yet".to_owned());
    }
    Ok(input.item * 10)
}

fn workflow(kind: &str, retries: u32) -> Workflow {
    let map = NodeSpec::from_kind(
        "each",
        "map",
        json!({ "over": "items", "node": { "kind": kind }, "max_concurrency": 1 }),
    )
    .expect("a valid map")
    .retries(retries)
    .next("end");
    Workflow::builder("elements")
        .input("items", json!([0, 1, 2, 3, 4, 5]))
        .node(NodeSpec::start("start").next("each"))
        .node(map)
        .node(NodeSpec::end("end"))
        .build()
        .expect("a valid workflow")
}

/// The map's output: each item times ten, as a typed node's scalar output (`{value}`).
fn results() -> serde_json::Value {
    json!({ "results": (0..6).map(|i| json!({ "value": i * 10 })).collect::<Vec<_>>() })
}

fn counts(counters: &[AtomicUsize; 6]) -> Vec<usize> {
    counters.iter().map(|c| c.load(Ordering::SeqCst)).collect()
}

#[tokio::test]
async fn a_resumed_map_runs_only_the_elements_it_had_not_finished() {
    let store = Arc::new(MemoryStore::new());
    let workflow = workflow("hangs-once", 0);
    let backend: Arc<dyn nadoo_flow_core::Backend> =
        Arc::from(BackendRegistry::create("native", ()).expect("native"));

    // The first process: elements 0 to 2 finish, then element 3 never does, and the process
    // is gone.
    let first = tokio::spawn({
        let (backend, workflow) = (Arc::clone(&backend), workflow.clone());
        let options = RunOptions::new().store(store.clone()).run_id("r1");
        async move {
            backend
                .run_workflow(&workflow, WorkflowContext::new(), options)
                .await
        }
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let journal = store.get("r1").await.map(|r| r.journal).unwrap_or_default();
        if journal.iter().filter(|e| e.element.is_some()).count() == 3 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "three elements finish"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.abort();
    let _ = first.await;
    let stored = store.get("r1").await.expect("kept");
    assert_eq!(stored.record.status, WorkflowStatus::Running);
    let elements: Vec<_> = stored
        .journal
        .iter()
        .filter_map(|e| e.element.map(|i| (e.node.as_str(), i, e.output.clone())))
        .collect();
    assert_eq!(
        elements,
        [
            ("each", 0, json!({ "value": 0 })),
            ("each", 1, json!({ "value": 10 })),
            ("each", 2, json!({ "value": 20 }))
        ]
    );

    // Another process resumes it: the recorded elements are not run again.
    let done = backend
        .run_workflow(
            &workflow,
            WorkflowContext::new(),
            RunOptions::new().store(store.clone()).resume_run("r1"),
        )
        .await
        .expect("resumes");
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    assert_eq!(done.output("each"), Some(&results()));
    assert_eq!(
        counts(&HANGS),
        [1, 1, 1, 2, 1, 1],
        "only element 3 ran twice"
    );
}

#[tokio::test]
async fn another_attempt_of_a_durable_map_keeps_the_elements_that_succeeded() {
    let store = Arc::new(MemoryStore::new());
    let backend = BackendRegistry::create("native", ()).expect("native");
    let done = backend
        .run_workflow(
            &workflow("fails-once", 1),
            WorkflowContext::new(),
            RunOptions::new().store(store.clone()).run_id("r2"),
        )
        .await
        .expect("runs");
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    assert_eq!(done.output("each"), Some(&results()));
    assert_eq!(
        counts(&FAILS),
        [1, 1, 1, 2, 1, 1],
        "the retry ran element 3 only"
    );
    let journal = store.get("r2").await.expect("kept").journal;
    let own: Vec<_> = journal
        .iter()
        .filter(|e| e.node == "each" && e.element.is_none())
        .collect();
    assert_eq!(
        own.len(),
        1,
        "one entry of the map itself, after its elements"
    );
    assert_eq!(own[0].attempt, 2);
    assert_eq!(
        journal.iter().filter(|e| e.element.is_some()).count(),
        6,
        "each element journaled once"
    );
}
