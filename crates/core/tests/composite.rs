//! The built-in kinds made of other executions, on the native backend: `map` (one execution
//! per element, in order, limited concurrency, failures by index, steps) and `workflow`
//! (a sub-run as one node: inline or from a file relative to the including one, failures,
//! timeouts, interrupts and resume, cycles of includes).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use nadoo_flow_core::{
    BackendRegistry, NodeSpec, RunOptions, Workflow, WorkflowContext, WorkflowStatus, node,
};
use nadoo_flow_native as _;
use serde::Deserialize;
use serde_json::{Value, json};

/// Nodes of kind `gauge` running now, and the most seen at once (one test uses the kind).
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static MOST: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, Deserialize)]
struct Item {
    item: u64,
}

/// Sleeps a little while counting how many of its kind run at once; outputs its item doubled.
#[node("gauge")]
async fn gauge(input: Item) -> Result<u64, std::convert::Infallible> {
    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    MOST.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(20)).await;
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    Ok(input.item * 2)
}

/// Fails on the item 3, else outputs it.
#[node("no-threes")]
async fn no_threes(input: Item) -> Result<u64, String> {
    if input.item == 3 {
        return Err("three is not allowed".to_owned());
    }
    Ok(input.item)
}

async fn run(workflow: &Workflow) -> WorkflowContext {
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    backend
        .run_workflow(workflow, WorkflowContext::new(), RunOptions::new())
        .await
        .expect("the run ends")
}

/// `start → <node>` with `input` as the globals.
fn around(node: NodeSpec, input: Value) -> Workflow {
    let id = node.id().to_owned();
    let mut builder = Workflow::builder("outer")
        .node(NodeSpec::start("start").next(id))
        .node(node);
    if let Value::Object(input) = input {
        for (key, value) in input {
            builder = builder.input(key, value);
        }
    }
    builder.build().expect("a valid workflow")
}

fn map(config: Value) -> NodeSpec {
    NodeSpec::from_kind("each", "map", config).expect("a valid map")
}

#[tokio::test]
async fn map_runs_each_element_with_item_and_index_and_keeps_their_order() {
    let workflow = around(
        map(json!({
            "over": "docs",
            "node": { "kind": "template", "config": { "text": "{{index}}={{item.title}} by {{who}}" } },
        })),
        json!({ "docs": [{ "title": "a" }, { "title": "b" }, { "title": "c" }], "who": "ada" }),
    );
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    assert_eq!(
        done.output("each").unwrap(),
        &json!({ "results": [
            { "text": "0=a by ada" }, { "text": "1=b by ada" }, { "text": "2=c by ada" }
        ] })
    );
}

#[tokio::test]
async fn an_empty_array_gives_empty_results() {
    let workflow = around(
        map(json!({ "over": "docs", "node": { "kind": "no-threes" } })),
        json!({ "docs": [] }),
    );
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    assert_eq!(done.output("each").unwrap(), &json!({ "results": [] }));
}

#[tokio::test]
async fn elements_run_at_most_max_concurrency_at_once_and_in_parallel() {
    let items: Vec<u64> = (0..12).collect();
    let workflow = around(
        map(json!({ "over": "items", "node": { "kind": "gauge" }, "max_concurrency": 3 })),
        json!({ "items": items }),
    );
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    let doubled: Vec<Value> = (0..12).map(|i| json!({ "value": i * 2 })).collect();
    assert_eq!(done.output("each").unwrap()["results"], json!(doubled));
    let most = MOST.load(Ordering::SeqCst);
    assert!(
        most <= 3,
        "{most} elements ran at once, with max_concurrency = 3"
    );
    assert!(most >= 2, "the elements ran one at a time");
}

#[tokio::test]
async fn a_failing_element_fails_the_node_naming_its_index() {
    let workflow = around(
        map(json!({ "over": "items", "node": { "kind": "no-threes" } })),
        json!({ "items": [1, 2, 3, 4] }),
    );
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    let error = done.error.unwrap_or_default();
    assert!(
        error.contains("element 2 failed") && error.contains("three is not allowed"),
        "{error}"
    );
}

