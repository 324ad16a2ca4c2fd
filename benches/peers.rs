//! nadoo-flow beside graph-flow 0.8 and hand-written tokio, in one process, on the workloads of
//! SPEC §10: a chain of `n` nodes passing a `u64` along (each adds one), and a fan-out of `n`
//! workers (each adds its index to the input) joined by one sink that sums them.
//! Run: `cargo bench --bench peers -- --warm-up-time 1 --measurement-time 4`
//!
//! Groups `chain/{graph-flow,nadoo-flow,tokio}/n` and `fan-out/…/n`, with throughput in nodes,
//! so criterion reports time per node: read the ratios, not the absolute figures. Every
//! workload's result is checked once, outside the timing loop (the chain must output `n`, the
//! fan-out `n × base + n (n − 1) / 2`), so every engine provably does the work. What
//! graph-flow does per node, and how its fan-out is built, is in `support/peers.rs`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nadoo_flow::BackendRegistry;
use tokio::runtime::Runtime;

#[path = "support/peers.rs"]
mod peers;

use peers::{BASE, GraphFlowRun, NadooRun, TokioChain, fan_out_sum, tokio_fan_out};

const SIZES: [usize; 3] = [100, 1_000, 10_000];

/// As in `benches/engine.rs`: two workers, each run driven from `block_on`, as a
/// `#[tokio::main]` program drives it.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn bench_chain(c: &mut Criterion) {
    let rt = runtime();
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let mut group = c.benchmark_group("chain");
    group.sample_size(20);
    for n in SIZES {
        let graph_flow = GraphFlowRun::chain(n);
        let nadoo = NadooRun::chain(n);
        let tokio = TokioChain::new(n);
        let expected = n as u64;
        assert_eq!(rt.block_on(graph_flow.run()), expected, "graph-flow chain");
        assert_eq!(
            rt.block_on(nadoo.run(backend.as_ref())),
            expected,
            "nadoo-flow chain"
        );
        assert_eq!(rt.block_on(tokio.run(0)), expected, "tokio chain");

        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::new("graph-flow", n), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(graph_flow.run().await) });
        });
        group.bench_function(BenchmarkId::new("nadoo-flow", n), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(nadoo.run(backend.as_ref()).await) });
        });
        group.bench_function(BenchmarkId::new("tokio", n), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(tokio.run(black_box(0)).await) });
        });
    }
    group.finish();
}

fn bench_fan_out(c: &mut Criterion) {
    let rt = runtime();
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let mut group = c.benchmark_group("fan-out");
    group.sample_size(20);
    for n in SIZES {
        let graph_flow = GraphFlowRun::fan_out(n);
        let nadoo = NadooRun::fan_out(n);
        let expected = fan_out_sum(n);
        assert_eq!(
            rt.block_on(graph_flow.run()),
            expected,
            "graph-flow fan-out"
        );
        assert_eq!(
            rt.block_on(nadoo.run(backend.as_ref())),
            expected,
            "nadoo-flow fan-out"
        );
        assert_eq!(
            rt.block_on(tokio_fan_out(n, BASE)),
            expected,
            "tokio fan-out"
        );

        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::new("graph-flow", n), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(graph_flow.run().await) });
        });
        group.bench_function(BenchmarkId::new("nadoo-flow", n), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(nadoo.run(backend.as_ref()).await) });
        });
        group.bench_function(BenchmarkId::new("tokio", n), |b| {
            b.to_async(&rt)
                .iter(|| async move { black_box(tokio_fan_out(n, black_box(BASE)).await) });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_chain, bench_fan_out);
criterion_main!(benches);
