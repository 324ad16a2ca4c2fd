//! The benchmarks' workloads, each run a given number of times and nothing else: a program to
//! run under a profiler, whose instruction counts do not depend on the machine's load.
//!
//! ```sh
//! cargo bench --bench profile --no-run        # prints the binary's path
//! valgrind --tool=callgrind target/release/deps/profile-* chain 3
//! ```
//!
//! Workloads: `chain` and `fan-out` (10 000 no-op nodes on `native`, as in `benches/engine.rs`),
//! `chain-100`, `create` (`BackendRegistry::create("native", {})`, as in `benches/registry.rs`).
//! The count of a run less that of a run with fewer repetitions is the cost of the difference.
//! Under `cargo bench` (no workload given) it runs each workload once, as a smoke test.

#![allow(
    clippy::print_stderr,
    reason = "a profiling driver that says what it ran"
)]

use std::hint::black_box;

use nadoo_flow::{BackendRegistry, WorkflowContext, WorkflowStatus};
use serde_json::json;

#[path = "support/workloads.rs"]
mod workloads;

use workloads::{chain, fan_out};

fn run(workload: &str, times: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let workflow = match workload {
        "create" => {
            let config = json!({});
            for _ in 0..times {
                black_box(BackendRegistry::create(black_box("native"), &config).expect("ok"));
            }
            return;
        }
        "chain" => chain(10_000),
        "chain-100" => chain(100),
        "fan-out" => fan_out(10_000),
        other => panic!("unknown workload `{other}`: chain, chain-100, fan-out or create"),
    };
    for _ in 0..times {
        let done = runtime
            .block_on(backend.execute_workflow(&workflow, WorkflowContext::new()))
            .expect("runs");
        assert_eq!(done.status, WorkflowStatus::Success);
        black_box(done);
    }
}

fn main() {
    // `cargo bench` passes flags such as `--bench`; the rest is ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.as_slice() {
        [] => {
            for workload in ["chain", "chain-100", "fan-out", "create"] {
                run(workload, 1);
                eprintln!("profile: ran {workload} once");
            }
        }
        [workload] => run(workload, 1),
        [workload, times, ..] => run(workload, times.parse().expect("a count of runs")),
    }
}
