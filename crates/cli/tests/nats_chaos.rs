//! Chaos on the `nats` backend, through the binary: the server killed and restarted with its
//! store in the middle of runs, workers killed again and again, workers frozen past
//! `ack_wait` so that their tasks are delivered twice. Every run must end with every output
//! of an undisturbed run, each node recorded once in the run's journal. Each test prints
//! what it tried and counted (`cargo test --test nats_chaos -- --nocapture`).
//!
//! Starts a real `nats-server -js` on a free loopback port; the run store is SQLite, beside
//! the chaos.

#![cfg(all(feature = "nats", feature = "native", feature = "sqlite"))]
#![allow(
    clippy::print_stdout,
    reason = "the chaos tests report what they tried and counted"
)]

#[allow(dead_code, reason = "each test file uses a part of the shared set-up")]
mod nats_support;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nadoo_flow_nats::testing::NatsServer;
use nats_support::{BIN, config_file_with, recorded, run_json};
use serde_json::Value;

fn fixture() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/chaos.toml")
        .display()
        .to_string()
}

/// A worker of `config` whose log (`RUST_LOG=nadoo_flow=debug`) goes to `log`.
fn logging_worker(config: &Path, log: &Path) -> Child {
    Command::new(BIN)
        .env("NADOO_STORE", "none")
        .env("RUST_LOG", "nadoo_flow=debug")
        .args(["worker", "--backend", "nats", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(File::create(log).expect("a log file"))
        .spawn()
        .expect("a worker starts")
}

/// The arguments of a run of the fixture on `nats` of `config`, journaled in `store`.
fn run_args(config: &Path, store: &str, run_id: &str) -> Vec<String> {
    [
        "run",
        &fixture(),
        "--backend",
        "nats",
        "--config",
        &config.display().to_string(),
        "--store",
        store,
        "--run-id",
        run_id,
        "--json",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// Starts a run of the fixture in the background.
fn start_run(args: &[String]) -> Child {
    Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the coordinator starts")
}

/// Waits for a run at most two minutes (then kills it: a hang is a failure, not a wait).
fn finish(mut run: Child, what: &str) -> (Output, Value) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while run.try_wait().expect("polls").is_none() {
        if Instant::now() > deadline {
            let _ = run.kill();
            panic!("{what}: the run hung for two minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = run.wait_with_output().expect("its output");
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, report)
}

/// Checks a disturbed run against the undisturbed one: it succeeded, every output is there
/// and equal, and each node is recorded once in its journal. Returns how many nodes.
fn check(what: &str, (out, report): &(Output, Value), whole: &Value, store: &str) -> usize {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: {} {}",
        report["error"],
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["outputs"], whole["outputs"], "{what}");
    let run_id = report["run_id"].as_str().expect("a run id");
    let nodes = recorded(store, run_id);
    let twice: Vec<&(String, u64)> = nodes.iter().filter(|(_, n)| *n != 1).collect();
    assert!(twice.is_empty(), "{what}: not recorded once: {twice:?}");
    assert_eq!(
        nodes.len(),
        whole["outputs"].as_object().map_or(0, |o| o.len()),
        "{what}"
    );
    nodes.len()
}

/// An undisturbed run of the fixture: its report, and how long it took.
fn undisturbed(config: &Path, store: &str) -> (Value, Duration) {
    let started = Instant::now();
    let run = start_run(&run_args(config, store, "undisturbed"));
    let done = finish(run, "the undisturbed run");
    let took = started.elapsed();
    assert_eq!(
        done.0.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&done.0.stderr)
    );
    (done.1, took)
}

fn store_in(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("runs.db").display())
}

#[test]
fn the_server_killed_and_restarted_mid_run_loses_nothing() {
    const POINTS: u32 = 6;
    let mut server = NatsServer::start();
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = config_file_with(dir.path(), &server, "chaosserver", "ack_wait = \"2s\"\n");
    let store = store_in(dir.path());
    let mut workers: Vec<Child> = (0..2)
        .map(|i| logging_worker(&config, &dir.path().join(format!("worker{i}.log"))))
        .collect();
    let (whole, took) = undisturbed(&config, &store);

    let (mut inside, mut nodes) = (0, 0);
    for point in 0..POINTS {
        let run_id = format!("server-killed-{point}");
        let run = start_run(&run_args(&config, &store, &run_id));
        std::thread::sleep(took.mul_f64((f64::from(point) + 0.5) / f64::from(POINTS)));
        let during = run_is_going(&store, &run_id);
        server.restart();
        let what = format!("server killed at point {point}");
        nodes += check(&what, &finish(run, &what), &whole, &store);
        inside += u32::from(during);
    }
    println!(
        "server SIGKILLed and restarted at {POINTS} points ({inside} inside a run): {POINTS} runs succeeded, {nodes} nodes each recorded once"
    );
    assert!(
        inside >= POINTS / 2,
        "only {inside} kills fell inside a run"
    );
    for worker in &mut workers {
        let _ = worker.kill();
        let _ = worker.wait();
    }
}

/// Whether run `run_id` is recorded as running now.
fn run_is_going(store: &str, run_id: &str) -> bool {
    let (_, shown) = run_json(&["runs", "show", run_id, "--store", store, "--json"]);
    shown["status"] == "running"
}

#[test]
fn workers_killed_again_and_again_lose_nothing() {
    const RUNS: usize = 3;
    let server = NatsServer::start();
    let dir = tempfile::tempdir().expect("a temp dir");
    // Killing the oldest worker every 400 ms kills some tasks at several of their deliveries
    // (on a loaded machine a new worker takes most of its life to start): room for many more
    // than the default five keeps this about losing nothing, not about poison.
    let config = config_file_with(
        dir.path(),
        &server,
        "chaosworkers",
        "ack_wait = \"1s\"\nmax_deliver = 50\n",
    );
    let store = store_in(dir.path());
    let log = |n: usize| dir.path().join(format!("worker{n}.log"));
    let mut started = 3;
    let mut workers: Vec<Child> = (0..started)
        .map(|i| logging_worker(&config, &log(i)))
        .collect();
    let (whole, _) = undisturbed(&config, &store);

    let (mut kills, mut nodes) = (0, 0);
    for round in 0..RUNS {
        let run_id = format!("workers-killed-{round}");
        let mut run = start_run(&run_args(&config, &store, &run_id));
        // Kill a worker every 400 ms, in turn, and start another in its place.
        while run.try_wait().expect("polls").is_none() {
            std::thread::sleep(Duration::from_millis(400));
            let victim = kills % workers.len();
            let _ = workers[victim].kill();
            let _ = workers[victim].wait();
            workers[victim] = logging_worker(&config, &log(started));
            started += 1;
            kills += 1;
        }
        let what = format!("workers killed, run {round}");
        nodes += check(&what, &finish(run, &what), &whole, &store);
    }
    let redelivered = redeliveries(&(0..started).map(log).collect::<Vec<_>>());
    println!(
        "{kills} workers SIGKILLed, one every 400 ms, over {RUNS} runs: {redelivered} tasks delivered again, {RUNS} runs succeeded, {nodes} nodes each recorded once"
    );
    assert!(kills >= RUNS, "the runs ended before workers were killed");
    for worker in &mut workers {
        let _ = worker.kill();
        let _ = worker.wait();
    }
}

#[test]
fn tasks_delivered_twice_are_recorded_once() {
    let server = NatsServer::start();
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = config_file_with(dir.path(), &server, "chaosdup", "ack_wait = \"1s\"\n");
    let store = store_in(dir.path());
    let logs: Vec<PathBuf> = (0..2)
        .map(|i| dir.path().join(format!("worker{i}.log")))
        .collect();
    let mut workers: Vec<Child> = logs.iter().map(|l| logging_worker(&config, l)).collect();
    let (whole, took) = undisturbed(&config, &store);

    let rounds: u32 = 3;
    let mut nodes = 0;
    for round in 0..rounds {
        let run_id = format!("duplicates-{round}");
        let run = start_run(&run_args(&config, &store, &run_id));
        // Freeze one worker while it holds tasks for longer than `ack_wait`: the server
        // delivers its tasks again to the other, then the frozen one wakes up and answers
        // them too.
        std::thread::sleep(took.mul_f64(0.3 + 0.2 * f64::from(round)));
        let frozen = &workers[usize::from(round % 2 == 1)];
        signal("-STOP", frozen);
        std::thread::sleep(Duration::from_millis(2_500));
        signal("-CONT", frozen);
        let what = format!("duplicate deliveries, run {round}");
        nodes += check(&what, &finish(run, &what), &whole, &store);
    }
    for worker in &mut workers {
        let _ = worker.kill();
        let _ = worker.wait();
    }
    let duplicates = redeliveries(&logs);
    println!(
        "one of two workers frozen for 2.5 s (ack_wait 1 s) in each of {rounds} runs: {duplicates} tasks delivered twice, {rounds} runs succeeded, {nodes} nodes each recorded once"
    );
    assert!(
        duplicates > 0,
        "no task was delivered twice: the test froze no worker holding a task"
    );
}

fn signal(which: &str, child: &Child) {
    let status = Command::new("kill")
        .args([which, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {which}");
}

/// How many times the workers logging to `logs` received a task delivered before.
fn redeliveries(logs: &[PathBuf]) -> usize {
    logs.iter()
        .map(|l| std::fs::read_to_string(l).unwrap_or_default())
        .map(|text| text.matches("task delivered again").count())
        .sum()
}
