//! Layers over any backend, observed: metrics counts, chains stopping at a failure, pools
//! spreading nodes, results reused from the cache.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use nadoo_flow::{
    Backend, BackendMetrics, BackendPool, BackendRegistry, BoxError, ChainedBackend,
    MeteredBackend, Node, NodeContext, NodeKind, NodeResult, NodeSpec, Workflow, WorkflowContext,
    WorkflowStatus, async_trait, node,
};
use nadoo_flow_conformance::{RecordingBackend, RecordingConfig};
use serde::Deserialize;
use serde_json::{Value, json};
use support::{Emit, Returns};

/// How many times the `counted` kind ran, in this test binary.
static COUNTED_RUNS: AtomicUsize = AtomicUsize::new(0);

/// Doubles the global `n`, counting its runs; cacheable: equal input, equal output.
#[node("counted")]
#[derive(Debug)]
struct Counted;

/// No configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoConfig {}

impl NodeKind for Counted {
    type Config = NoConfig;
    fn from_config(_: NoConfig) -> Result<Self, BoxError> {
        Ok(Counted)
    }
}

#[async_trait]
impl Node for Counted {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        COUNTED_RUNS.fetch_add(1, Ordering::SeqCst);
        let n = ctx.input.lookup("n").and_then(Value::as_i64).unwrap_or(0);
        Ok(NodeResult::ok(json!({ "n": n * 2 })))
    }

    fn cacheable(&self) -> bool {
        true
    }
}

fn recorder() -> RecordingBackend {
    RecordingBackend::new("recorder", RecordingConfig::default())
}

#[tokio::test]
async fn metrics_count_successes_failures_and_durations() {
    let metrics = BackendMetrics::new();
    let backend = MeteredBackend::new(
        BackendRegistry::create("native", ()).expect("linked"),
        metrics.clone(),
    );
    let workflow = Workflow::builder("metered")
        .node(NodeSpec::start("start").next("a").next("b").next("c"))
        .node(NodeSpec::new("a", Emit(json!({}))))
        .node(NodeSpec::new("b", Emit(json!({}))).next("bad"))
        .node(NodeSpec::new("c", Emit(json!({}))))
        .node(NodeSpec::new("bad", Returns(NodeResult::failed("no"))))
        .build()
        .expect("valid");
    let done = backend
        .execute_workflow(&workflow, WorkflowContext::new())
        .await
        .expect("runs");
    assert_eq!(done.status, WorkflowStatus::Failed);

    let stats = metrics.get_stats("native").expect("recorded");
    assert_eq!((stats.total, stats.successful, stats.failed), (5, 4, 1));
    assert!(
        (stats.success_rate - 0.8).abs() < 1e-9,
        "{}",
        stats.success_rate
    );
    assert!(stats.p50 <= stats.p99);
    assert!(metrics.snapshot().contains_key("native"));
}

#[tokio::test]
async fn a_chain_passes_output_on_and_stops_at_the_first_failure() {
    let first = recorder();
    let second = recorder();
    let chained = ChainedBackend::new(vec![Box::new(first.clone()), Box::new(second.clone())]);
    let node = NodeSpec::new("n", Emit(json!({ "x": 1 })));
    let ctx = WorkflowContext::new();
    let result = chained
        .execute_node(&node, &NodeContext::new("n", Default::default()), &ctx)
        .await
        .expect("runs");
    assert_eq!(result.output(), &json!({ "x": 1 }));
    assert_eq!(
        second.executed()[0].input["previous_output"],
        json!({ "x": 1 })
    );

    let third = recorder();
    let stops = ChainedBackend::new(vec![
        Box::new(first.clone()),
        Box::new(FailingBackend),
        Box::new(third.clone()),
    ]);
    let result = stops
        .execute_node(&node, &NodeContext::new("n", Default::default()), &ctx)
        .await
        .expect("runs");
    assert!(result.is_failure());
    assert_eq!(result.error(), Some("member refused"));
    assert!(
        third.executed().is_empty(),
        "the member after the failure never ran"
    );
}

/// A backend whose every node fails.
#[derive(Debug)]
struct FailingBackend;

#[async_trait]
impl Backend for FailingBackend {
    fn name(&self) -> &str {
        "failing"
    }
    fn capabilities(&self) -> nadoo_flow::Capabilities {
        nadoo_flow::Capabilities::NONE
    }
    async fn execute_node(
        &self,
        _: &NodeSpec,
        _: &NodeContext,
        _: &WorkflowContext,
    ) -> nadoo_flow::Result<NodeResult> {
        Ok(NodeResult::failed("member refused"))
    }
}

