//! Node executions per second on `nats` with 1, 2 and 4 worker processes on loopback, beside
//! the same workflow on `native` in this process. Run: `cargo bench -p nadoo-flow-nats`
//!
//! Starts `nats-server -js` on a free port; this binary is also the worker (started with
//! `NADOO_BENCH_WORKER_CONFIG` set).

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::process::{Child, Command, Stdio};
use std::time::Instant;

use nadoo_flow_core::{
    BackendRegistry, CancellationToken, NodeSpec, RunOptions, StoreRegistry, Workflow,
    WorkflowContext, WorkflowStatus,
};
use serde_json::{Value, json};

use nadoo_flow_native as _;
use nadoo_flow_nats::testing::NatsServer;

/// The allocator of the `nadoo-flow` binary, which runs the workers and coordinators measured here.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WORKER: &str = "NADOO_BENCH_WORKER_CONFIG";
const NODES: usize = 10_000;

fn main() {
    if let Ok(config) = std::env::var(WORKER) {
        let config: Value = serde_json::from_str(&config).expect("JSON");
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let backend = BackendRegistry::create("nats", config).expect("linked");
        if let Err(error) = runtime.block_on(backend.run_worker(CancellationToken::new())) {
            eprintln!("worker: {error}");
            std::process::exit(1);
        }
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let server = NatsServer::start();
    let mut start = NodeSpec::start("start");
    let mut builder = Workflow::builder("throughput");
    for i in 0..NODES {
        start = start.next(format!("n{i}"));
        builder = builder.node(
            NodeSpec::from_kind(format!("n{i}"), "set", json!({ "values": { "i": i } }))
                .expect("valid"),
        );
    }
    let workflow = builder
        .node(start)
        .max_steps(NODES + 1)
        .build()
        .expect("valid");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");

    let native = BackendRegistry::create("native", ()).expect("linked");
    let started = Instant::now();
    let done = runtime
        .block_on(native.execute_workflow(&workflow, WorkflowContext::new()))
        .expect("runs");
    assert_eq!(done.status, WorkflowStatus::Success);
    let native_rate = (NODES + 1) as f64 / started.elapsed().as_secs_f64();
    println!("native (in process, baseline): {native_rate:>10.0} node executions/s");

    for workers in [1, 2, 4] {
        let prefix = format!("bench{workers}");
        let config = json!({
            "url": server.url(),
            "stream": prefix.to_uppercase(),
            "subject_prefix": prefix,
            "consumer": format!("{prefix}-workers"),
            "max_workers": 512,
            "worker_concurrency": 256,
        });
        let mut children: Vec<Child> = (0..workers)
            .map(|_| {
                Command::new(std::env::current_exe().expect("own path"))
                    .env(WORKER, config.to_string())
                    .stdout(Stdio::null())
                    .spawn()
                    .expect("a worker starts")
            })
            .collect();
        let backend = BackendRegistry::create("nats", &config).expect("linked");
        // Warm up: connection, stream, consumer.
        let warm = Workflow::builder("warm")
            .node(NodeSpec::start("start"))
            .build()
            .expect("valid");
        runtime
            .block_on(backend.execute_workflow(&warm, WorkflowContext::new()))
            .expect("runs");
        let started = Instant::now();
        let done = runtime
            .block_on(backend.execute_workflow(&workflow, WorkflowContext::new()))
            .expect("runs");
        let elapsed = started.elapsed();
        assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
        let rate = (NODES + 1) as f64 / elapsed.as_secs_f64();
        println!(
            "nats, {workers} worker process{}: {rate:>10.0} node executions/s  ({:.3} of native)",
            if workers == 1 { " " } else { "es" },
            rate / native_rate
        );
        if workers == 2 {
            // The same run kept in the nats run store: every completion journaled.
            let store = runtime
                .block_on(StoreRegistry::open(&format!(
                    "{}?bucket=benchruns",
                    server.url()
                )))
                .expect("the store opens");
            let started = Instant::now();
            let done = runtime
                .block_on(backend.run_workflow(
                    &workflow,
                    WorkflowContext::new(),
                    RunOptions::new().store(store),
                ))
                .expect("runs");
            let elapsed = started.elapsed();
            assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
            let durable = (NODES + 1) as f64 / elapsed.as_secs_f64();
            println!(
                "nats, 2 worker processes, journaled to the nats store: {durable:>10.0} node executions/s  ({:.3} of the same without a store)",
                durable / rate
            );
        }
        for child in &mut children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
    drop(server);
}
