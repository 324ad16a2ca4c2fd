//! Peak memory (VmHWM) of a 10 000-node chain and fan-out + join on nadoo-flow beside
//! graph-flow 0.8 and hand-written tokio, each case in a process of its own, on the workloads
//! of `benches/peers.rs` (see `support/peers.rs`). Run: `cargo bench --bench peers_rss`
//!
//! Without a case argument it runs itself once per case (`peers_rss case <engine> <workload>`)
//! and prints a table; with one it builds that workload, runs it (once, or as many times as a
//! fourth argument says), checks its result and prints its peak RSS in KiB.
//!
//! The repetitions are for instruction counts that do not depend on the machine's load: the
//! count of `valgrind --tool=callgrind peers_rss-* case graph-flow chain 3` less that of the same
//! with `1`, halved, is the cost of one run (engines: `tokio`, `graph-flow`, `nadoo-flow`;
//! workloads: `chain`, `fan-out`).

#![allow(
    clippy::print_stdout,
    reason = "each case reports its figure on stdout to the parent"
)]

use std::process::Command;

use nadoo_flow::BackendRegistry;

#[path = "support/peers.rs"]
mod peers;

use peers::{BASE, GraphFlowRun, NadooRun, TokioChain, fan_out_sum, tokio_fan_out};

const N: usize = 10_000;
const WORKLOADS: [&str; 2] = ["chain", "fan-out"];
const ENGINES: [&str; 3] = ["tokio", "graph-flow", "nadoo-flow"];

/// The process's peak resident set, in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn run_case(engine: &str, workload: &str, times: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let chain = workload == "chain";
    let expected = if chain { N as u64 } else { fan_out_sum(N) };
    let results: Vec<u64> = match engine {
        "tokio" if chain => {
            let run = TokioChain::new(N);
            (0..times).map(|_| rt.block_on(run.run(0))).collect()
        }
        "tokio" => (0..times)
            .map(|_| rt.block_on(tokio_fan_out(N, BASE)))
            .collect(),
        "graph-flow" => {
            let run = if chain {
                GraphFlowRun::chain(N)
            } else {
                GraphFlowRun::fan_out(N)
            };
            (0..times).map(|_| rt.block_on(run.run())).collect()
        }
        "nadoo-flow" => {
            let run = if chain {
                NadooRun::chain(N)
            } else {
                NadooRun::fan_out(N)
            };
            let backend = BackendRegistry::create("native", ()).expect("native is linked");
            (0..times)
                .map(|_| rt.block_on(run.run(backend.as_ref())))
                .collect()
        }
        other => panic!("unknown engine {other}"),
    };
    for result in results {
        assert_eq!(result, expected, "{engine} {workload}");
    }
    println!("{}", peak_rss_kib());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [first, engine, workload, rest @ ..] = args.as_slice()
        && first == "case"
    {
        let times = rest
            .first()
            .map_or(1, |t| t.parse().expect("a count of runs"));
        run_case(engine, workload, times);
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    eprintln!("peak RSS of a 10 000-node run (VmHWM), each case in its own process");
    eprintln!(
        "{:<8} {:>12} {:>12} {:>12} {:>18} {:>16}",
        "workload", "tokio", "graph-flow", "nadoo-flow", "nadoo/graph-flow", "nadoo/tokio"
    );
    for workload in WORKLOADS {
        let mut mib = [0.0_f64; 3];
        for (slot, engine) in mib.iter_mut().zip(ENGINES) {
            let out = Command::new(&exe)
                .args(["case", engine, workload])
                .output()
                .expect("runs itself");
            assert!(
                out.status.success(),
                "case {engine} {workload} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let kib: u64 = String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .expect("a peak in KiB");
            *slot = kib as f64 / 1024.0;
        }
        let [tokio, graph_flow, nadoo] = mib;
        eprintln!(
            "{workload:<8} {tokio:>8.2} MiB {graph_flow:>8.2} MiB {nadoo:>8.2} MiB {:>18.2} {:>16.2}",
            nadoo / graph_flow,
            nadoo / tokio
        );
    }
}
