//! `run`, `validate` and `graph` on the example workflows, and every kind of bad input, as a
//! user meets them on the command line.

#![cfg(feature = "native")]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn example(name: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/workflows");
    root.join(format!("{name}.toml")).display().to_string()
}

/// A state directory of this test process's own, where the CLI keeps its default run store,
/// so that tests never write to the user's.
fn state_home() -> PathBuf {
    std::env::temp_dir().join(format!("nadoo-flow-cli-tests-{}", std::process::id()))
}

fn nadoo_flow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nadoo-flow"))
        .args(args)
        .env_remove("NADOO_BACKEND")
        .env_remove("NADOO_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("NADOO_STORE")
        .env("XDG_STATE_HOME", state_home())
        .output()
        .expect("the binary runs")
}

fn run_json(args: &[&str]) -> (Option<i32>, Value) {
    let out = nadoo_flow(args);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), report)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes `text` to a workflow file in a fresh temp dir.
fn workflow_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("wf.toml");
    std::fs::write(&path, text).expect("writes");
    let path = path.display().to_string();
    (dir, path)
}

#[test]
fn hello_runs_and_reports_json() {
    let out = nadoo_flow(&[
        "run",
        &example("hello"),
        "--json",
        "--store",
        "none",
        "--run-id",
        "hello-1",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "run hello-1\n");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        report,
        json!({
            "run_id": "hello-1",
            "status": "success",
            "outputs": { "start": {}, "greet": { "text": "Hello, world!" } },
            "globals": { "name": "world" },
            "path": ["start", "greet"],
            "error": null,
        })
    );
}

