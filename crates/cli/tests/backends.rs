//! `nadoo-flow backends` as a user runs it.

use std::process::{Command, Output};

fn nadoo_flow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nadoo-flow"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[cfg(feature = "native")]
#[test]
fn json_lists_native_with_version_crate_and_capabilities() {
    let out = nadoo_flow(&["backends", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let entries = list.as_array().expect("an array");
    let native = entries
        .iter()
        .find(|b| b["name"] == "native")
        .expect("native is listed");
    assert_eq!(native["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(native["crate"], "nadoo-flow-native");
    assert_eq!(
        native["capabilities"],
        serde_json::json!(["streaming", "parallel", "async"])
    );
    assert_eq!(native["description"], "Runs workflows in-process on tokio.");
    assert_eq!(
        native["config"],
        serde_json::json!({
            "max_workers": null,
            "timeout": null,
            "max_retries": null,
            "debug": null,
            "enable_caching": null
        })
    );
}

#[cfg(feature = "native")]
#[test]
fn table_has_a_header_and_a_row_per_backend() {
    let out = nadoo_flow(&["backends"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut lines = text.lines();
    let header = lines.next().expect("a header");
    assert!(
        header.starts_with("NAME") && header.contains("CAPABILITIES"),
        "{header}"
    );
    let native = lines
        .find(|l| l.starts_with("native "))
        .expect("a native row");
    assert!(native.contains("nadoo-flow-native") && native.contains("streaming, parallel, async"));
}

#[test]
fn usage_errors_exit_with_code_2() {
    let out = nadoo_flow(&["backends", "--yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--yaml"), "{err}");
}
