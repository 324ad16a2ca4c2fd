//! The `nats` backend against a real `nats-server -js` on a free loopback port, with worker
//! processes: the conformance suite with two workers, a worker killed mid-run, and the example
//! workflows giving the same results as on `native`.
//!
//! This binary is also the worker: started with `NADOO_TEST_WORKER_CONFIG` set, it serves
//! tasks until it is killed. The workers link the conformance suite's node kinds with it.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use nadoo_flow_conformance as conformance;
use nadoo_flow_core::{
    BackendRegistry, CancellationToken, NodeSpec, Workflow, WorkflowContext, WorkflowStatus,
};
use serde_json::{Value, json};

use nadoo_flow_nats::testing::NatsServer;
// Linked to compare results with in-process runs.
use nadoo_flow_native as _;

const WORKER_CONFIG: &str = "NADOO_TEST_WORKER_CONFIG";

/// Worker processes running this binary; killed on drop.
struct Workers(Vec<Child>);

impl Workers {
    fn start(count: usize, config: &Value) -> Workers {
        let exe = std::env::current_exe().expect("own path");
        Workers(
            (0..count)
                .map(|_| {
                    Command::new(&exe)
                        .env(WORKER_CONFIG, config.to_string())
                        .stdout(Stdio::null())
                        .spawn()
                        .expect("a worker process starts")
                })
                .collect(),
        )
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Worker mode: serve until killed.
fn serve(config: &str) -> ExitCode {
    let config: Value = serde_json::from_str(config).expect("worker config is JSON");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let backend = BackendRegistry::create("nats", config).expect("nats is linked");
    match runtime.block_on(backend.run_worker(CancellationToken::new())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("worker: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Waits until `count` workers of `config` pull tasks, so that no trial races their start-up;
/// panics after 30 s, naming the consumer.
fn workers_pulling(config: &Value, count: usize) {
    let (url, stream, consumer) = (
        config["url"].as_str().unwrap_or_default(),
        config["stream"].as_str().unwrap_or_default(),
        config["consumer"].as_str().unwrap_or_default(),
    );
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let deadline = Instant::now() + Duration::from_secs(30);
    let pulling = runtime.block_on(async {
        let client = async_nats::connect(url)
            .await
            .expect("the test server answers");
        let js = async_nats::jetstream::new(client);
        loop {
            let waiting = match js.get_stream(stream).await {
                Ok(stream) => match stream
                    .get_consumer::<async_nats::jetstream::consumer::pull::Config>(consumer)
                    .await
                {
                    Ok(mut consumer) => consumer.info().await.map_or(0, |info| info.num_waiting),
                    Err(_) => 0,
                },
                Err(_) => 0,
            };
            if waiting >= count || Instant::now() > deadline {
                break waiting;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    assert!(
        pulling >= count,
        "{pulling} of {count} workers pull from consumer `{consumer}` after 30 s"
    );
}

fn config(url: &str, prefix: &str) -> Value {
    json!({
        "url": url,
        "stream": format!("{}_TASKS", prefix.to_uppercase()),
        "subject_prefix": prefix,
        "consumer": format!("{prefix}-workers"),
        "ack_wait": "2s",
        "result_timeout": "120s",
        // An engine option: workers then run under the layer that applies it.
        "max_retries": 0,
    })
}

fn main() -> ExitCode {
    if let Ok(config) = std::env::var(WORKER_CONFIG) {
        return serve(&config);
    }
    let arguments = Arguments::from_args();
    let server = NatsServer::start();
    let suite_config = config(&server.url(), "conformance");
    let workers = Workers::start(2, &suite_config);
    if !arguments.list {
        workers_pulling(&suite_config, 2);
    }

    let mut trials = Vec::new();
    // The conformance suite, every instance talking to this server, run by two workers.
    trials.extend(conformance_trials(suite_config));
    let url = server.url();
    trials.push(Trial::test(
        "nats::killed_worker_loses_nothing",
        move || killed_worker(&url),
    ));
    let url = server.url();
    trials.push(Trial::test(
        "nats::map_spreads_its_elements_over_workers",
        move || map_over_workers(&url),
    ));
    let url = server.url();
    trials.push(Trial::test(
        "nats::node_events_cross_the_wire_in_order",
        move || events_from_workers(&url),
    ));
    let url = server.url();
    trials.push(Trial::test("nats::examples_match_native", move || {
        examples_match_native(&url)
    }));
    let url = server.url();
    trials.push(Trial::test(
        "nats::unknown_kind_is_not_redelivered",
        move || unknown_kind(&url),
    ));
    trials.push(Trial::test(
        "nats::unreachable_server_is_named",
        unreachable_server,
    ));
    trials.push(Trial::test(
        "nats::server_restart_never_hangs",
        server_restart,
    ));
    let url = server.url();
    trials.push(Trial::test("nats::poison_task_fails_its_node", move || {
        poison(&url)
    }));
    let url = server.url();
    trials.push(Trial::test(
        "nats::oversized_task_is_refused_clearly",
        move || oversized(&url),
    ));

    let conclusion = libtest_mimic::run(&arguments, trials);
    drop(workers);
    drop(server);
    conclusion.exit_code()
}

fn conformance_trials(config: Value) -> Vec<Trial> {
    conformance::configure(config);
    conformance::trials("nats")
}

/// 1 000 nodes of a few milliseconds each; one of two workers is killed with SIGKILL mid-run.
/// Every node's result arrives exactly once and the run succeeds.
fn killed_worker(url: &str) -> Result<(), Failed> {
    const N: usize = 1_000;
    let config = config(url, "killtest");
    let mut workers = Workers::start(2, &config);
    let mut start = NodeSpec::start("start");
    let mut builder = Workflow::builder("kill");
    for i in 0..N {
        start = start.next(format!("n{i}"));
        builder = builder.node(NodeSpec::from_kind(
            format!("n{i}"),
            "sleep",
            json!({ "ms": 5 }),
        )?);
    }
    let workflow = builder.node(start).max_steps(N + 1).build()?;
    let backend = BackendRegistry::create("nats", &config)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let (sender, mut events) = tokio::sync::mpsc::unbounded_channel();
    let done = runtime.block_on(async {
        let run = backend.run_workflow(
            &workflow,
            WorkflowContext::new(),
            nadoo_flow_core::RunOptions::new().events(sender),
        );
        tokio::pin!(run);
        let mut finished = 0;
        let mut killed = false;
        loop {
            tokio::select! {
                done = &mut run => break done,
                Some(event) = events.recv() => {
                    if matches!(event.kind, nadoo_flow_core::RunEventKind::NodeFinished { .. }) {
                        finished += 1;
                    }
                    if !killed && finished >= 200 {
                        // SIGKILL: no chance to acknowledge what it holds.
                        workers.0[0].kill().expect("kill the worker");
                        let _ = workers.0[0].wait();
                        killed = true;
                        // The next worker receives the delivery past `max_deliver` and
                        // answers it as poison instead of running it.
                        workers.0.append(&mut Workers::start(1, &config).0);
                    }
                }
            }
        }
    })?;
    if done.status != WorkflowStatus::Success {
        return Err(format!("the run failed: {:?}", done.error).into());
    }
    for i in 0..N {
        let id = format!("n{i}");
        let runs = done.execution_path.iter().filter(|p| **p == *id).count();
        if runs != 1 {
            return Err(format!("node {id} finished {runs} times").into());
        }
    }
    Ok(())
}

/// The example workflows give the same outputs, globals and steps on `nats` as on `native`.
fn examples_match_native(url: &str) -> Result<(), Failed> {
    let config = config(url, "conformance");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/workflows");
    let runtime = tokio::runtime::Runtime::new()?;
    for name in ["hello", "fan_out", "review", "failing", "map", "sub"] {
        let workflow = Workflow::from_toml_file(dir.join(format!("{name}.toml")))?;
        let mut reports = Vec::new();
        for (backend, config) in [("native", Value::Null), ("nats", config.clone())] {
            let backend = BackendRegistry::create(backend, config)?;
            let done =
                runtime.block_on(backend.execute_workflow(&workflow, WorkflowContext::new()))?;
            let mut path: Vec<String> = done
                .execution_path
                .iter()
                .map(ToString::to_string)
                .collect();
            path.sort();
            let outputs: std::collections::BTreeMap<String, Value> = done
                .outputs()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.clone()))
                .collect();
            reports.push((
                done.status,
                outputs,
                (*done.globals).clone(),
                path,
                done.error,
            ));
        }
        if reports[0] != reports[1] {
            return Err(format!("{name}: native {:?} vs nats {:?}", reports[0], reports[1]).into());
        }
    }
    Ok(())
}

/// The process that ran an element: a worker's, never the coordinator's.
#[nadoo_flow_core::node("test-whoami")]
async fn whoami(_input: Value) -> Result<u32, std::convert::Infallible> {
    tokio::time::sleep(Duration::from_millis(150)).await;
    Ok(std::process::id())
}

/// A `map` on `nats` sends each element to the workers as a task of its own: with two
/// workers that run two tasks at a time, eight elements run in both worker processes and
/// never in the coordinator's, and their results come back in element order.
fn map_over_workers(url: &str) -> Result<(), Failed> {
    let mut config = config(url, "mapping");
    config["worker_concurrency"] = json!(2);
    let workers = Workers::start(2, &config);
    workers_pulling(&config, 2);
    let workflow = Workflow::builder("map-over-workers")
        .node(NodeSpec::start("start").next("each"))
        .node(NodeSpec::from_kind(
            "each",
            "map",
            json!({ "over": "items", "node": { "kind": "test-whoami" }, "max_concurrency": 8 }),
        )?)
        .input("items", json!([0, 1, 2, 3, 4, 5, 6, 7]))
        .build()?;
    let backend = BackendRegistry::create("nats", &config)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let done = runtime.block_on(backend.execute_workflow(&workflow, WorkflowContext::new()))?;
    drop(workers);
    if done.status != WorkflowStatus::Success {
        return Err(format!("the map failed: {:?}", done.error).into());
    }
    let results = done
        .output("each")
        .map(|o| o["results"].clone())
        .unwrap_or_default();
    let pids: std::collections::BTreeSet<u64> = results
        .as_array()
        .map(|items| items.iter().filter_map(|r| r["value"].as_u64()).collect())
        .unwrap_or_default();
    let own = u64::from(std::process::id());
    if results.as_array().map(Vec::len) != Some(8) || pids.contains(&own) || pids.len() < 2 {
        return Err(format!(
            "expected 8 results from both workers and none from this process ({own}): {results}"
        )
        .into());
    }
    Ok(())
}

/// Emits three events of its own.
#[nadoo_flow_core::node("test-chatty")]
#[derive(Debug, Clone, Copy)]
struct Chatty;

impl nadoo_flow_core::NodeKind for Chatty {
    type Config = nadoo_flow_conformance::kinds::NoConfig;
    fn from_config(_: Self::Config) -> Result<Self, nadoo_flow_core::BoxError> {
        Ok(Chatty)
    }
}

#[nadoo_flow_core::async_trait]
impl nadoo_flow_core::Node for Chatty {
    async fn execute(
        &self,
        context: &nadoo_flow_core::NodeContext,
    ) -> Result<nadoo_flow_core::NodeResult, nadoo_flow_core::BoxError> {
        for step in 0..3 {
            context.emit("step", step);
        }
        Ok(nadoo_flow_core::NodeResult::ok(json!({ "steps": 3 })))
    }
}

/// A node's own events, emitted on a worker, reach the run's stream on the coordinator
/// between the node's start and its finish, in the order the node emitted them.
fn events_from_workers(url: &str) -> Result<(), Failed> {
    use futures::StreamExt;
    let config = config(url, "conformance");
    let workflow = Workflow::builder("chatty")
        .node(NodeSpec::start("start").next("talk"))
        .node(NodeSpec::from_kind("talk", "test-chatty", json!({}))?)
        .build()?;
    let backend = BackendRegistry::create("nats", &config)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let seen: Vec<String> = runtime.block_on(async {
        let mut run = backend.run_stream(
            &workflow,
            WorkflowContext::new(),
            nadoo_flow_core::RunOptions::new(),
        );
        let mut seen = Vec::new();
        while let Some(event) = run.next().await {
            if event.node() != Some("talk") {
                continue;
            }
            seen.push(match event.kind {
                nadoo_flow_core::RunEventKind::NodeStarted { .. } => "started".to_owned(),
                nadoo_flow_core::RunEventKind::NodeEvent { name, data, .. } => {
                    format!("{name} {data}")
                }
                nadoo_flow_core::RunEventKind::NodeFinished { .. } => "finished".to_owned(),
                other => format!("{other:?}"),
            });
        }
        seen
    });
    let expected = ["started", "step 0", "step 1", "step 2", "finished"];
    if seen != expected {
        return Err(format!("events of `talk`: {seen:?}, expected {expected:?}").into());
    }
    Ok(())
}

/// A worker that lacks a node's kind answers with an error and terminates the task.
fn unknown_kind(url: &str) -> Result<(), Failed> {
    // Workers of this test binary know every kind; a kind only the coordinator's side would
    // know cannot be registered here, so the task is sent by hand with a kind no one has.
    let config = config(url, "conformance");
    let backend = BackendRegistry::create("nats", &config)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let node = NodeSpec::from_kind("x", "set", json!({}))?.with_kind("no-such-kind", json!({}));
    let context = nadoo_flow_core::NodeContext::new("x", Default::default());
    let result =
        runtime.block_on(backend.execute_node(&node, &context, &WorkflowContext::new()))?;
    let error = result.error().unwrap_or_default().to_owned();
    if result.is_success() || !error.contains("cannot make node kind `no-such-kind`") {
        return Err(format!("expected an unknown-kind failure, got {error:?}").into());
    }
    Ok(())
}

/// A server that is not there is an error naming its URL, within the request timeout.
fn unreachable_server() -> Result<(), Failed> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let url = format!("nats://127.0.0.1:{port}");
    let backend = BackendRegistry::create("nats", json!({ "url": url, "request_timeout": "1s" }))?;
    let workflow = Workflow::builder("w")
        .node(NodeSpec::start("start"))
        .build()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let started = Instant::now();
    let done = runtime.block_on(backend.execute_workflow(&workflow, WorkflowContext::new()))?;
    let error = done.error.unwrap_or_default();
    if done.status != WorkflowStatus::Failed || !error.contains(&format!("cannot connect to {url}"))
    {
        return Err(format!("expected a connection error naming {url}, got {error:?}").into());
    }
    if started.elapsed() > Duration::from_secs(30) {
        return Err("the connection error took longer than 30 s".into());
    }
    Ok(())
}

/// A task larger than the server accepts fails its node with both sizes named.
fn oversized(url: &str) -> Result<(), Failed> {
    let config = config(url, "conformance");
    let backend = BackendRegistry::create("nats", &config)?;
    let big = "x".repeat(2 * 1024 * 1024);
    let workflow = Workflow::builder("big")
        .node(NodeSpec::start("start").next("huge"))
        .node(NodeSpec::from_kind(
            "huge",
            "set",
            json!({ "values": { "blob": big } }),
        )?)
        .build()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let done = runtime.block_on(backend.execute_workflow(&workflow, WorkflowContext::new()))?;
    let error = done.error.unwrap_or_default();
    if done.status != WorkflowStatus::Failed
        || !error.contains("the task of node `huge` is")
        || !error.contains("the server accepts at most 1048576 bytes")
    {
        return Err(format!("expected an oversized-task error, got {error:?}").into());
    }
    Ok(())
}

/// The server is killed and restarts with its store in the middle of a run: tasks and
/// results are stored by the server before they count, so the run goes on and succeeds.
fn server_restart() -> Result<(), Failed> {
    let mut server = NatsServer::start();
    let mut config = config(&server.url(), "restart");
    config["result_timeout"] = json!("60s");
    let _workers = Workers::start(2, &config);
    let mut builder = Workflow::builder("chain").node(NodeSpec::start("start").next("n0"));
    for i in 0..40 {
        builder = builder.node(
            NodeSpec::from_kind(format!("n{i}"), "sleep", json!({ "ms": 25 }))?
                .next(format!("n{}", i + 1)),
        );
    }
    let workflow = builder.node(NodeSpec::end("n40")).build()?;
    let backend = BackendRegistry::create("nats", &config)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let done = runtime.block_on(async {
        let run = backend.execute_workflow(&workflow, WorkflowContext::new());
        tokio::pin!(run);
        // Let the run get going, then restart the server under it.
        let early = tokio::time::timeout(Duration::from_millis(300), &mut run).await;
        if let Ok(done) = early {
            return done;
        }
        tokio::task::block_in_place(|| server.restart());
        match tokio::time::timeout(Duration::from_secs(90), run).await {
            Ok(done) => done,
            Err(_) => Err(nadoo_flow_core::Error::backend(
                "test",
                "the run hung for 90 s after the restart",
            )),
        }
    })?;
    let finished = (0..40)
        .filter(|i| {
            done.node_contexts
                .get(format!("n{i}").as_str())
                .is_some_and(|c| c.status == nadoo_flow_core::NodeStatus::Success)
        })
        .count();
    if done.status != WorkflowStatus::Success || finished != 40 {
        return Err(format!(
            "expected the run to survive the restart with its 40 nodes, got {:?} after {finished}: {:?}",
            done.status, done.error
        )
        .into());
    }
    Ok(())
}

/// A task whose every delivery dies with its worker fails its node after `max_deliver`
/// deliveries, with an error naming the node, instead of being delivered forever: the
/// worker that receives it once more answers it as poison.
fn poison(url: &str) -> Result<(), Failed> {
    let mut config = config(url, "poison");
    config["max_deliver"] = json!(1);
    config["ack_wait"] = json!("1s");
    let mut workers = Workers::start(1, &config);
    let workflow = Workflow::builder("poison")
        .node(NodeSpec::start("start").next("doomed"))
        .node(NodeSpec::from_kind(
            "doomed",
            "sleep",
            json!({ "ms": 60000 }),
        )?)
        .build()?;
    let backend = BackendRegistry::create("nats", &config)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let (sender, mut events) = tokio::sync::mpsc::unbounded_channel();
    let done = runtime.block_on(async {
        let run = backend.run_workflow(
            &workflow,
            WorkflowContext::new(),
            nadoo_flow_core::RunOptions::new().events(sender),
        );
        tokio::pin!(run);
        let mut killed = false;
        loop {
            tokio::select! {
                done = &mut run => break done,
                Some(event) = events.recv() => {
                    let doomed = matches!(&event.kind, nadoo_flow_core::RunEventKind::NodeStarted { node, .. } if *node == "doomed");
                    if doomed && !killed {
                        // Give the worker time to take the task, then kill it holding it.
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        workers.0[0].kill().expect("kill the worker");
                        let _ = workers.0[0].wait();
                        killed = true;
                        // The next worker receives the delivery past `max_deliver` and
                        // answers it as poison instead of running it.
                        workers.0.append(&mut Workers::start(1, &config).0);
                    }
                }
            }
        }
    })?;
    let error = done.error.unwrap_or_default();
    if done.status != WorkflowStatus::Failed
        || !error.contains("node `doomed` failed")
        || !error.contains("poison task")
    {
        return Err(format!(
            "expected the node to fail as poison, got {:?}: {error}",
            done.status
        )
        .into());
    }
    Ok(())
}
