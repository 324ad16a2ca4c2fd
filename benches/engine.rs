//! Engine cost per node on `native`, beside hand-written tokio doing the same work.
//! Run: `cargo bench --bench engine`
//!
//! Each group runs our code and its baseline in the same process, with throughput in nodes,
//! so criterion reports time per node for both: the ratio is what to read, not the absolute
//! figure (machines are shared and noisy).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nadoo_flow::{
    Backend, BackendRegistry, BoxError, Node, NodeContext, NodeResult, NodeSpec, Workflow,
    WorkflowContext, WorkflowStatus, async_trait,
};
use serde_json::Value;
use tokio::runtime::Runtime;

#[path = "support/workloads.rs"]
mod workloads;

use workloads::{NoOp, chain, fan_out};

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

async fn run(backend: &dyn Backend, workflow: &Workflow) {
    let done = backend
        .execute_workflow(workflow, WorkflowContext::new())
        .await
        .expect("runs");
    assert_eq!(done.status, WorkflowStatus::Success);
    black_box(done);
}

/// The same node call through a trait object, as a hand-written engine would make it.
async fn call(node: &dyn Node, ctx: &NodeContext) -> NodeResult {
    node.execute(ctx).await.expect("no-op succeeds")
}

fn bench_chain(c: &mut Criterion) {
    let rt = runtime();
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let mut group = c.benchmark_group("chain");
    for n in [100, 1_000, 10_000] {
        group.throughput(Throughput::Elements(n as u64));
        let workflow = chain(n);
        group.bench_with_input(BenchmarkId::new("native", n), &workflow, |b, w| {
            b.to_async(&rt).iter(|| run(backend.as_ref(), w));
        });
        group.bench_with_input(BenchmarkId::new("tokio-awaits", n), &n, |b, &n| {
            let ctx = NodeContext::new("n", Default::default());
            b.to_async(&rt).iter(|| async {
                for _ in 0..n {
                    black_box(call(&NoOp, &ctx).await);
                }
            });
        });
        group.bench_with_input(BenchmarkId::new("tokio-task-per-node", n), &n, |b, &n| {
            b.to_async(&rt).iter(|| async move {
                for _ in 0..n {
                    let ctx = NodeContext::new("n", Default::default());
                    let r = tokio::spawn(async move { call(&NoOp, &ctx).await }).await;
                    black_box(r.expect("joins"));
                }
            });
        });
    }
    group.finish();
}

fn bench_fan_out(c: &mut Criterion) {
    let rt = runtime();
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let mut group = c.benchmark_group("fan-out");
    group.sample_size(20);
    for n in [100, 1_000, 10_000] {
        group.throughput(Throughput::Elements(n as u64));
        let workflow = fan_out(n);
        group.bench_with_input(BenchmarkId::new("native", n), &workflow, |b, w| {
            b.to_async(&rt).iter(|| run(backend.as_ref(), w));
        });
        group.bench_with_input(BenchmarkId::new("tokio-spawn-join", n), &n, |b, &n| {
            b.to_async(&rt).iter(|| async move {
                let tasks: Vec<_> = (0..n)
                    .map(|_| {
                        tokio::spawn(async move {
                            let ctx = NodeContext::new("n", Default::default());
                            call(&NoOp, &ctx).await
                        })
                    })
                    .collect();
                for task in tasks {
                    black_box(task.await.expect("joins"));
                }
            });
        });
    }
    group.finish();
}

/// Burns about `ms` milliseconds of CPU (calibrated once), holding its thread.
#[derive(Debug, Clone, Copy)]
struct Burn {
    iterations: u64,
}

impl Burn {
    /// A burn of about `ms` milliseconds on this machine.
    fn calibrated(ms: u64) -> Self {
        let probe = 2_000_000;
        let started = std::time::Instant::now();
        spin(probe);
        let per_ms = probe as f64 / started.elapsed().as_secs_f64() / 1000.0;
        Burn {
            iterations: (per_ms * ms as f64) as u64,
        }
    }
}

fn spin(iterations: u64) -> u64 {
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    for i in 0..iterations {
        x = black_box(x.rotate_left(5) ^ i).wrapping_mul(0x2545_F491_4F6C_DD1D);
    }
    x
}

#[async_trait]
impl Node for Burn {
    async fn execute(&self, _: &NodeContext) -> Result<NodeResult, BoxError> {
        Ok(NodeResult::ok(Value::from(spin(self.iterations))))
    }
}

fn bench_cpu(c: &mut Criterion) {
    let rt = runtime();
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let burn = Burn::calibrated(20);
    let mut start = NodeSpec::start("start");
    let mut builder = Workflow::builder("cpu");
    for i in 0..8 {
        start = start.next(format!("burn{i}"));
        builder = builder.node(NodeSpec::new(format!("burn{i}"), burn));
    }
    let workflow = builder.node(start).build().expect("valid");

    let mut group = c.benchmark_group("cpu-8x20ms");
    group.sample_size(10);
    group.bench_function("native", |b| {
        b.to_async(&rt).iter(|| run(backend.as_ref(), &workflow));
    });
    group.bench_function("tokio-spawn-blocking", |b| {
        b.to_async(&rt).iter(|| async {
            let tasks: Vec<_> = (0..8)
                .map(|_| tokio::task::spawn_blocking(move || spin(burn.iterations)))
                .collect();
            for task in tasks {
                black_box(task.await.expect("joins"));
            }
        });
    });
    group.bench_function("ideal-sequential-one-burn", |b| {
        // One burn on one thread: the ideal for 8 burns on 2 cores is 4 times this.
        b.iter(|| black_box(spin(burn.iterations)));
    });
    group.finish();
}

criterion_group!(benches, bench_chain, bench_fan_out, bench_cpu);
criterion_main!(benches);
