//! `--backend nats` from the command line, with `nadoo-flow worker` processes: the example
//! workflows give the same report as on `native`, and a worker stopped with Ctrl-C finishes
//! the task it holds. Starts a real `nats-server -js` on a free loopback port.

#![cfg(all(feature = "nats", feature = "native"))]

mod nats_support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nadoo_flow_nats::testing::NatsServer;
use nats_support::{BIN, config_file, recorded, run_json, worker};
use serde_json::Value;

fn example(name: &str) -> String {
    format!(
        "{}/../../examples/workflows/{name}.toml",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The same report, with the path compared as a set (concurrent nodes finish in any order).
fn comparable(mut report: Value) -> Value {
    // Each run has an id of its own.
    if let Some(report) = report.as_object_mut() {
        report.remove("run_id");
    }
    if let Some(path) = report.get_mut("path").and_then(Value::as_array_mut) {
        path.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    report
}

#[test]
fn examples_give_the_same_report_on_nats_as_on_native() {
    let server = NatsServer::start();
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = config_file(dir.path(), &server, "cliparity");
    let config_arg = config.display().to_string();
    let mut workers: Vec<Child> = (0..2).map(|_| worker(&config)).collect();
    for name in ["hello", "fan_out", "review", "failing"] {
        let file = example(name);
        let (native_out, native) = run_json(&["run", &file, "--json"]);
        let (nats_out, nats) = run_json(&[
            "run",
            &file,
            "--backend",
            "nats",
            "--config",
            &config_arg,
            "--json",
        ]);
        assert_eq!(
            nats_out.status.code(),
            native_out.status.code(),
            "{name}: error {} / stderr {}",
            nats["error"],
            String::from_utf8_lossy(&nats_out.stderr)
        );
        assert_eq!(comparable(nats), comparable(native), "{name}");
    }
    for worker in &mut workers {
        let _ = worker.kill();
        let _ = worker.wait();
    }
}

#[test]
fn a_worker_stopped_with_ctrl_c_finishes_its_task() {
    let server = NatsServer::start();
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = config_file(dir.path(), &server, "clishutdown");
    let workflow = dir.path().join("slow.toml");
    std::fs::write(
        &workflow,
        "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"slow\"]\n\n[[nodes]]\nid = \"slow\"\nkind = \"sleep\"\nconfig = { ms = 1500 }\n",
    )
    .expect("writes");
    let mut worker = worker(&config);
    let run = {
        let workflow = workflow.display().to_string();
        let config = config.display().to_string();
        std::thread::spawn(move || {
            run_json(&[
                "run",
                &workflow,
                "--backend",
                "nats",
                "--config",
                &config,
                "--json",
            ])
        })
    };
    // Let the worker take the task, then interrupt it as Ctrl-C would.
    std::thread::sleep(Duration::from_millis(700));
    let status = Command::new("kill")
        .args(["-INT", &worker.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let (out, report) = run.join().expect("the run thread");
    assert_eq!(
        report["status"],
        "success",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exit = worker.wait().expect("the worker exits");
    assert!(
        exit.success(),
        "the worker exits cleanly after finishing: {exit:?}"
    );
}

#[test]
fn a_killed_coordinator_is_resumed_by_another_process_from_the_nats_store() {
    let server = NatsServer::start();
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = config_file(dir.path(), &server, "clicrash");
    let config_arg = config.display().to_string();
    let store = format!(
        "{}?bucket=clicrash&stream=CLICRASHRUNS&journal_prefix=clicrashjournal",
        server.url()
    );
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sleepy.toml");
    let file = file.display().to_string();
    let mut workers: Vec<Child> = (0..2).map(|_| worker(&config)).collect();
    let on_nats = |extra: &[&str]| {
        let mut args = vec![
            "--backend",
            "nats",
            "--config",
            config_arg.as_str(),
            "--store",
            store.as_str(),
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };

    let started = std::time::Instant::now();
    let args = on_nats(&["--run-id", "whole", "--json"]);
    let mut whole_args = vec!["run", file.as_str()];
    whole_args.extend(args.iter().map(String::as_str));
    let (out, whole) = run_json(&whole_args);
    let whole_time = started.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut resumed = 0;
    for point in 0..8u32 {
        let run_id = format!("killed-{point}");
        let args = on_nats(&["--run-id", &run_id, "--json"]);
        let mut coordinator = Command::new(BIN)
            .arg("run")
            .arg(&file)
            .args(&args)
            .env("NADOO_STORE", "none")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the coordinator starts");
        std::thread::sleep(whole_time.mul_f64((f64::from(point) + 0.5) / 8.0));
        coordinator.kill().expect("SIGKILL");
        coordinator.wait().expect("reaped");

        let (out, shown) = run_json(&["runs", "show", &run_id, "--store", &store, "--json"]);
        if out.status.code() != Some(0) || shown["status"] != "running" {
            continue;
        }
        let args = on_nats(&["--json"]);
        let mut resume_args = vec!["resume", run_id.as_str()];
        resume_args.extend(args.iter().map(String::as_str));
        let (out, report) = run_json(&resume_args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "point {point}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(report["outputs"], whole["outputs"], "point {point}");
        let twice: Vec<(String, u64)> = recorded(&store, &run_id)
            .into_iter()
            .filter(|(_, n)| *n != 1)
            .collect();
        assert!(twice.is_empty(), "point {point}: recorded twice: {twice:?}");
        resumed += 1;
    }
    assert!(resumed >= 4, "only {resumed} of 8 kills fell inside a run");
    for worker in &mut workers {
        let _ = worker.kill();
        let _ = worker.wait();
    }
}

#[test]
fn a_password_in_a_url_reaches_no_output() {
    const PASSWORD: &str = "S3cret-Never-Shown";
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = dir.path().join("nadoo.toml");
    std::fs::write(
        &config,
        format!(
            "[backends.nats]\nurl = \"nats://alice:{PASSWORD}@127.0.0.1:1,nats://bob:{PASSWORD}@127.0.0.1:2\"\nrequest_timeout = \"300ms\"\n"
        ),
    )
    .expect("writes");
    let config = config.display().to_string();
    let hello = example("hello");
    let store = format!("nats://alice:{PASSWORD}@127.0.0.1:1?request_timeout_ms=300");
    let runs: [Vec<&str>; 4] = [
        vec!["run", &hello, "--backend", "nats", "--config", &config],
        vec!["worker", "--backend", "nats", "--config", &config],
        vec!["run", &hello, "--store", &store],
        vec!["runs", "--store", &store],
    ];
    for args in runs {
        let out = Command::new(BIN)
            .args(&args)
            .env("RUST_LOG", "trace")
            .output()
            .expect("runs");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_ne!(out.status.code(), Some(0), "{args:?}: {all}");
        assert!(
            !all.contains(PASSWORD),
            "{args:?} showed the password: {all}"
        );
        assert!(all.contains("alice:***@127.0.0.1:1"), "{args:?}: {all}");
    }
}
