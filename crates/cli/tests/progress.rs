//! What `run` shows while a run goes: events as JSON lines (`--json --events`), plain lines
//! when stderr is not a terminal, a progress bar on one, nothing with `--quiet`.

#![cfg(feature = "native")]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn example(name: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/workflows");
    root.join(format!("{name}.toml")).display().to_string()
}

fn nadoo_flow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nadoo-flow"))
        .args(args)
        .env_remove("NADOO_BACKEND")
        .env_remove("NADOO_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("NADOO_STORE")
        .output()
        .expect("the binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn events_are_one_json_object_per_line_and_the_report_comes_last() {
    let out = nadoo_flow(&[
        "run",
        &example("review"),
        "--json",
        "--events",
        "--store",
        "none",
        "--run-id",
        "streamed-1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.ends_with('\n'), "{text}");
    let lines: Vec<Value> = text
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"));
            assert!(value.is_object(), "{line}");
            value
        })
        .collect();
    let (report, events) = lines.split_last().expect("lines");

    // The last line is the report `run --json` prints, on one line.
    assert_eq!(report["run_id"], "streamed-1");
    assert_eq!(report["status"], "success");
    assert!(report.get("event").is_none(), "{report}");
    assert_eq!(
        report["outputs"]["publish"]["text"],
        "Published: a post about rust"
    );

    // Every line before it is an event of this run.
    for event in events {
        assert_eq!(event["run_id"], "streamed-1", "{event}");
        assert!(event["event"].is_string(), "{event}");
    }
    let first = &events[0];
    assert_eq!(first["event"], "node_started");
    assert_eq!(first["node"], "start");
    let finished: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "node_finished")
        .collect();
    for node in ["start", "draft", "check", "revise", "publish"] {
        assert!(
            finished.iter().any(|e| e["node"] == node),
            "{node}: {finished:?}"
        );
    }
    for event in &finished {
        assert!(event["duration_ms"].is_number(), "{event}");
    }
    let last = events.last().expect("events");
    assert_eq!(last["event"], "workflow_finished");
    assert_eq!(last["status"], "success");
}

#[test]
fn events_need_json() {
    let out = nadoo_flow(&["run", &example("hello"), "--events", "--store", "none"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--json"), "{}", stderr(&out));
}

#[test]
fn quiet_prints_nothing_on_stderr_for_a_successful_run() {
    for args in [
        &["run", &example("review"), "--store", "none", "--quiet"][..],
        &["run", &example("review"), "--store", "none", "-q", "--json"],
        &[
            "run",
            &example("review"),
            "--store",
            "none",
            "-q",
            "--json",
            "--events",
        ],
    ] {
        let out = nadoo_flow(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}");
        assert!(
            !stdout(&out).is_empty(),
            "{args:?}: the report is still printed"
        );
    }

    // A failure is still said.
    let out = nadoo_flow(&["run", &example("failing"), "--store", "none", "--quiet"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: node `fetch` failed: upstream returned 503\n"
    );
}

#[test]
fn stderr_that_is_not_a_terminal_gets_one_plain_line_per_node() {
    let out = nadoo_flow(&[
        "run",
        &example("hello"),
        "--store",
        "none",
        "--run-id",
        "plain-1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert_eq!(lines[0], "run plain-1");
    assert!(lines[1].starts_with("start: success in "), "{err}");
    assert!(lines[2].starts_with("greet: success in "), "{err}");
    assert!(
        !err.contains('\u{1b}') && !err.contains('\r'),
        "no terminal codes: {err:?}"
    );
    assert_eq!(stdout(&out).lines().next(), Some("success on native"));

    let out = nadoo_flow(&["run", &example("failing"), "--store", "none"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().skip(1).collect();
    assert!(lines[0].starts_with("start: success in "), "{err}");
    assert!(
        lines[1].starts_with("fetch: retrying in ")
            && lines[1].ends_with(" (attempt 2): upstream returned 503"),
        "{err}"
    );
    assert!(
        lines[2].starts_with("fetch: failed in ") && lines[2].ends_with(": upstream returned 503"),
        "{err}"
    );
    assert_eq!(
        lines[3],
        "error: node `fetch` failed: upstream returned 503"
    );
}

/// Runs the binary on a pseudo-terminal (through `script`, from util-linux's bsdutils) with
/// `TERM` set, so that it draws its progress bar.
fn on_a_terminal(args: &[&str]) -> String {
    let command = std::iter::once(env!("CARGO_BIN_EXE_nadoo-flow"))
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("NADOO_BACKEND")
        .env_remove("NADOO_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("NADOO_STORE")
        .env("TERM", "xterm-256color")
        .output()
        .expect("`script` runs (package bsdutils)");
    String::from_utf8_lossy(&out.stdout).replace('\r', "")
}

#[test]
fn a_terminal_shows_a_bar_of_nodes_done_under_a_line_per_node() {
    let shown = on_a_terminal(&["run", &example("review"), "--store", "none"]);
    for node in ["start", "draft", "check", "revise", "publish"] {
        assert!(shown.contains(&format!("  ✓ {node} (")), "{node}:\n{shown}");
    }
    assert!(shown.contains("/5 nodes"), "the bar:\n{shown}");
    assert!(shown.contains("success on native"), "{shown}");

    let quiet = on_a_terminal(&["run", &example("review"), "--store", "none", "--quiet"]);
    assert!(!quiet.contains("nodes") && !quiet.contains('✓'), "{quiet}");
    assert!(quiet.contains("success on native"), "{quiet}");
}

#[test]
fn the_help_documents_the_event_lines_and_the_report_line() {
    let out = nadoo_flow(&["run", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for documented in [
        "-q, --quiet",
        "--events",
        r#"{"run_id":"r1","event":"node_finished","node":"draft","status":"success","duration_ms":1.2}"#,
        "The last line is the report --json prints, on one line",
        "draft: success in 1.2ms",
    ] {
        assert!(help.contains(documented), "{documented}:\n{help}");
    }
}
