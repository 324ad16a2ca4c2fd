//! Registry operations beside a hand-written `HashMap<&str, fn(..) -> Box<dyn Backend>>`.
//! Run: `cargo bench --bench registry`

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use nadoo_flow::{
    Backend, BackendRegistry, BackendType, Capabilities, NodeContext, NodeResult, NodeSpec, Result,
    WorkflowContext, async_trait, backend,
};
use nadoo_flow_native::{NativeBackend, NativeConfig};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A backend that does nothing, registered five hundred times below.
#[derive(Debug)]
struct Idle;

#[async_trait]
impl Backend for Idle {
    fn name(&self) -> &str {
        "idle"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE
    }
    async fn execute_node(
        &self,
        _: &NodeSpec,
        _: &NodeContext,
        _: &WorkflowContext,
    ) -> Result<NodeResult> {
        Ok(NodeResult::default())
    }
}

/// No configuration.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoConfig {}

mod many {
    use super::{Idle, NoConfig, backend};
    include!("support/many_backends.rs");
}

type Constructor = fn(&Value) -> Box<dyn Backend>;

/// What a program would write by hand: deserialize the typed config, construct, box.
fn native_by_hand(config: &Value) -> Box<dyn Backend> {
    let config: NativeConfig = serde_json::from_value(config.clone()).expect("valid");
    Box::new(NativeBackend::from_config(config).expect("valid"))
}

fn idle_by_hand(_: &Value) -> Box<dyn Backend> {
    Box::new(Idle)
}

fn by_hand_table(names: &[&'static str]) -> HashMap<&'static str, Constructor> {
    let mut table: HashMap<&'static str, Constructor> = names
        .iter()
        .map(|&name| (name, idle_by_hand as Constructor))
        .collect();
    table.insert("native", native_by_hand);
    table
}

fn bench(c: &mut Criterion) {
    let names = BackendRegistry::list_available().expect("no duplicates");
    assert!(names.len() > 500, "{} registrations", names.len());
    let table = by_hand_table(names);
    let config = json!({});

    let mut group = c.benchmark_group("registry");
    group.bench_function("create/registry", |b| {
        b.iter(|| black_box(BackendRegistry::create(black_box("native"), &config).expect("ok")));
    });
    group.bench_function("create/hashmap-baseline", |b| {
        b.iter(|| black_box(table[black_box("native")](&config)));
    });
    group.bench_function("is_available/registry", |b| {
        b.iter(|| black_box(BackendRegistry::is_available(black_box("bench-250")).expect("ok")));
    });
    group.bench_function("is_available/hashmap-baseline", |b| {
        b.iter(|| black_box(table.contains_key(black_box("bench-250"))));
    });
    group.bench_function("list_available/registry", |b| {
        b.iter(|| black_box(BackendRegistry::list_available().expect("ok").len()));
    });
    group.bench_function("list_available/hashmap-baseline", |b| {
        b.iter(|| {
            let mut names: Vec<&str> = table.keys().copied().collect();
            names.sort_unstable();
            black_box(names.len())
        });
    });
    group.bench_function("first-access-build/registry", |b| {
        b.iter(|| black_box(nadoo_flow::__private::rebuild_backend_table()));
    });
    group.bench_function("first-access-build/hashmap-baseline", |b| {
        b.iter(|| black_box(by_hand_table(black_box(names)).len()));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