#[test]
fn set_overrides_the_file_input_and_parses_json() {
    let (code, report) = run_json(&[
        "run",
        &example("hello"),
        "--set",
        "name=nadoo",
        "--set",
        "n=3",
        "--json",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(report["outputs"]["greet"]["text"], "Hello, nadoo!");
    assert_eq!(report["globals"], json!({ "name": "nadoo", "n": 3 }));
}

#[test]
fn fan_out_joins_all_branches() {
    let (code, report) = run_json(&["run", &example("fan_out"), "--json"]);
    assert_eq!(code, Some(0));
    assert_eq!(report["status"], "success");
    assert_eq!(
        report["outputs"]["merge"]["text"],
        "notes on link-time registries in 3 sections"
    );
    let path: Vec<&str> = report["path"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(path.first(), Some(&"start"));
    assert_eq!(path.last(), Some(&"merge"));
    let mut branches = path[1..4].to_vec();
    branches.sort_unstable();
    assert_eq!(branches, ["outline", "research", "style"]);
}

#[test]
fn review_loops_until_approved() {
    let (code, report) = run_json(&["run", &example("review"), "--json"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        report["path"],
        json!(["start", "draft", "check", "revise", "check", "publish"])
    );
    assert_eq!(
        report["globals"],
        json!({ "topic": "rust", "approved": true })
    );
    assert_eq!(
        report["outputs"]["check"],
        json!({ "value": true, "route": "ok" })
    );
    assert_eq!(
        report["outputs"]["publish"]["text"],
        "Published: a post about rust"
    );
    assert_eq!(
        report["outputs"]["revise"],
        json!({ "note": "tightened the intro" })
    );

    // Already approved: no revision.
    let (_, report) = run_json(&[
        "run",
        &example("review"),
        "--set",
        "approved=true",
        "--json",
    ]);
    assert_eq!(
        report["path"],
        json!(["start", "draft", "check", "publish"])
    );
}

#[test]
fn failing_workflow_exits_1_naming_the_node() {
    let (code, report) = run_json(&["run", &example("failing"), "--json"]);
    assert_eq!(code, Some(1));
    assert_eq!(report["status"], "failed");
    assert_eq!(
        report["error"],
        "node `fetch` failed: upstream returned 503"
    );
    assert_eq!(report["path"], json!(["start", "fetch"]));

    let out = nadoo_flow(&["run", &example("failing")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("error: node `fetch` failed: upstream returned 503"));
}

#[test]
fn validate_and_graph_work_on_every_example() {
    for name in ["hello", "fan_out", "review", "failing"] {
        let file = example(name);
        let out = nadoo_flow(&["validate", &file]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("valid workflow"));
        let (code, report) = run_json(&["validate", &file, "--json"]);
        assert_eq!((code, &report["valid"]), (Some(0), &json!(true)), "{name}");

        let dot = nadoo_flow(&["graph", &file]);
        assert_eq!(dot.status.code(), Some(0));
        let dot = String::from_utf8_lossy(&dot.stdout);
        assert!(
            dot.starts_with("digraph ") && dot.contains("\"start\" -> "),
            "{dot}"
        );

        let mermaid = nadoo_flow(&["graph", &file, "--format", "mermaid"]);
        assert_eq!(mermaid.status.code(), Some(0));
        let mermaid = String::from_utf8_lossy(&mermaid.stdout);
        assert!(
            mermaid.starts_with("flowchart LR") && mermaid.contains("n0 --> "),
            "{mermaid}"
        );
    }
    let out = nadoo_flow(&["graph", &example("review")]);
    let dot = String::from_utf8_lossy(&out.stdout);
    assert!(
        dot.contains("\"check\" -> \"revise\" [label=\"revise\", style=dashed];"),
        "{dot}"
    );
    assert!(
        dot.contains("\"check\" [label=\"check\\nroute\", shape=diamond];"),
        "{dot}"
    );
}

/// The `graph` command prints the library's drawing, byte for byte as it always has for an
/// ordinary workflow.
#[test]
fn graph_prints_the_library_drawing() {
    let file = example("review");
    let workflow = nadoo_flow::Workflow::from_toml_file(&file).expect("the example loads");
    let dot = nadoo_flow(&["graph", &file]);
    assert_eq!(String::from_utf8_lossy(&dot.stdout), workflow.to_dot());
    let mermaid = nadoo_flow(&["graph", &file, "--format", "mermaid"]);
    assert_eq!(
        String::from_utf8_lossy(&mermaid.stdout),
        workflow.to_mermaid()
    );
    assert_eq!(
        String::from_utf8_lossy(&mermaid.stdout),
        "flowchart LR\n  \
         n0((\"start<br/><small>start</small>\"))\n  \
         n1[\"draft<br/><small>template</small>\"]\n  \
         n2{\"check<br/><small>route</small>\"}\n  \
         n3[\"revise<br/><small>set</small>\"]\n  \
         n4[\"publish<br/><small>template</small>\"]\n  \
         n5((\"done<br/><small>end</small>\"))\n  \
         n0 --> n1\n  \
         n1 --> n2\n  \
         n2 -. \"ok\" .-> n4\n  \
         n2 -. \"revise\" .-> n3\n  \
         n3 --> n2\n  \
         n4 --> n5\n"
    );
}

/// Ids that are DOT and Mermaid syntax stay inside quoted labels.
#[test]
fn graph_escapes_hostile_ids() {
    let (_dir, file) = workflow_file(
        "name = \"w\"\n\
         [[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"a\\\"\\n<end>\"]\n\
         [[nodes]]\nid = \"a\\\"\\n<end>\"\nkind = \"set\"\nnext = [\"end\"]\n\
         [[nodes]]\nid = \"end\"\nkind = \"end\"\n",
    );
    let dot = String::from_utf8_lossy(&nadoo_flow(&["graph", &file]).stdout).into_owned();
    assert!(
        dot.contains("  \"a\\\"\\n<end>\" [label=\"a\\\"\\n<end>\\nset\", shape=box];\n"),
        "{dot}"
    );
    let out = nadoo_flow(&["graph", &file, "--format", "mermaid"]);
    let mermaid = String::from_utf8_lossy(&out.stdout);
    assert!(
        mermaid.contains("  n1[\"a#quot;<br/>#lt;end#gt;<br/><small>set</small>\"]\n"),
        "{mermaid}"
    );
    assert!(mermaid.contains("  n1 --> n2\n"), "{mermaid}");
}

/// Runs `validate` and `run` on a bad workflow: both exit 1 with `message` on stderr.
fn assert_invalid(text: &str, message: &str) {
    let (_dir, file) = workflow_file(text);
    for command in ["validate", "run"] {
        let out = nadoo_flow(&[command, &file]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{command}: {err}");
        let expected = format!("error: {file}:{message}");
        assert!(
            err.contains(&expected),
            "{command}:\n{err}\nexpected: {expected}"
        );
        assert!(
            !err.contains("panicked") && !err.contains("{ "),
            "no panic or Debug dump: {err}"
        );
    }
}

#[test]
fn malformed_toml_names_line_and_column() {
    assert_invalid(
        "[[nodes]]\nid = \"start\"\nkind = start\n",
        "3:8: key `kind`: string values must be quoted, expected literal string",
    );
}

#[test]
fn unknown_node_kind_lists_known_kinds_and_suggests() {
    assert_invalid(
        "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"t\"]\n\n[[nodes]]\nid = \"t\"\nkind = \"tempalte\"\n",
        "8:1: node `t`: key `kind`: unknown node kind `tempalte` (did you mean `template`?); known kinds: end, fail, interrupt, map, route, set, sleep, start, template, workflow",
    );
}

#[test]
fn unknown_key_in_a_node_is_named() {
    assert_invalid(
        "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnxt = [\"a\"]\n",
        "4:1: node `start`: key `nxt`: unknown field `nxt`, expected one of `id`, `kind`, `config`, `next`, `routes`, `timeout`, `retries`",
    );
}

#[test]
fn unknown_key_in_a_node_config_is_named() {
    assert_invalid(
        "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"t\"]\n\n[[nodes]]\nid = \"t\"\nkind = \"template\"\nconfig = { text = \"x\", ouput = \"y\" }\n",
        "9:24: node `t`: key `config.ouput`: unknown field `ouput`, expected `text` or `output`",
    );
}

#[test]
fn missing_required_config_key_is_named() {
    assert_invalid(
        "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"t\"]\n\n[[nodes]]\nid = \"t\"\nkind = \"template\"\n",
        "6:1: node `t`: key `config`: missing field `text`",
    );
}

#[test]
fn dangling_next_and_route_targets_are_named() {
    assert_invalid(
        "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"ghost\"]\n",
        "4:1: node `start`: key `next`: node `start` has next `ghost`, which is not a node",
    );
    assert_invalid(
        "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"r\"]\n\n[[nodes]]\nid = \"r\"\nkind = \"route\"\nconfig = { on = \"x\", default = \"ok\" }\nroutes = { ok = \"nowhere\" }\n",
        "10:12: node `r`: key `routes`: node `r` routes `ok` to `nowhere`, which is not a node",
    );
}

#[test]
fn two_start_nodes_are_rejected() {
    assert_invalid(
        "[[nodes]]\nid = \"a\"\nkind = \"start\"\n\n[[nodes]]\nid = \"b\"\nkind = \"start\"\n",
        "7:1: key `kind`: several start nodes: a, b",
    );
}

#[test]
fn a_cycle_in_static_next_is_rejected() {
    assert_invalid(
        "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"a\"]\n\n[[nodes]]\nid = \"a\"\nkind = \"set\"\nnext = [\"b\"]\n\n[[nodes]]\nid = \"b\"\nkind = \"set\"\nnext = [\"a\"]\n",
        "9:1: node `a`: key `next`: cycle in next edges: a -> b -> a (loops must use routes)",
    );
}

#[test]
fn a_missing_template_value_fails_the_node() {
    let (_dir, file) = workflow_file(
        "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"t\"]\n\n[[nodes]]\nid = \"t\"\nkind = \"template\"\nconfig = { text = \"{{draft.title}}\" }\n",
    );
    let (code, report) = run_json(&["run", &file, "--json"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        report["error"],
        "node `t` failed: no value at `draft.title` in the node's input"
    );
}

#[test]
fn usage_errors_exit_2_with_one_clear_line() {
    let hello = example("hello");
    let cases: [(&[&str], &str); 4] = [
        (
            &["run", &hello, "--set", "topic"],
            "error: --set `topic` has no `=`; write --set key=value",
        ),
        (
            &["run", "/nonexistent/wf.toml"],
            "error: cannot read /nonexistent/wf.toml: No such file or directory",
        ),
        (
            &["run", &hello, "--backend", "natve"],
            "error: unknown backend `natve` (did you mean `native`?); available backends: native",
        ),
        (
            &["validate", "/nonexistent/wf.toml"],
            "error: cannot read /nonexistent/wf.toml",
        ),
    ];
    for (args, expected) in cases {
        let out = nadoo_flow(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with(expected),
            "{args:?}:\n{err}\nexpected: {expected}"
        );
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn config_file_sets_backend_options_and_bad_values_name_their_source() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = dir.path().join("nadoo.toml");
    std::fs::write(&config, "[registry]\ndefault = \"native\"\n[execution]\nmax_retries = 1\n[backends.native]\nmax_workers = 2\n")
        .expect("writes");
    let config_arg = config.display().to_string();
    let (code, report) = run_json(&["run", &example("hello"), "--config", &config_arg, "--json"]);
    assert_eq!((code, &report["status"]), (Some(0), &json!("success")));

    std::fs::write(&config, "[backends.native]\nmax_workers = 0\n").expect("writes");
    let out = nadoo_flow(&["run", &example("hello"), "--config", &config_arg]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid configuration for backend `native`: key `max_workers`"),
        "{}",
        stderr(&out)
    );

    std::fs::write(&config, "[registry]\ndefualt = \"native\"\n").expect("writes");
    let out = nadoo_flow(&["run", &example("hello"), "--config", &config_arg]);
    assert_eq!(out.status.code(), Some(2));
    let expected = format!(
        "error: {config_arg}:2: key `registry.defualt`: unknown field `defualt`, expected `default`"
    );
    assert!(stderr(&out).starts_with(&expected), "{}", stderr(&out));
}

fn nadoo_flow_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nadoo-flow"));
    command
        .args(args)
        .env_remove("NADOO_BACKEND")
        .env_remove("NADOO_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("NADOO_STORE")
        .env("XDG_STATE_HOME", state_home());
    for (var, value) in env {
        command.env(var, value);
    }
    command.output().expect("the binary runs")
}

#[test]
fn the_environment_is_honoured_and_bad_values_name_the_variable() {
    let hello = example("hello");
    let out = nadoo_flow_with_env(&["run", &hello], &[("NADOO_MAX_WORKERS", "abc")]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: NADOO_MAX_WORKERS=\"abc\": expected a positive integer\n"
    );

    let out = nadoo_flow_with_env(&["run", &hello], &[("NADOO_DEBUG", "perhaps")]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: NADOO_DEBUG=\"perhaps\": expected true or false\n"
    );

    let out = nadoo_flow_with_env(&["run", &hello], &[("NADOO_BACKEND", "natve")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown backend `natve` (did you mean `native`?)"));

    // An explicit flag beats the environment.
    let out = nadoo_flow_with_env(
        &["run", &hello, "--backend", "native", "--json"],
        &[("NADOO_BACKEND", "natve")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let dir = tempfile::tempdir().expect("a temp dir");
    let config = dir.path().join("nadoo.toml");
    std::fs::write(&config, "[execution]\nmax_workers = 0\n").expect("writes");
    let out = nadoo_flow_with_env(
        &["run", &hello],
        &[("NADOO_CONFIG", &config.display().to_string())],
    );
    assert_eq!(out.status.code(), Some(2));
    let expected = format!("error: {}:2: key `execution.max_workers`", config.display());
    assert!(stderr(&out).starts_with(&expected), "{}", stderr(&out));
}

/// Runs the binary on a pseudo-terminal (through `script`, from util-linux's bsdutils, which
/// every Debian system has), so that it shows progress as a person would see it.
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
        .env("XDG_STATE_HOME", state_home())
        .output()
        .expect("`script` runs (package bsdutils)");
    String::from_utf8_lossy(&out.stdout).replace('\r', "")
}

#[test]
fn a_terminal_shows_progress_driven_by_the_run_events() {
    let shown = on_a_terminal(&["run", &example("review")]);
    for node in ["start", "draft", "check", "revise", "publish"] {
        assert!(shown.contains(&format!("  ✓ {node} (")), "{node}:\n{shown}");
    }
    assert!(shown.contains("success on native"), "{shown}");

    let shown = on_a_terminal(&["run", &example("failing")]);
    assert!(
        shown.contains("  ! fetch: upstream returned 503; retrying in"),
        "{shown}"
    );
    assert!(shown.contains("  ↻ fetch (attempt 2)"), "{shown}");
    assert!(
        shown.contains("  ✗ fetch: upstream returned 503"),
        "{shown}"
    );

    // Piped, the same run prints plain lines instead, without the terminal's symbols.
    let piped = nadoo_flow(&["run", &example("review")]);
    let plain = String::from_utf8_lossy(&piped.stderr);
    assert!(
        !plain.contains('✓') && plain.contains("\npublish: success in "),
        "{plain}"
    );
}

#[test]
fn worker_on_a_backend_without_workers_says_so() {
    let out = nadoo_flow(&["worker", "--backend", "native"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: backend `native` does not support worker processes (it runs nodes itself; use `nadoo-flow run`)\n"
    );
    let out = nadoo_flow(&["worker", "--backend", "natve"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("did you mean `native`?"));
}
