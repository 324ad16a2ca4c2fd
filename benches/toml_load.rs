//! Loading and validating a 10 000-node TOML workflow, beside parsing the same text into a
//! plain TOML table. Run: `cargo bench --bench toml_load`

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nadoo_flow::Workflow;

/// A chain of `n` template nodes in TOML.
fn chain_toml(n: usize) -> String {
    let mut text = String::from("name = \"big\"\nmax_steps = 20000\n\n[input]\nname = \"x\"\n\n");
    let _ = writeln!(
        text,
        "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"n0\"]\n"
    );
    for i in 0..n {
        let _ = writeln!(
            text,
            "[[nodes]]\nid = \"n{i}\"\nkind = \"template\"\nconfig = {{ text = \"step {i} for {{{{name}}}}\" }}\nnext = [\"n{}\"]\n",
            i + 1
        );
    }
    let _ = writeln!(text, "[[nodes]]\nid = \"n{n}\"\nkind = \"end\"");
    text
}

fn bench(c: &mut Criterion) {
    const N: usize = 10_000;
    let text = chain_toml(N);
    let workflow = Workflow::from_toml("big.toml", &text).expect("valid");
    assert_eq!(workflow.nodes().len(), N + 2);

    let mut group = c.benchmark_group("toml-10k");
    group.sample_size(10);
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("load-and-validate", |b| {
        b.iter(|| black_box(Workflow::from_toml("big.toml", black_box(&text)).expect("valid")));
    });
    group.bench_function("toml-parse-baseline", |b| {
        b.iter(|| black_box(black_box(&text).parse::<toml::Table>().expect("valid toml")));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
