//! What keeping a run costs per node: the same 1 000-node chain and 1 000-node fan-out run
//! without a store, with `memory://` and with `sqlite://` (WAL, a file in a temp dir), in one
//! process. Run: `cargo bench --bench journal -- --warm-up-time 1 --measurement-time 4`
//!
//! Throughput is in nodes, so criterion reports time per node; the journal's overhead per node
//! is the store's figure less the `none` figure (SPEC §10: ≤ 20 µs on `sqlite`). Every run gets
//! a new run id, since a store refuses an id it holds.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nadoo_flow::{
    BackendRegistry, RunOptions, RunStore, StoreRegistry, Workflow, WorkflowContext, WorkflowStatus,
};

#[path = "support/workloads.rs"]
mod workloads;

const NODES: usize = 1_000;

fn bench_journal(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let dir = tempfile::tempdir().expect("a temp dir");
    let sqlite_url = format!("sqlite://{}", dir.path().join("runs.db").display());
    let stores: Vec<(&str, Option<Arc<dyn RunStore>>)> = vec![
        ("none", None),
        (
            "memory",
            Some(
                rt.block_on(StoreRegistry::open("memory://"))
                    .expect("opens"),
            ),
        ),
        (
            "sqlite",
            Some(
                rt.block_on(StoreRegistry::open(&sqlite_url))
                    .expect("opens"),
            ),
        ),
    ];
    let ids = AtomicU64::new(0);
    let workloads: [(&str, Workflow); 2] = [
        ("chain", workloads::chain(NODES)),
        ("fan-out", workloads::fan_out(NODES)),
    ];
    for (name, workflow) in &workloads {
        let mut group = c.benchmark_group(format!("journal/{name}"));
        group.sample_size(10);
        group.throughput(Throughput::Elements(NODES as u64));
        for (store_name, store) in &stores {
            group.bench_function(BenchmarkId::new(*store_name, NODES), |b| {
                b.to_async(&rt).iter(|| async {
                    let mut options = RunOptions::new();
                    if let Some(store) = store {
                        let id = ids.fetch_add(1, Ordering::Relaxed);
                        options = options
                            .store(Arc::clone(store))
                            .run_id(format!("bench-{id}"));
                    }
                    let done = backend
                        .run_workflow(workflow, WorkflowContext::new(), options)
                        .await
                        .expect("runs");
                    assert_eq!(done.status, WorkflowStatus::Success);
                    black_box(done);
                });
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench_journal);
criterion_main!(benches);
