//! Workflows as data: TOML round-trips, built-in kinds, and kinds of one's own.

use std::path::Path;

use nadoo_flow::{
    BoxError, Error, Node, NodeContext, NodeKind, NodeRegistry, NodeResult, NodeSpec, Workflow,
    WorkflowContext, WorkflowStatus, async_trait, node,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// Multiplies the global `n`.
#[node("times")]
#[derive(Debug)]
struct Times {
    by: i64,
}

/// Configuration of [`Times`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimesConfig {
    by: i64,
}

impl NodeKind for Times {
    type Config = TimesConfig;
    fn from_config(config: TimesConfig) -> Result<Self, BoxError> {
        if config.by == 0 {
            return Err("`by` must not be zero".into());
        }
        Ok(Times { by: config.by })
    }
}

#[async_trait]
impl Node for Times {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let n = ctx
            .input
            .lookup("n")
            .and_then(Value::as_i64)
            .ok_or("no global `n`")?;
        Ok(NodeResult::ok(json!({ "n": n * self.by })).with_global("n", json!(n * self.by)))
    }
}

fn examples() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/workflows"))
            .expect("examples/workflows exists")
            .map(|entry| entry.expect("readable").path())
            .filter(|path| path.extension().is_some_and(|e| e == "toml"))
            .collect();
    files.sort();
    files
}

#[test]
fn every_example_round_trips_through_toml() {
    let files = examples();
    assert!(files.len() >= 4, "{files:?}");
    for file in files {
        let workflow = Workflow::from_toml_file(&file).expect("example is valid");
        let written = workflow.to_toml().expect("writes");
        let again = Workflow::from_toml("written.toml", &written).expect("reads back");
        assert_eq!(
            again.to_def().expect("def"),
            workflow.to_def().expect("def"),
            "{}",
            file.display()
        );
        assert_eq!(again.to_toml().expect("writes"), written);
    }
}

#[test]
fn code_built_nodes_have_no_toml_form() {
    let workflow = Workflow::builder("code")
        .node(NodeSpec::start("start").next("t"))
        .node(NodeSpec::new("t", Times { by: 2 }))
        .build()
        .expect("valid");
    let err = workflow.to_toml().unwrap_err();
    assert!(matches!(err, Error::NoTomlForm { .. }));
    assert!(
        err.to_string().contains("node `t` was made in code"),
        "{err}"
    );
}

#[test]
fn a_kind_of_ones_own_is_found_by_name_from_toml() {
    assert!(NodeRegistry::is_available("times").expect("no duplicates"));
    let info = NodeRegistry::info("times").expect("linked");
    assert_eq!(info.description(), "Multiplies the global `n`.");
    assert_eq!(info.site().file, "tests/workflow_files.rs");

    let text = r#"
        [input]
        n = 3

        [[nodes]]
        id = "start"
        kind = "start"
        next = ["double"]

        [[nodes]]
        id = "double"
        kind = "times"
        config = { by = 2 }
    "#;
    let workflow = Workflow::from_toml("times.toml", text).expect("valid");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let backend = nadoo_flow::BackendRegistry::get_default().expect("a default backend");
    let done = runtime
        .block_on(backend.execute_workflow(&workflow, WorkflowContext::new()))
        .expect("runs");
    assert_eq!(done.status, WorkflowStatus::Success);
    assert_eq!(done.globals["n"], 6);

    let err = Workflow::from_toml("times.toml", &text.replace("by = 2", "by = 0")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "times.toml:13:9: node `double`: key `config`: `by` must not be zero"
    );
}

async fn run_one(kind: &str, config: Value, input: Value) -> WorkflowContext {
    let workflow = Workflow::builder("one")
        .node(NodeSpec::start("start").next("n"))
        .node(NodeSpec::from_kind("n", kind, config).expect("valid config"))
        .build()
        .expect("valid");
    nadoo_flow::BackendRegistry::get_default()
        .expect("a default backend")
        .execute_workflow(&workflow, WorkflowContext::new().with_input(input))
        .await
        .expect("runs")
}

#[tokio::test]
async fn built_in_kinds_do_what_their_docs_say() {
    let done = run_one(
        "set",
        json!({"values": {"a": 1}, "globals": {"g": true}}),
        json!({}),
    )
    .await;
    assert_eq!(
        (done.output("n"), &done.globals["g"]),
        (Some(&json!({"a": 1})), &json!(true))
    );

    let done = run_one(
        "template",
        json!({"text": "{{who}} has {{items.1}}", "output": "line"}),
        json!({"who": "ana", "items": ["x", 2]}),
    )
    .await;
    assert_eq!(done.output("n"), Some(&json!({"line": "ana has 2"})));

    let done = run_one(
        "route",
        json!({"on": "level", "cases": {"3": "high"}, "default": "low"}),
        json!({"level": 3}),
    )
    .await;
    assert_eq!(
        done.output("n"),
        Some(&json!({"value": 3, "route": "high"}))
    );
    let done = run_one(
        "route",
        json!({"on": "level", "cases": {}, "default": "low"}),
        json!({}),
    )
    .await;
    assert_eq!(
        done.output("n"),
        Some(&json!({"value": null, "route": "low"}))
    );
    let done = run_one(
        "route",
        json!({"on": "level", "cases": {"1": "a"}}),
        json!({"level": 2}),
    )
    .await;
    assert_eq!(
        done.error.as_deref(),
        Some("node `n` failed: no case matches `2` at `level` and there is no default")
    );

    let done = run_one("sleep", json!({"ms": 1}), json!({})).await;
    assert_eq!(done.status, WorkflowStatus::Success);

    let done = run_one("fail", json!({}), json!({})).await;
    assert_eq!(
        done.error.as_deref(),
        Some("node `n` failed: failed on purpose")
    );

    let err = NodeSpec::from_kind("n", "sleep", json!({"ms": "long"})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration for node kind `sleep`: key `ms`: invalid type: string \"long\", expected u64"
    );
    let err = NodeSpec::from_kind("n", "start", json!({"x": 1})).unwrap_err();
    assert!(err.to_string().contains("unknown field `x`"), "{err}");
}
