//! Durable runs on `native` with the in-memory store: the journal is written ahead of every
//! successor, a run dropped at any point is finished by `resume_run` with the outputs of an
//! uninterrupted run and without running a journaled node again, and what may not be resumed
//! is refused with an error that names the run.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nadoo_flow::run_store::{LEASE_TTL, LeaseHolder};
use nadoo_flow::{
    BoxError, Error, MemoryStore, Node, NodeContext, NodeResult, NodeSpec, NodeStatus, RunOptions,
    RunStore, Workflow, WorkflowContext, WorkflowStatus, async_trait,
};
use serde_json::{Value, json};
use support::native;
use tokio::sync::Notify;

/// Makes the execution numbered `at` (counting every node execution of the run) hang, as if
/// the process died while it ran, and tells the test.
#[derive(Debug)]
struct Crash {
    at: usize,
    started: AtomicUsize,
    crashed: Notify,
}

impl Crash {
    fn at(at: usize) -> Arc<Self> {
        Arc::new(Crash {
            at,
            started: AtomicUsize::new(0),
            crashed: Notify::new(),
        })
    }

    fn never() -> Arc<Self> {
        Crash::at(usize::MAX)
    }
}

/// What a test sees of the nodes: executions by (node, iteration), idempotency keys, and
/// predecessors that were not journaled when a node started.
#[derive(Debug, Default)]
struct Seen {
    executions: Mutex<BTreeMap<(String, u32), usize>>,
    keys: Mutex<BTreeSet<String>>,
    unjournaled: Mutex<Vec<String>>,
}

impl Seen {
    fn executed(&self) -> BTreeMap<(String, u32), usize> {
        self.executions.lock().unwrap().clone()
    }
}

/// Outputs `{"sum": 1 + the sums of its inputs}`; as the loop's last node it also counts laps
/// in the global `laps` and routes `again` until the third.
#[derive(Debug)]
struct Step {
    lap: bool,
    crash: Arc<Crash>,
    seen: Arc<Seen>,
    store: Arc<MemoryStore>,
}

#[async_trait]
impl Node for Step {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        // Write-ahead: every predecessor's completion is in the store before this starts.
        let run_id = ctx.run_id.as_deref().ok_or("no run id in a durable run")?;
        let journal = self.store.get(run_id).await?.journal;
        for (from, _) in ctx.input.outputs.iter() {
            if !journal.iter().any(|e| e.node == from.as_str()) {
                self.seen
                    .unjournaled
                    .lock()
                    .unwrap()
                    .push(format!("{} before {from}", ctx.node_id));
            }
        }
        let n = self.crash.started.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.crash.at {
            self.crash.crashed.notify_one();
            std::future::pending::<()>().await;
        }
        *self
            .seen
            .executions
            .lock()
            .unwrap()
            .entry((ctx.node_id.to_string(), ctx.iteration))
            .or_default() += 1;
        if let Some(key) = ctx.idempotency_key() {
            self.seen.keys.lock().unwrap().insert(key);
        }
        let sum = 1 + ctx
            .input
            .outputs
            .values()
            .filter_map(|v| v["sum"].as_u64())
            .sum::<u64>();
        if !self.lap {
            return Ok(NodeResult::ok(json!({ "sum": sum })));
        }
        let laps = ctx
            .input
            .globals
            .get("laps")
            .and_then(Value::as_u64)
            .unwrap_or(0)
            + 1;
        Ok(NodeResult::ok(json!({ "sum": sum, "laps": laps }))
            .with_global("laps", json!(laps))
            .with_route(if laps < 3 { "again" } else { "done" }))
    }
}

/// `start → a → (b, c) → d → lap`, and `lap` routes back to `a` twice before `fin`: a
/// fan-out, a join and a loop of three iterations.
fn workflow(crash: &Arc<Crash>, seen: &Arc<Seen>, store: &Arc<MemoryStore>) -> Workflow {
    let step = |id: &str, lap: bool| {
        NodeSpec::new(
            id,
            Step {
                lap,
                crash: Arc::clone(crash),
                seen: Arc::clone(seen),
                store: Arc::clone(store),
            },
        )
    };
    Workflow::builder("laps")
        .node(NodeSpec::start("start").next("a"))
        .node(step("a", false).next("b").next("c"))
        .node(step("b", false).next("d"))
        .node(step("c", false).next("d"))
        .node(step("d", false).next("lap"))
        .node(step("lap", true).route("again", "a").route("done", "fin"))
        .node(NodeSpec::end("fin"))
        .build()
        .expect("a valid workflow")
}

/// Every node's output, by id.
fn outputs(ctx: &WorkflowContext, workflow: &Workflow) -> BTreeMap<String, Option<Value>> {
    workflow
        .nodes()
        .iter()
        .map(|n| (n.id().to_owned(), ctx.output(n.id()).cloned()))
        .collect()
}