#[tokio::test]
async fn a_pool_spreads_nodes_across_members() {
    let members: Vec<RecordingBackend> = (0..3).map(|_| recorder()).collect();
    let pool = BackendPool::from_backends(
        members
            .iter()
            .map(|m| Box::new(m.clone()) as Box<dyn Backend>)
            .collect(),
    )
    .expect("not empty");
    let mut start = NodeSpec::start("start");
    let mut builder = Workflow::builder("spread");
    for i in 0..5 {
        start = start.next(format!("n{i}"));
        builder = builder.node(NodeSpec::new(format!("n{i}"), Emit(json!(i))));
    }
    let workflow = builder.node(start).build().expect("valid");
    let done = pool
        .execute_workflow(&workflow, WorkflowContext::new())
        .await
        .expect("runs");
    assert_eq!(done.status, WorkflowStatus::Success);
    let counts: Vec<usize> = members.iter().map(|m| m.executed().len()).collect();
    assert_eq!(
        counts,
        [2, 2, 2],
        "six executions, round-robin over three members"
    );

    assert!(BackendPool::from_backends(Vec::new()).is_err());
}

#[tokio::test]
async fn execute_parallel_returns_results_in_order() {
    let pool = BackendPool::from_backends(vec![Box::new(recorder()), Box::new(recorder())])
        .expect("not empty");
    let nodes: Vec<NodeSpec> = (0..4)
        .map(|i| NodeSpec::new(format!("n{i}"), Emit(json!(i))))
        .collect();
    let contexts: Vec<NodeContext> = (0..4)
        .map(|i| NodeContext::new(format!("n{i}"), Default::default()))
        .collect();
    let pairs: Vec<(&NodeSpec, &NodeContext)> = nodes.iter().zip(&contexts).collect();
    let results = pool.execute_parallel(&pairs, &WorkflowContext::new()).await;
    let outputs: Vec<Value> = results
        .into_iter()
        .map(|r| r.expect("runs").into_output())
        .collect();
    assert_eq!(outputs, [json!(0), json!(1), json!(2), json!(3)]);
}

#[tokio::test]
async fn enable_caching_reuses_results_of_cacheable_kinds_for_equal_inputs() {
    let workflow = Workflow::builder("cached")
        .node(NodeSpec::start("start").next("double"))
        .node(NodeSpec::from_kind("double", "counted", json!({})).expect("registered"))
        .build()
        .expect("valid");
    let backend =
        BackendRegistry::create("native", json!({ "enable_caching": true })).expect("linked");
    let before = COUNTED_RUNS.load(Ordering::SeqCst);
    for n in [3, 3, 4] {
        let done = backend
            .execute_workflow(
                &workflow,
                WorkflowContext::new().with_input(json!({ "n": n })),
            )
            .await
            .expect("runs");
        assert_eq!(done.output("double"), Some(&json!({ "n": n * 2 })));
    }
    assert_eq!(
        COUNTED_RUNS.load(Ordering::SeqCst) - before,
        2,
        "3 once, 4 once"
    );

    let uncached = BackendRegistry::create("native", ()).expect("linked");
    let before = COUNTED_RUNS.load(Ordering::SeqCst);
    for _ in 0..2 {
        uncached
            .execute_workflow(
                &workflow,
                WorkflowContext::new().with_input(json!({ "n": 3 })),
            )
            .await
            .expect("runs");
    }
    assert_eq!(
        COUNTED_RUNS.load(Ordering::SeqCst) - before,
        2,
        "without caching every run runs"
    );
}

#[cfg(feature = "metrics")]
#[test]
fn with_the_metrics_feature_executions_reach_the_metrics_facade() {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    use std::time::Duration;

    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        let metrics = BackendMetrics::new();
        metrics.record_execution("native", Duration::from_millis(5), true);
        metrics.record_execution("native", Duration::from_millis(7), true);
        metrics.record_execution("native", Duration::from_millis(9), false);
    });
    let mut successes = 0;
    let mut failures = 0;
    let mut durations = 0;
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let key = key.key();
        let outcome = key
            .labels()
            .find(|l| l.key() == "outcome")
            .map(|l| l.value().to_owned());
        assert!(
            key.labels()
                .any(|l| l.key() == "backend" && l.value() == "native"),
            "{key:?}"
        );
        match (key.name(), outcome.as_deref(), value) {
            ("nadoo_flow_node_executions_total", Some("success"), DebugValue::Counter(n)) => {
                successes = n
            }
            ("nadoo_flow_node_executions_total", Some("failure"), DebugValue::Counter(n)) => {
                failures = n
            }
            ("nadoo_flow_node_duration_seconds", None, DebugValue::Histogram(values)) => {
                durations = values.len()
            }
            other => panic!("unexpected metric {other:?}"),
        }
    }
    assert_eq!((successes, failures, durations), (2, 1, 3));
}

