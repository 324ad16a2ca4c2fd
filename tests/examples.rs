//! The Rust examples run as a user runs them (`cargo run --example NAME`): `cargo test`
//! builds them beside this test, which runs each binary and checks it succeeds and prints
//! what it shows. (Each example also asserts what it demonstrates.)

use std::path::PathBuf;
use std::process::Command;

/// Runs the example `name` built beside this test; its stdout.
fn run_example(name: &str) -> String {
    let deps = std::env::current_exe().expect("the test's own path");
    let examples = deps
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples"))
        .expect("the test runs from <target>/<profile>/deps");
    let binary: PathBuf = examples.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: `cargo test` builds the examples with this test; run it through \
         `cargo test -p nadoo-flow --features native`, or `cargo build --examples` first",
        binary.display()
    );
    let out = Command::new(&binary)
        .env_remove("NADOO_BACKEND")
        .env_remove("NADOO_CONFIG")
        .env_remove("NADOO_STORE")
        .env_remove("RUST_LOG")
        .output()
        .expect("the example starts");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "examples/{name}.rs failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn typed_node_counts_words() {
    let out = run_example("typed_node");
    assert!(out.contains(r#"{"words":3}"#), "{out}");
}

#[test]
fn streaming_prints_events_with_the_run_id() {
    let out = run_example("streaming");
    assert!(out.contains(r#""event":"node_event""#), "{out}");
    assert!(
        out.lines()
            .all(|line| !line.starts_with('{') || line.contains(r#""run_id""#))
    );
}

#[test]
fn quickstart_runs() {
    run_example("quickstart");
}

#[test]
fn custom_backend_runs() {
    run_example("custom_backend");
}

#[test]
fn custom_node_kind_runs() {
    run_example("custom_node_kind");
}

#[test]
fn choose_backend_runs() {
    run_example("choose_backend");
}