#[tokio::test]
async fn continue_on_error_records_failures_beside_the_results() {
    let workflow = around(
        map(json!({ "over": "items", "node": { "kind": "no-threes" }, "continue_on_error": true })),
        json!({ "items": [3, 1, 3] }),
    );
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    let output = done.output("each").unwrap();
    assert_eq!(output["results"], json!([null, { "value": 1 }, null]));
    assert_eq!(output["errors"][0]["index"], 0);
    assert_eq!(output["errors"][1]["index"], 2);
    assert!(
        output["errors"][1]["error"]
            .as_str()
            .unwrap()
            .contains("three")
    );
}

#[tokio::test]
async fn elements_count_toward_max_steps() {
    let items = vec![1u64; 50];
    let workflow = Workflow::builder("steps")
        .node(NodeSpec::start("start").next("each"))
        .node(map(json!({ "over": "items", "node": { "kind": "no-threes" } })).next("after"))
        .node(NodeSpec::from_kind("after", "set", json!({})).unwrap())
        .input("items", json!(items))
        .max_steps(20)
        .build()
        .unwrap();
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    assert!(
        done.error.as_deref().unwrap_or("").contains("max_steps"),
        "{:?}",
        done.error
    );

    // Within the limit, the elements' steps leave too few for the node after the map.
    let workflow = Workflow::builder("steps")
        .node(NodeSpec::start("start").next("each"))
        .node(map(json!({ "over": "items", "node": { "kind": "no-threes" } })).next("after"))
        .node(NodeSpec::from_kind("after", "set", json!({})).unwrap())
        .input("items", json!([1, 2, 4]))
        .max_steps(5)
        .build()
        .unwrap();
    let done = run(&workflow).await;
    assert_eq!(
        done.status,
        WorkflowStatus::Failed,
        "3 elements + 3 nodes > 5 steps"
    );
    assert!(
        done.error.as_deref().unwrap_or("").contains("max_steps"),
        "{:?}",
        done.error
    );
}

#[tokio::test]
async fn a_map_over_something_else_than_an_array_fails_naming_the_path() {
    let workflow = around(
        map(json!({ "over": "items", "node": { "kind": "no-threes" } })),
        json!({ "items": "not a list" }),
    );
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    let error = done.error.unwrap_or_default();
    assert!(
        error.contains("`over = \"items\"` is a string, not an array"),
        "{error}"
    );
}

#[test]
fn a_map_config_without_an_element_or_with_an_unknown_kind_is_refused() {
    let error = NodeSpec::from_kind("each", "map", json!({ "over": "x" })).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("exactly one of `node` and `workflow`"),
        "{error}"
    );
    let error = NodeSpec::from_kind(
        "each",
        "map",
        json!({ "over": "x", "node": { "kind": "nope" } }),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("unknown node kind `nope`"),
        "{error}"
    );
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const GREETING: &str = r#"
name = "greeting"
[[nodes]]
id = "start"
kind = "start"
next = ["hello"]

[[nodes]]
id = "hello"
kind = "template"
config = { text = "hello, {{name}}" }
"#;

#[tokio::test]
async fn a_sub_workflow_from_a_file_runs_as_one_node_with_the_node_input_as_globals() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "parts/greeting.toml", GREETING);
    write(
        dir.path(),
        "main.toml",
        r#"
[input]
name = "ada"

[[nodes]]
id = "start"
kind = "start"
next = ["who"]

[[nodes]]
id = "who"
kind = "set"
config = { values = { title = "Dr" } }
next = ["greet"]

[[nodes]]
id = "greet"
kind = "workflow"
config = { file = "parts/greeting.toml" }
"#,
    );
    let workflow = Workflow::from_toml_file(dir.path().join("main.toml")).unwrap();
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    let output = done.output("greet").unwrap();
    assert_eq!(output["hello"]["text"], "hello, ada");
    assert_eq!(output["start"], json!({}));

    // The stored form holds the included workflow: it reads back without the file.
    let toml = workflow.to_toml().unwrap();
    drop(dir);
    let again = Workflow::from_toml("stored.toml", &toml).unwrap();
    let done = run(&again).await;
    assert_eq!(done.output("greet").unwrap()["hello"]["text"], "hello, ada");
}

