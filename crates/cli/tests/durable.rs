//! Durable runs through the binary: a person in the loop with `resume --set`, and a run
//! SIGKILLed at twenty points of its life, each finished by `resume` in another process.

#![cfg(all(feature = "native", feature = "sqlite"))]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_nadoo-flow");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn command(store: &str, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .args(["--store", store])
        .env_remove("NADOO_BACKEND")
        .env_remove("NADOO_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("NADOO_STORE");
    command
}

fn nadoo_flow(store: &str, args: &[&str]) -> Output {
    command(store, args).output().expect("the binary runs")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn store_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("runs.db").display())
}

#[test]
fn a_person_approves_an_interrupted_run_with_resume() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = store_url(dir.path());
    let file = root().join("../../examples/workflows/approval.toml");
    let file = file.to_str().expect("a UTF-8 path");

    let out = nadoo_flow(&store, &["run", file, "--run-id", "post-1", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stderr(&out), "run post-1\n");
    let report = json_of(&out);
    assert_eq!(report["status"], "interrupted");
    assert_eq!(report["run_id"], "post-1");
    assert_eq!(
        report["outputs"]["approve"],
        json!({ "prompt": "Publish this draft?" })
    );

    let out = nadoo_flow(&store, &["runs", "show", "post-1", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = json_of(&out);
    assert_eq!(shown["status"], "interrupted");
    assert_eq!(shown["path"], json!(["start", "draft", "approve"]));

    let out = nadoo_flow(&store, &["run", file, "--run-id", "post-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("run `post-1` already exists in run store `sqlite://")
            && stderr(&out).contains("(status interrupted); continue it with `resume` instead"),
        "{}",
        stderr(&out)
    );

    let out = nadoo_flow(
        &store,
        &[
            "resume",
            "post-1",
            "--set",
            "approved=true",
            "--set",
            "by=ana",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["status"], "success");
    assert_eq!(
        report["outputs"]["approve"],
        json!({ "approved": true, "by": "ana" })
    );
    assert_eq!(
        report["outputs"]["publish"]["text"],
        "Published: Link-time registries (approved by ana)"
    );

    let out = nadoo_flow(&store, &["runs", "show", "post-1", "--json"]);
    let shown = json_of(&out);
    assert_eq!(shown["status"], "success");
    let approve = shown["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["id"] == "approve"))
        .expect("approve is recorded");
    assert_eq!(
        approve["attempts"], 2,
        "interrupted once, then approved: {approve}"
    );

    let out = nadoo_flow(&store, &["resume", "post-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: run `post-1` has already finished with status success; there is nothing to resume\n"
    );

    let out = nadoo_flow(&store, &["runs", "--json"]);
    let runs = json_of(&out);
    assert_eq!(runs.as_array().map(Vec::len), Some(1), "{runs}");
    let out = nadoo_flow(&store, &["runs", "prune", "--older-than", "0s"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("pruned 1 finished run from sqlite://")
    );
    let out = nadoo_flow(&store, &["runs", "show", "post-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: run `post-1` is not in run store `sqlite://"));
}

/// Per node: the number of journal entries, and the output of the last.
fn journal(store: &str, run_id: &str) -> (Vec<String>, BTreeMap<String, (u64, Value)>) {
    let out = nadoo_flow(store, &["runs", "show", run_id, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = json_of(&out);
    let path = shown["path"]
        .as_array()
        .map(|p| {
            p.iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let nodes = shown["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            let id = n["id"].as_str().unwrap_or_default().to_owned();
            (
                id,
                (n["attempts"].as_u64().unwrap_or(0), n["output"].clone()),
            )
        })
        .collect();
    (path, nodes)
}

#[test]
fn a_run_killed_at_twenty_points_is_finished_by_resume_without_repeating_finished_nodes() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = store_url(dir.path());
    let file = root().join("tests/fixtures/sleepy.toml");
    let file = file.to_str().expect("a UTF-8 path");

    let started = Instant::now();
    let out = nadoo_flow(&store, &["run", file, "--run-id", "whole", "--json"]);
    let whole_time = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let expected = json_of(&out)["outputs"].clone();
    let (_, whole) = journal(&store, "whole");
    assert!(whole.values().all(|(n, _)| *n == 1));

    let mut killed_mid_run = 0;
    for point in 0..20u32 {
        let run_id = format!("killed-{point}");
        let mut child = command(&store, &["run", file, "--run-id", &run_id, "--json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the run starts");
        // Spread over the run: from its first milliseconds to its end.
        std::thread::sleep(whole_time.mul_f64((f64::from(point) + 0.5) / 20.0));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");

        let out = nadoo_flow(&store, &["runs", "show", &run_id, "--json"]);
        if out.status.code() == Some(2) {
            // Killed before it created its record: nothing to resume.
            assert!(
                stderr(&out).contains("is not in run store"),
                "{}",
                stderr(&out)
            );
            continue;
        }
        let (before, _) = journal(&store, &run_id);
        let finished = json_of(&out)["status"] == "success";
        if finished {
            // Killed after its last write: nothing to resume.
            continue;
        }
        killed_mid_run += 1;

        let out = nadoo_flow(&store, &["resume", &run_id, "--json"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "point {point}: {}",
            stderr(&out)
        );
        let report = json_of(&out);
        assert_eq!(report["outputs"], expected, "point {point}");

        let (after, nodes) = journal(&store, &run_id);
        assert!(
            after.starts_with(&before),
            "point {point}: the journal was rewritten: {before:?} then {after:?}"
        );
        let repeated: Vec<&String> = nodes
            .iter()
            .filter(|(_, (n, _))| *n != 1)
            .map(|(id, _)| id)
            .collect();
        assert!(
            repeated.is_empty(),
            "point {point}: recorded twice: {repeated:?}"
        );
        assert_eq!(nodes.len(), whole.len(), "point {point}");
    }
    eprintln!("{killed_mid_run} of 20 kills fell inside the run and were resumed");
    assert!(
        killed_mid_run >= 10,
        "only {killed_mid_run} of 20 kills fell inside a run"
    );
    // Give the store time to settle before the directory goes.
    std::thread::sleep(Duration::from_millis(10));
}

#[test]
fn stores_lists_what_is_linked() {
    let out = Command::new(BIN)
        .args(["stores", "--json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let stores = json_of(&out);
    let names: Vec<&str> = stores
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    let expected: &[&str] = if cfg!(feature = "nats") {
        &["memory", "nats", "sqlite"]
    } else {
        &["memory", "sqlite"]
    };
    assert_eq!(names, expected);
    let sqlite = stores
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["name"] == "sqlite")
        .expect("sqlite is listed");
    assert_eq!(sqlite["crate"], "nadoo-flow-store-sqlite");
}

#[test]
fn the_store_comes_from_the_flag_the_environment_or_the_configuration_file() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let hello = root().join("../../examples/workflows/hello.toml");
    let hello = hello.to_str().expect("a UTF-8 path");
    let from_env = store_url(&dir.path().join("env"));
    let from_file = store_url(&dir.path().join("file"));
    let config = dir.path().join("nadoo.toml");
    std::fs::write(&config, format!("[store]\nurl = \"{from_file}\"\n")).expect("writes");
    let config = config.to_str().expect("a UTF-8 path");

    let run = |args: &[&str], env: Option<&str>| {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .env_remove("NADOO_STORE")
            .env_remove("NADOO_CONFIG")
            .env_remove("RUST_LOG")
            .env("XDG_STATE_HOME", dir.path().join("state"));
        if let Some(url) = env {
            command.env("NADOO_STORE", url);
        }
        let out = command.output().expect("runs");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    };
    run(&["run", hello, "--run-id", "by-env"], Some(&from_env));
    run(
        &["run", hello, "--run-id", "by-file", "--config", config],
        None,
    );
    // The environment beats the file; the flag beats both.
    run(
        &[
            "run",
            hello,
            "--run-id",
            "env-over-file",
            "--config",
            config,
        ],
        Some(&from_env),
    );
    run(&["run", hello, "--run-id", "by-default"], None);

    let ids = |url: &str| -> Vec<String> {
        let out = nadoo_flow(url, &["runs", "--json"]);
        let mut ids: Vec<String> = json_of(&out)
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["run_id"].as_str().map(str::to_owned))
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&from_env), ["by-env", "env-over-file"]);
    assert_eq!(ids(&from_file), ["by-file"]);
    let default = format!(
        "sqlite://{}",
        dir.path().join("state/nadoo-flow/runs.db").display()
    );
    assert_eq!(ids(&default), ["by-default"]);
}

#[test]
fn a_sub_workflow_that_interrupts_is_resumed_from_anywhere_by_id() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::create_dir(dir.path().join("parts")).expect("a folder");
    std::fs::write(
        dir.path().join("parts/ask.toml"),
        "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"ask\"]\n\n[[nodes]]\nid = \
         \"ask\"\nkind = \"interrupt\"\nconfig = { prompt = \"Ship it?\" }\nnext = \
         [\"after\"]\n\n[[nodes]]\nid = \"after\"\nkind = \"template\"\nconfig = { text = \
         \"approved={{ask.approved}}\" }\n",
    )
    .expect("writes");
    // No `name`: the workflow is named after its file, which `resume` never sees.
    std::fs::write(
        dir.path().join("outer.toml"),
        "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"sub\"]\n\n[[nodes]]\nid = \
         \"sub\"\nkind = \"workflow\"\nconfig = { file = \"parts/ask.toml\" }\nnext = \
         [\"last\"]\n\n[[nodes]]\nid = \"last\"\nkind = \"template\"\nconfig = { text = \
         \"{{sub.after.text}}\" }\n",
    )
    .expect("writes");
    let store = store_url(dir.path());
    let file = dir.path().join("outer.toml").display().to_string();
    let out = nadoo_flow(&store, &["run", &file, "--run-id", "sub-1", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(json_of(&out)["outputs"]["sub"]["prompt"], "Ship it?");

    // Resumed from another directory, with the included file gone.
    std::fs::remove_dir_all(dir.path().join("parts")).expect("removes");
    let out = command(
        &store,
        &["resume", "sub-1", "--set", "approved=yes", "--json"],
    )
    .current_dir(std::env::temp_dir())
    .output()
    .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["status"], "success");
    assert_eq!(report["outputs"]["last"]["text"], "approved=yes");
}