fn durable(store: &Arc<MemoryStore>) -> RunOptions {
    RunOptions::new().store(Arc::clone(store) as Arc<dyn RunStore>)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_dropped_at_any_point_is_finished_by_resume_without_rerunning_journaled_nodes() {
    let backend = native();
    let store = Arc::new(MemoryStore::new());

    let seen = Arc::new(Seen::default());
    let reference_workflow = workflow(&Crash::never(), &seen, &store);
    let reference = backend
        .run_workflow(
            &reference_workflow,
            WorkflowContext::new(),
            durable(&store).run_id("reference"),
        )
        .await
        .expect("runs");
    assert_eq!(
        reference.status,
        WorkflowStatus::Success,
        "{:?}",
        reference.error
    );
    let expected = outputs(&reference, &reference_workflow);
    assert_eq!(expected["lap"], Some(json!({ "sum": 42, "laps": 3 })));
    let total: usize = seen.executed().values().sum();
    assert_eq!(total, 15, "five nodes, three laps: {:?}", seen.executed());
    assert!(
        seen.unjournaled.lock().unwrap().is_empty(),
        "{:?}",
        seen.unjournaled.lock().unwrap()
    );

    for at in 1..=total {
        let run_id = format!("crash-{at}");
        let crash = Crash::at(at);
        let before = Arc::new(Seen::default());
        let crashing = workflow(&crash, &before, &store);
        let run = backend.run_workflow(
            &crashing,
            WorkflowContext::new(),
            durable(&store).run_id(&run_id),
        );
        tokio::select! {
            () = crash.crashed.notified() => {}
            done = run => panic!("crash point {at}: the run ended first: {:?}", done.map(|c| c.status)),
        }
        // The dropped run gives its lease up from a task of its own.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let stored = store.get(&run_id).await.expect("the run is stored");
        assert_eq!(
            stored.record.status,
            WorkflowStatus::Running,
            "crash point {at}"
        );
        let journaled: BTreeSet<(String, u32)> = stored
            .journal
            .iter()
            .map(|e| (e.node.clone(), e.iteration))
            .collect();

        let after = Arc::new(Seen::default());
        let resumed_workflow = workflow(&Crash::never(), &after, &store);
        let done = backend
            .run_workflow(
                &resumed_workflow,
                WorkflowContext::new(),
                durable(&store).resume_run(&run_id),
            )
            .await
            .unwrap_or_else(|e| panic!("crash point {at}: resume failed: {e}"));
        assert_eq!(
            done.status,
            WorkflowStatus::Success,
            "crash point {at}: {:?}",
            done.error
        );
        assert_eq!(done.workflow_id, run_id);
        assert_eq!(
            outputs(&done, &resumed_workflow),
            expected,
            "crash point {at}"
        );

        let rerun: Vec<(String, u32)> = after
            .executed()
            .into_keys()
            .filter(|key| journaled.contains(key))
            .collect();
        assert!(
            rerun.is_empty(),
            "crash point {at}: journaled nodes ran again: {rerun:?}"
        );
        // Together the two processes ran every execution once, but for the ones in flight
        // at the crash (here: the one that hung, and at most its sibling).
        let mut both = before.executed();
        for (key, count) in after.executed() {
            *both.entry(key).or_default() += count;
        }
        let extra: usize = both.values().sum::<usize>() - total;
        assert!(
            extra <= 1,
            "crash point {at}: {extra} executions more: {both:?}"
        );
        assert!(
            after.unjournaled.lock().unwrap().is_empty(),
            "crash point {at}"
        );

        // Exactly one recorded result per execution, and the run is finished.
        let stored = store.get(&run_id).await.expect("stored");
        assert_eq!(stored.record.status, WorkflowStatus::Success);
        let mut entries: HashMap<(String, u32), usize> = HashMap::new();
        for e in &stored.journal {
            *entries.entry((e.node.clone(), e.iteration)).or_default() += 1;
        }
        assert_eq!(
            entries.len(),
            16,
            "crash point {at}: start and 15 steps: {entries:?}"
        );
        assert!(
            entries.values().all(|&n| n == 1),
            "crash point {at}: {entries:?}"
        );
    }
}

#[tokio::test]
async fn nodes_see_the_run_id_and_an_idempotency_key_per_iteration() {
    let store = Arc::new(MemoryStore::new());
    let seen = Arc::new(Seen::default());
    let wf = workflow(&Crash::never(), &seen, &store);
    let done = native()
        .run_workflow(&wf, WorkflowContext::new(), durable(&store).run_id("keys"))
        .await
        .expect("runs");
    assert_eq!(done.status, WorkflowStatus::Success);
    let keys = seen.keys.lock().unwrap().clone();
    assert!(
        keys.contains("keys/a/0") && keys.contains("keys/a/2"),
        "{keys:?}"
    );
    assert_eq!(keys.len(), 15);
}

#[tokio::test]
async fn a_run_without_a_store_writes_nothing_and_nodes_see_no_run_id() {
    let workflow = Workflow::builder("plain")
        .node(NodeSpec::start("start").next("a"))
        .node(NodeSpec::new("a", support::Echo).next("end"))
        .node(NodeSpec::end("end"))
        .build()
        .expect("valid");
    let done = native()
        .run_workflow(
            &workflow,
            WorkflowContext::new(),
            RunOptions::new().run_id("named"),
        )
        .await
        .expect("runs");
    assert_eq!(done.workflow_id, "named");
    assert_eq!(done.node_contexts["a"].run_id, None);
}

fn approval() -> Workflow {
    Workflow::from_toml(
        "approval.toml",
        r#"
        name = "approval"

        [[nodes]]
        id = "start"
        kind = "start"
        next = ["ask"]

        [[nodes]]
        id = "ask"
        kind = "interrupt"
        config = { prompt = "Publish it?" }
        next = ["done"]

        [[nodes]]
        id = "done"
        kind = "end"
        "#,
    )
    .expect("a valid workflow")
}

#[tokio::test]
async fn an_interrupt_node_waits_for_input_and_resume_makes_the_input_its_output() {
    let store = Arc::new(MemoryStore::new());
    let backend = native();
    let workflow = approval();
    let stopped = backend
        .run_workflow(
            &workflow,
            WorkflowContext::new(),
            durable(&store).run_id("ask"),
        )
        .await
        .expect("runs");
    assert_eq!(stopped.status, WorkflowStatus::Interrupted);
    assert_eq!(
        stopped.output("ask"),
        Some(&json!({ "prompt": "Publish it?" }))
    );
    let stored = store.get("ask").await.expect("stored");
    assert_eq!(stored.record.status, WorkflowStatus::Interrupted);

    let done = backend
        .run_workflow(
            &workflow,
            WorkflowContext::new(),
            durable(&store)
                .resume_run("ask")
                .resume_with(json!({ "approved": true })),
        )
        .await
        .expect("resumes");
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    assert_eq!(done.output("ask"), Some(&json!({ "approved": true })));
    let stored = store.get("ask").await.expect("stored");
    assert_eq!(stored.record.status, WorkflowStatus::Success);
    let statuses: Vec<NodeStatus> = stored.journal.iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            NodeStatus::Success,
            NodeStatus::Interrupted,
            NodeStatus::Success
        ]
    );

    let again = backend
        .run_workflow(
            &workflow,
            WorkflowContext::new(),
            durable(&store).resume_run("ask"),
        )
        .await
        .unwrap_err();
    assert!(matches!(again, Error::RunFinished { .. }), "{again}");
    assert_eq!(
        again.to_string(),
        "run `ask` has already finished with status success; there is nothing to resume"
    );
}

