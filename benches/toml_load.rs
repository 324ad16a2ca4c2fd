//! Loading and validating a 10 000-node TOML workflow, beside the cheapest full parse of the
//! same text the `toml` crate offers (`toml::de::DeTable::parse`: spans, borrowed strings, no
//! conversion) and the usual one (`toml::Table`). Run: `cargo bench --bench toml_load`
//!
//! After criterion's figures it prints the ratio of loading to each baseline, from runs of the
//! two taken in turn (the median of the pairs' ratios), so a drift of the machine's speed
//! cancels out. Set `NADOO_TOML_PAIRS` to change the number of pairs (default 30).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nadoo_flow::Workflow;

#[path = "support/toml_files.rs"]
mod toml_files;

const N: usize = 10_000;

fn load(text: &str) -> Workflow {
    Workflow::from_toml("big.toml", text).expect("valid")
}

fn detable(text: &str) -> usize {
    toml::de::DeTable::parse(text)
        .expect("valid toml")
        .get_ref()
        .len()
}

fn table(text: &str) -> toml::Table {
    text.parse::<toml::Table>().expect("valid toml")
}

fn bench(c: &mut Criterion) {
    for (name, text) in [
        ("template", toml_files::template_chain(N)),
        ("set", toml_files::set_chain(N)),
    ] {
        assert_eq!(load(&text).nodes().len(), N + 2);
        let mut group = c.benchmark_group(format!("toml-10k-{name}"));
        group.sample_size(10);
        group.throughput(Throughput::Elements(N as u64));
        group.bench_function("load-and-validate", |b| {
            b.iter(|| black_box(load(black_box(&text))));
        });
        group.bench_function("toml-detable-baseline", |b| {
            b.iter(|| black_box(detable(black_box(&text))));
        });
        group.bench_function("toml-table-baseline", |b| {
            b.iter(|| black_box(table(black_box(&text))));
        });
        group.finish();
        ratios(name, &text);
    }
}

/// Time of one call of `f`.
fn time<T>(f: impl FnOnce() -> T) -> Duration {
    let start = Instant::now();
    black_box(f());
    start.elapsed()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Loading beside each baseline, pair by pair.
fn ratios(name: &str, text: &str) {
    let pairs: usize = std::env::var("NADOO_TOML_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let (mut loads, mut to_detable, mut to_table) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..pairs {
        let a = time(|| load(text)).as_secs_f64();
        let b = time(|| detable(text)).as_secs_f64();
        let c = time(|| table(text)).as_secs_f64();
        loads.push(a);
        to_detable.push(a / b);
        to_table.push(a / c);
    }
    eprintln!(
        "toml-10k-{name} ({} KB): load + validate {:.2} µs/node; ratio to DeTable::parse {:.2}, \
         to toml::Table {:.2} (medians of {pairs} pairs; target ≤ 1.3)",
        text.len() / 1000,
        median(loads) * 1e6 / N as f64,
        median(to_detable),
        median(to_table),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
