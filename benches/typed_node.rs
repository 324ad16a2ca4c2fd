//! What a node written as a typed `async fn` costs beside the same node written as a struct.
//! Run: `cargo bench --bench typed_node`
//!
//! Both nodes read `previous_output.n` and output `{ "n": n + 1 }`; the run's input holds three
//! globals, which the typed input reads past. The struct looks the value up in place and builds
//! its output with `json!`; the function has its input deserialized and its output serialized.
//! `call` times one node execution alone; `chain` runs `n` of them in a line on `native`. Read
//! the difference per node between the two forms, not the absolute figures.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nadoo_flow::{
    Backend, BackendRegistry, BoxError, Node, NodeContext, NodeInput, NodeResult, NodeSpec,
    Outputs, Workflow, WorkflowContext, WorkflowStatus, async_trait, node,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

/// The struct form: reads `previous_output.n` in place.
#[derive(Debug, Clone, Copy)]
struct Increment;

#[async_trait]
impl Node for Increment {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let n = ctx
            .input
            .lookup("previous_output.n")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        Ok(NodeResult::ok(json!({ "n": n + 1 })))
    }
}

#[derive(Deserialize, Default)]
struct Count {
    #[serde(default)]
    n: i64,
}

#[derive(Deserialize)]
struct After {
    #[serde(default)]
    previous_output: Count,
}

#[derive(Serialize)]
struct Counted {
    n: i64,
}

/// The fn form of the same node.
#[node("bench-increment")]
async fn increment(input: After) -> Result<Counted, std::convert::Infallible> {
    Ok(Counted {
        n: input.previous_output.n + 1,
    })
}

fn globals() -> Value {
    json!({ "topic": "rust", "limit": 10, "tags": ["a", "b"] })
}

/// `start` → `n0` → … → `n{n-1}` → the end node `n{n}`, each task node made by `make`.
fn chain(n: usize, make: impl Fn(String) -> NodeSpec) -> Workflow {
    let mut builder = Workflow::builder("typed-chain").node(NodeSpec::start("start").next("n0"));
    for i in 0..n {
        builder = builder.node(make(format!("n{i}")).next(format!("n{}", i + 1)));
    }
    builder
        .node(NodeSpec::end(format!("n{n}")))
        .max_steps(n + 1)
        .build()
        .expect("valid chain")
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

async fn run(backend: &dyn Backend, workflow: &Workflow, n: usize) {
    let done = backend
        .execute_workflow(workflow, WorkflowContext::new().with_input(globals()))
        .await
        .expect("runs");
    assert_eq!(done.status, WorkflowStatus::Success);
    assert_eq!(
        done.output(&format!("n{}", n - 1)),
        Some(&json!({ "n": n }))
    );
    black_box(done);
}

fn bench_call(c: &mut Criterion) {
    let rt = runtime();
    let Value::Object(globals) = globals() else {
        unreachable!("the globals are an object")
    };
    let input = NodeInput {
        globals: Arc::new(globals),
        outputs: Outputs::from_iter([("p".into(), json!({ "n": 41 }))]),
    };
    let ctx = NodeContext::new("n", input);
    let by_struct = NodeSpec::new("n", Increment);
    let by_fn = increment::spec("n");
    for spec in [&by_struct, &by_fn] {
        let result = rt.block_on(spec.execute(&ctx));
        assert_eq!(result.output(), &json!({ "n": 42 }));
    }
    let mut group = c.benchmark_group("typed-call");
    group.throughput(Throughput::Elements(1));
    group.bench_function("struct-form", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(by_struct.execute(&ctx).await) });
    });
    group.bench_function("fn-form", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(by_fn.execute(&ctx).await) });
    });
    group.finish();
}

fn bench_chain(c: &mut Criterion) {
    let rt = runtime();
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let mut group = c.benchmark_group("typed-chain");
    for n in [100, 1_000] {
        group.throughput(Throughput::Elements(n as u64));
        let by_struct = chain(n, |id| NodeSpec::new(id, Increment));
        let by_fn = chain(n, increment::spec);
        group.bench_with_input(BenchmarkId::new("struct-form", n), &by_struct, |b, w| {
            b.to_async(&rt).iter(|| run(backend.as_ref(), w, n));
        });
        group.bench_with_input(BenchmarkId::new("fn-form", n), &by_fn, |b, w| {
            b.to_async(&rt).iter(|| run(backend.as_ref(), w, n));
        });
    }
    group.finish();
}

criterion_group!(benches, bench_call, bench_chain);
criterion_main!(benches);
