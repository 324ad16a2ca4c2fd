//! A `nadoo-flow` built without backend features says which feature would link the backend
//! it was asked for. Run with `cargo test -p nadoo-flow-cli --no-default-features`.

#![cfg(not(feature = "native"))]

use std::process::Command;

#[test]
fn asking_for_a_backend_that_is_not_compiled_names_its_feature() {
    let hello = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/workflows/hello.toml"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_nadoo-flow"))
        .env_remove("RUST_LOG")
        .args(["run", hello, "--backend", "native"])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: backend `native` is not compiled into this program; enable Cargo feature `native` of nadoo-flow\n"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_nadoo-flow"))
        .env_remove("RUST_LOG")
        .args(["run", hello])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: no backend is linked"));
}

#[test]
fn backends_lists_nothing_and_says_so() {
    let out = Command::new(env!("CARGO_BIN_EXE_nadoo-flow"))
        .env_remove("RUST_LOG")
        .arg("backends")
        .output()
        .expect("the binary runs");
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("no backend is linked into this binary")
    );
}

#[test]
fn asking_for_a_store_that_is_not_compiled_names_its_feature() {
    let out = Command::new(env!("CARGO_BIN_EXE_nadoo-flow"))
        .env_remove("RUST_LOG")
        .args(["runs", "--store", "sqlite://runs.db"])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: run store `sqlite` is not compiled into this program; enable Cargo feature `sqlite` of nadoo-flow\n"
    );
}