#[tokio::test]
async fn what_cannot_be_resumed_is_refused_naming_the_run() {
    let store = Arc::new(MemoryStore::new());
    let backend = native();
    let workflow = approval();
    backend
        .run_workflow(
            &workflow,
            WorkflowContext::new(),
            durable(&store).run_id("r1"),
        )
        .await
        .expect("runs");

    let taken = backend
        .run_workflow(
            &workflow,
            WorkflowContext::new(),
            durable(&store).run_id("r1"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        taken.to_string(),
        "run `r1` already exists in run store `memory://` (status interrupted); continue it \
         with `resume` instead"
    );

    let unknown = backend
        .run_workflow(
            &workflow,
            WorkflowContext::new(),
            durable(&store).resume_run("r9"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "run `r9` is not in run store `memory://`"
    );

    let edited = Workflow::from_toml(
        "approval.toml",
        r#"
        name = "approval"

        [[nodes]]
        id = "start"
        kind = "start"
        next = ["ask"]

        [[nodes]]
        id = "ask"
        kind = "interrupt"
        config = { prompt = "Publish it?" }
        next = ["end"]

        [[nodes]]
        id = "end"
        kind = "end"
        "#,
    )
    .expect("valid");
    let changed = backend
        .run_workflow(
            &edited,
            WorkflowContext::new(),
            durable(&store).resume_run("r1"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(changed, Error::InvalidCheckpoint { .. }),
        "{changed}"
    );
    assert!(
        changed
            .to_string()
            .contains("run `r1` was started on another version"),
        "{changed}"
    );

    let other = LeaseHolder {
        token: "someone-else".to_owned(),
        ..LeaseHolder::this_process()
    };
    store.lease("r1", &other, LEASE_TTL).await.expect("leased");
    let held = backend
        .run_workflow(
            &workflow,
            WorkflowContext::new(),
            durable(&store).resume_run("r1"),
        )
        .await
        .unwrap_err();
    assert!(matches!(held, Error::LeaseHeld { .. }), "{held}");
    assert!(
        held.to_string()
            .starts_with("run `r1` is being run by another process (process "),
        "{held}"
    );
    store.release("r1", &other).await.expect("released");

    let storeless = backend
        .run_workflow(
            &workflow,
            WorkflowContext::new(),
            RunOptions::new().resume_run("r1"),
        )
        .await
        .unwrap_err();
    assert!(
        storeless
            .to_string()
            .contains("resuming run `r1` needs the run store"),
        "{storeless}"
    );
}