/// A backend that records what it is asked to do: workers served, whole runs, nodes.
#[derive(Debug, Default)]
struct WorkerProbe {
    served: Arc<AtomicUsize>,
    runs: Arc<AtomicUsize>,
    nodes: Arc<AtomicUsize>,
}

#[async_trait]
impl Backend for WorkerProbe {
    fn name(&self) -> &str {
        "probe"
    }
    fn capabilities(&self) -> nadoo_flow::Capabilities {
        nadoo_flow::Capabilities::NONE
    }
    async fn execute_node(
        &self,
        _: &NodeSpec,
        _: &NodeContext,
        _: &WorkflowContext,
    ) -> nadoo_flow::Result<NodeResult> {
        self.nodes.fetch_add(1, Ordering::SeqCst);
        Ok(NodeResult::default())
    }
    async fn run_workflow(
        &self,
        workflow: &Workflow,
        context: WorkflowContext,
        options: nadoo_flow::RunOptions,
    ) -> nadoo_flow::Result<WorkflowContext> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        nadoo_flow::scheduler::run(self, workflow, context, options).await
    }
    async fn run_worker(&self, _: nadoo_flow::CancellationToken) -> nadoo_flow::Result<()> {
        self.served.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn layers_pass_worker_requests_through() {
    let probe = WorkerProbe::default();
    let served = Arc::clone(&probe.served);
    let layered = MeteredBackend::new(
        Box::new(nadoo_flow::CachingBackend::new(Box::new(probe))),
        BackendMetrics::new(),
    );
    layered
        .run_worker(nadoo_flow::CancellationToken::new())
        .await
        .expect("the probe serves");
    assert_eq!(
        served.load(Ordering::SeqCst),
        1,
        "the request reached the backend under the layers"
    );
}

#[tokio::test]
async fn pools_and_chains_serve_with_every_member() {
    let served = Arc::new(AtomicUsize::new(0));
    let probes = || -> Vec<Box<dyn Backend>> {
        (0..2)
            .map(|_| {
                Box::new(WorkerProbe {
                    served: Arc::clone(&served),
                    ..WorkerProbe::default()
                }) as Box<dyn Backend>
            })
            .collect()
    };
    let shutdown = nadoo_flow::CancellationToken::new();
    let pool = BackendPool::from_backends(probes()).expect("two members");
    pool.run_worker(shutdown.clone()).await.expect("serves");
    assert_eq!(served.load(Ordering::SeqCst), 2, "both pool members served");
    ChainedBackend::new(probes())
        .run_worker(shutdown)
        .await
        .expect("serves");
    assert_eq!(
        served.load(Ordering::SeqCst),
        4,
        "both chain members served"
    );
}

/// A layer written with `LayeredBackend`, changing nothing: `WRAPS_NODES` says whether runs
/// go through it node by node.
#[derive(Debug)]
struct Plain<const WRAPS: bool>(Box<dyn Backend>);

#[async_trait]
impl<const WRAPS: bool> nadoo_flow::layers::LayeredBackend for Plain<WRAPS> {
    const WRAPS_NODES: bool = WRAPS;
    fn inner(&self) -> &dyn Backend {
        self.0.as_ref()
    }
}

#[tokio::test]
async fn a_layer_hands_whole_runs_to_its_backend_unless_it_wraps_nodes() {
    let workflow = Workflow::from_toml(
        "two.toml",
        "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"a\"]\n\n[[nodes]]\nid = \"a\"\nkind = \"set\"\n",
    )
    .expect("valid");
    let probe = WorkerProbe::default();
    let (runs, nodes) = (Arc::clone(&probe.runs), Arc::clone(&probe.nodes));
    let whole = Plain::<false>(Box::new(probe));
    let done = whole
        .execute_workflow(&workflow, WorkflowContext::new())
        .await
        .expect("runs");
    assert_eq!(done.status, WorkflowStatus::Success);
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "the run went to the probe whole"
    );
    assert_eq!(nodes.load(Ordering::SeqCst), 2);

    let probe = WorkerProbe::default();
    let (runs, nodes) = (Arc::clone(&probe.runs), Arc::clone(&probe.nodes));
    let by_node = Plain::<true>(Box::new(probe));
    let done = by_node
        .execute_workflow(&workflow, WorkflowContext::new())
        .await
        .expect("runs");
    assert_eq!(done.status, WorkflowStatus::Success);
    assert_eq!(
        runs.load(Ordering::SeqCst),
        0,
        "the layer ran the scheduler itself"
    );
    assert_eq!(
        nodes.load(Ordering::SeqCst),
        2,
        "and every node reached the probe"
    );
}