#[test]
fn includes_that_form_a_cycle_are_refused_naming_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let includes = |other: &str| {
        format!(
            "[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"sub\"]\n\n[[nodes]]\nid = \
             \"sub\"\nkind = \"workflow\"\nconfig = {{ file = \"{other}\" }}\n"
        )
    };
    write(dir.path(), "a.toml", &includes("b/b.toml"));
    write(dir.path(), "b/b.toml", &includes("../a.toml"));
    let error = Workflow::from_toml_file(dir.path().join("a.toml"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("cycle"), "{error}");
    assert!(
        error.contains("a.toml → ") && error.contains("b.toml → "),
        "{error}"
    );
    assert!(
        error.contains("a.toml:9:"),
        "the error is located at the including node: {error}"
    );
}

#[tokio::test]
async fn a_failing_or_slow_sub_workflow_fails_its_node() {
    let failing = NodeSpec::from_kind(
        "sub",
        "workflow",
        json!({ "name": "inner", "nodes": [
            { "id": "start", "kind": "start", "next": ["boom"] },
            { "id": "boom", "kind": "fail", "config": { "message": "inner trouble" } },
        ] }),
    )
    .unwrap();
    let done = run(&around(failing, json!({}))).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    let error = done.error.unwrap_or_default();
    assert!(
        error.contains("sub-workflow `inner` failed") && error.contains("inner trouble"),
        "{error}"
    );

    let slow = NodeSpec::from_kind(
        "sub",
        "workflow",
        json!({ "nodes": [
            { "id": "start", "kind": "start", "next": ["nap"] },
            { "id": "nap", "kind": "sleep", "config": { "ms": 10000 } },
        ] }),
    )
    .unwrap()
    .timeout(Duration::from_millis(100));
    let done = run(&around(slow, json!({}))).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    assert!(done.error.unwrap_or_default().contains("timed out"));
}

#[tokio::test]
async fn a_sub_workflow_that_interrupts_interrupts_its_node_with_the_prompt() {
    let asking = NodeSpec::from_kind(
        "sub",
        "workflow",
        json!({ "nodes": [
            { "id": "start", "kind": "start", "next": ["ask"] },
            { "id": "ask", "kind": "interrupt", "config": { "prompt": "Go on?" } },
        ] }),
    )
    .unwrap();
    let workflow = around(asking, json!({}));
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Interrupted);
    let output = done.output("sub").unwrap();
    assert_eq!(output["prompt"], "Go on?");
    assert_eq!(output["interrupted"], json!(["ask"]));

    // Resumed, the sub-run goes on from where it stopped: `ask` outputs the values given.
    let backend = BackendRegistry::create("native", ()).unwrap();
    let done = backend
        .resume(&workflow, done, json!({ "approved": true }))
        .await
        .unwrap();
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    assert_eq!(
        done.output("sub").unwrap()["ask"],
        json!({ "approved": true })
    );
}

#[tokio::test]
async fn a_map_can_run_a_workflow_per_element() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "greeting.toml",
        &GREETING.replace("{{name}}", "{{item}} #{{index}}"),
    );
    write(
        dir.path(),
        "each.toml",
        r#"
[input]
people = ["ada", "alan"]

[[nodes]]
id = "start"
kind = "start"
next = ["greet"]

[[nodes]]
id = "greet"
kind = "map"
config = { over = "people", workflow = "greeting.toml", max_concurrency = 1 }
"#,
    );
    let workflow = Workflow::from_toml_file(dir.path().join("each.toml")).unwrap();
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    let results = &done.output("greet").unwrap()["results"];
    assert_eq!(results[0]["hello"]["text"], "hello, ada #0");
    assert_eq!(results[1]["hello"]["text"], "hello, alan #1");
    assert_eq!(results.as_array().unwrap().len(), 2);
}
