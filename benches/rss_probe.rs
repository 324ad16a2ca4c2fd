//! Peak memory (VmHWM) of a 10 000-node run, each in its own process, beside hand-written
//! tokio doing the same; and what loading a 10 000-node workflow file costs, beside the `toml`
//! crate parsing the same text. Run: `cargo bench --bench rss_probe`
//!
//! Without arguments it runs itself once per case with `NADOO_RSS_CASE` set and prints a
//! table; with the variable set it runs that one case and prints its peak RSS in KiB.
//!
//! The file cases read the text first, then reset the peak (`/proc/self/clear_refs`) and
//! report how far loading raised it above the resident set before, and what stays resident
//! after (the loaded workflow), both beside the file's size.

#![allow(
    clippy::print_stdout,
    reason = "each case reports its figure on stdout to the parent"
)]

use std::process::Command;

use nadoo_flow::{BackendRegistry, Node, NodeContext, WorkflowContext, WorkflowStatus};

const N: usize = 10_000;
const CASES: [&str; 4] = [
    "tokio-chain",
    "native-chain",
    "tokio-fan-out",
    "native-fan-out",
];

#[path = "support/workloads.rs"]
mod workloads;

#[path = "support/toml_files.rs"]
#[expect(dead_code, reason = "this probe loads only the `set` chain")]
mod toml_files;

/// The workflow files' cases: loading, and the `toml` crate's parses of the same text.
const FILE_CASES: [&str; 3] = ["file-load", "file-toml-detable", "file-toml-table"];

use workloads::{NoOp, chain, fan_out};

/// The process's peak resident set, in KiB.
fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}

/// The process's resident set now, in KiB.
fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Loads (or parses) the 10 000-node `set` chain; prints the peak's rise, what stays and the
/// file's size, in KiB.
fn run_file_case(case: &str) {
    let text = toml_files::set_chain(N);
    // Resets VmHWM to the current resident set.
    std::fs::write("/proc/self/clear_refs", "5").expect("clear_refs");
    let before = rss_kib();
    let kept: Box<dyn std::any::Any> = match case {
        "file-load" => {
            Box::new(nadoo_flow::Workflow::from_toml("chain.toml", &text).expect("valid"))
        }
        "file-toml-detable" => Box::new(
            toml::de::DeTable::parse(&text)
                .expect("valid toml")
                .get_ref()
                .len(),
        ),
        "file-toml-table" => Box::new(text.parse::<toml::Table>().expect("valid toml")),
        other => panic!("unknown case {other}"),
    };
    let peak = peak_rss_kib().saturating_sub(before);
    let kept_kib = rss_kib().saturating_sub(before);
    std::hint::black_box(&kept);
    println!("{peak} {kept_kib} {}", text.len() / 1024);
}

fn run_case(case: &str) {
    if case.starts_with("file-") {
        run_file_case(case);
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    match case {
        "tokio-chain" => rt.block_on(async {
            let nodes: Vec<Box<dyn Node>> =
                (0..N).map(|_| Box::new(NoOp) as Box<dyn Node>).collect();
            let ctx = NodeContext::new("n", Default::default());
            let mut outputs = Vec::with_capacity(N);
            for node in &nodes {
                outputs.push(node.execute(&ctx).await.expect("ok"));
            }
            std::hint::black_box(outputs);
        }),
        "tokio-fan-out" => rt.block_on(async {
            let tasks: Vec<_> = (0..N)
                .map(|_| {
                    tokio::spawn(async {
                        NoOp.execute(&NodeContext::new("n", Default::default()))
                            .await
                    })
                })
                .collect();
            let mut outputs = Vec::with_capacity(N);
            for task in tasks {
                outputs.push(task.await.expect("joins").expect("ok"));
            }
            std::hint::black_box(outputs);
        }),
        "native-chain" | "native-fan-out" => {
            let workflow = if case == "native-chain" {
                chain(N)
            } else {
                fan_out(N)
            };
            let backend = BackendRegistry::create("native", ()).expect("native is linked");
            let done = rt
                .block_on(backend.execute_workflow(&workflow, WorkflowContext::new()))
                .expect("runs");
            assert_eq!(done.status, WorkflowStatus::Success);
        }
        other => panic!("unknown case {other}"),
    }
    println!("{}", peak_rss_kib());
}

fn main() {
    if let Ok(case) = std::env::var("NADOO_RSS_CASE") {
        run_case(&case);
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    file_cases(&exe);
    let mut peaks = Vec::new();
    for case in CASES {
        let out = Command::new(&exe)
            .env("NADOO_RSS_CASE", case)
            .output()
            .expect("runs itself");
        let kib: u64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0);
        peaks.push((case, kib));
    }
    let baseline = |prefix: &str| {
        peaks
            .iter()
            .find(|(c, _)| *c == prefix)
            .map_or(1, |(_, k)| *k)
            .max(1)
    };
    eprintln!("peak RSS of a 10 000-node run (VmHWM, KiB), each case in its own process");
    for (case, kib) in &peaks {
        let base = if case.ends_with("chain") {
            baseline("tokio-chain")
        } else {
            baseline("tokio-fan-out")
        };
        eprintln!(
            "{case:<16} {kib:>8} KiB  {:>5.2} MiB  ratio to tokio {:.2}",
            *kib as f64 / 1024.0,
            *kib as f64 / base as f64
        );
    }
}

/// The workflow file's cases, each in its own process.
fn file_cases(exe: &std::path::Path) {
    eprintln!(
        "loading a 10 000-node `set` chain file: rise of the peak RSS above the resident set \
         before, and what stays resident (KiB; ratio to the file's size; target: peak ≤ 10×)"
    );
    for case in FILE_CASES {
        let out = Command::new(exe)
            .env("NADOO_RSS_CASE", case)
            .output()
            .expect("runs itself");
        let figures: Vec<u64> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        let [peak, kept, file] = figures[..] else {
            eprintln!("{case:<18} no figures");
            continue;
        };
        let file = file.max(1) as f64;
        eprintln!(
            "{case:<18} peak +{peak:>7} KiB ({:>5.1}× the file)  kept {kept:>7} KiB ({:>5.1}×)  file {file} KiB",
            peak as f64 / file,
            kept as f64 / file,
        );
    }
}
