//! What the command-line tests on the `nats` backend share: a configuration file pointing at
//! a test server, worker processes, and runs of the binary read as JSON.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use nadoo_flow_nats::testing::NatsServer;
use serde_json::Value;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_nadoo-flow");

/// A nadoo.toml pointing the `nats` backend at `server`, with its own stream names and
/// `extra` lines of its section.
pub(crate) fn config_file_with(
    dir: &Path,
    server: &NatsServer,
    prefix: &str,
    extra: &str,
) -> PathBuf {
    let path = dir.join(format!("{prefix}.toml"));
    let text = format!(
        "[backends.nats]\nurl = \"nats://127.0.0.1:{}\"\nstream = \"{}\"\nsubject_prefix = \"{prefix}\"\nconsumer = \"{prefix}-workers\"\nresult_timeout = \"60s\"\n{extra}",
        server.port(),
        prefix.to_uppercase()
    );
    std::fs::write(&path, text).expect("writes");
    path
}

/// [`config_file_with`] a two-second `ack_wait`.
pub(crate) fn config_file(dir: &Path, server: &NatsServer, prefix: &str) -> PathBuf {
    config_file_with(dir, server, prefix, "ack_wait = \"2s\"\n")
}

/// A `nadoo-flow worker` process of `config`.
pub(crate) fn worker(config: &Path) -> Child {
    Command::new(BIN)
        .env("NADOO_STORE", "none")
        .args(["worker", "--backend", "nats", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("a worker starts")
}

/// Runs the binary with `args`, without a run store unless the arguments name one; the
/// output, and stdout read as JSON (`Null` if it is not).
pub(crate) fn run_json(args: &[&str]) -> (Output, Value) {
    let out = Command::new(BIN)
        .args(args)
        .env("NADOO_STORE", "none")
        .output()
        .expect("runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, report)
}

/// Each node's number of journal entries, from `runs show --json`.
pub(crate) fn recorded(store: &str, run_id: &str) -> Vec<(String, u64)> {
    let (out, shown) = run_json(&["runs", "show", run_id, "--store", store, "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    shown["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            (
                n["id"].as_str().unwrap_or_default().to_owned(),
                n["attempts"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}
