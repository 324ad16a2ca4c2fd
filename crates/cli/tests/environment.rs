//! What flags and the environment change on the command line beyond the backend: which run
//! store a command uses and how it fails, and log lines with `RUST_LOG`.

#![cfg(feature = "native")]

use std::path::PathBuf;
use std::process::{Command, Output};

fn example(name: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/workflows");
    root.join(format!("{name}.toml")).display().to_string()
}

fn nadoo_flow_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nadoo-flow"));
    command
        .args(args)
        .env_remove("NADOO_BACKEND")
        .env_remove("NADOO_CONFIG")
        .env_remove("NADOO_STORE")
        .env_remove("RUST_LOG")
        .env(
            "XDG_STATE_HOME",
            std::env::temp_dir().join(format!("nadoo-flow-cli-env-{}", std::process::id())),
        );
    for (var, value) in env {
        command.env(var, value);
    }
    command.output().expect("the binary runs")
}

fn nadoo_flow(args: &[&str]) -> Output {
    nadoo_flow_with_env(args, &[])
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_store_that_cannot_be_used_is_a_usage_error_naming_it() {
    let hello = example("hello");
    let out = nadoo_flow(&["run", &hello, "--store", "memroy://"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: unknown run store `memroy` (did you mean `memory`?)"),
        "{}",
        stderr(&out)
    );

    let out = nadoo_flow(&["run", &hello, "--store", "runs.db"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid run store URL `runs.db`"),
        "{}",
        stderr(&out)
    );

    let out = nadoo_flow_with_env(&["runs"], &[("NADOO_STORE", "none")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: no run store"),
        "{}",
        stderr(&out)
    );

    let out = nadoo_flow(&["resume", "nope", "--store", "memory://"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: run `nope` is not in run store `memory://`\n"
    );

    let out = nadoo_flow(&[
        "runs",
        "prune",
        "--older-than",
        "soon",
        "--store",
        "memory://",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--older-than `soon` is not a duration"));
}

#[test]
fn rust_log_shows_log_lines_on_stderr() {
    let hello = example("hello");
    let out = nadoo_flow_with_env(
        &["run", &hello, "--store", "none"],
        &[("RUST_LOG", "nadoo_flow=info"), ("NADOO_DEBUG", "true")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("node finished"), "{}", stderr(&out));
    let quiet = nadoo_flow_with_env(
        &["run", &hello, "--store", "none"],
        &[("NADOO_DEBUG", "true")],
    );
    assert!(
        !stderr(&quiet).contains("node finished"),
        "{}",
        stderr(&quiet)
    );
}
