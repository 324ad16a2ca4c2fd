//! Execution semantics on the `native` backend, driven through the registry by name.

mod support;

use nadoo_flow::{
    BackendRegistry, Error, NodeResult, NodeSpec, NodeStatus, Problem, Workflow, WorkflowContext,
    WorkflowStatus,
};
use serde_json::json;
use support::{CountTo, Echo, Emit, Errs, Returns};

async fn run(workflow: &Workflow, input: serde_json::Value) -> WorkflowContext {
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    backend
        .execute_workflow(workflow, WorkflowContext::new().with_input(input))
        .await
        .expect("the workflow runs")
}

#[tokio::test]
async fn linear_chain_passes_outputs_and_never_runs_end() {
    let workflow = Workflow::builder("linear")
        .node(NodeSpec::start("start").next("a"))
        .node(NodeSpec::new("a", Emit(json!({"x": 1}))).next("b"))
        .node(NodeSpec::new("b", Echo).next("end"))
        .node(NodeSpec::end("end"))
        .build()
        .expect("valid");
    let done = run(&workflow, json!({"topic": "rust"})).await;
    assert_eq!(done.status, WorkflowStatus::Success);
    assert_eq!(done.error, None);
    assert_eq!(done.execution_path, ["start", "a", "b"]);
    assert!(!done.node_contexts.contains_key("end"));
    let seen = done.output("b").expect("b ran");
    assert_eq!(seen["topic"], "rust");
    assert_eq!(seen["a"], json!({"x": 1}));
    assert_eq!(seen["previous_output"], json!({"x": 1}));
    assert_eq!(done.node_contexts["b"].status, NodeStatus::Success);
}

#[tokio::test]
async fn every_static_successor_runs() {
    let workflow = Workflow::builder("fan-out")
        .node(NodeSpec::start("start").next("a").next("b"))
        .node(NodeSpec::new("a", Emit(json!({"a": true}))))
        .node(NodeSpec::new("b", Emit(json!({"b": true}))))
        .build()
        .expect("valid");
    let done = run(&workflow, json!({})).await;
    assert_eq!(done.status, WorkflowStatus::Success);
    assert!(done.output("a").is_some() && done.output("b").is_some());
}

#[tokio::test]
async fn route_key_selects_target_and_next_override_wins() {
    let workflow = Workflow::builder("routes")
        .node(NodeSpec::start("start").next("decide"))
        .node(
            NodeSpec::new(
                "decide",
                Returns(NodeResult::ok(json!({})).with_route("left")),
            )
            .route("left", "l")
            .route("right", "r"),
        )
        .node(
            NodeSpec::new("l", Returns(NodeResult::ok(json!({})).with_next("z")))
                .next("r")
                .next("z"),
        )
        .node(NodeSpec::new("r", Emit(json!({}))))
        .node(NodeSpec::new("z", Emit(json!({}))))
        .build()
        .expect("valid");
    let done = run(&workflow, json!({})).await;
    assert_eq!(done.status, WorkflowStatus::Success);
    assert_eq!(done.execution_path, ["start", "decide", "l", "z"]);
}

#[tokio::test]
async fn route_without_target_fails_naming_node_and_key() {
    let workflow = Workflow::builder("bad-route")
        .node(NodeSpec::start("start").next("decide"))
        .node(
            NodeSpec::new(
                "decide",
                Returns(NodeResult::ok(json!({})).with_route("sideways")),
            )
            .route("left", "l"),
        )
        .node(NodeSpec::new("l", Emit(json!({}))))
        .build()
        .expect("valid");
    let done = run(&workflow, json!({})).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    let error = done.error.expect("has an error");
    assert!(
        error.contains("`decide`") && error.contains("`sideways`"),
        "{error}"
    );
    assert_eq!(done.node_contexts["decide"].status, NodeStatus::Failed);
}

#[tokio::test]
async fn routes_may_loop_and_globals_flow_through_results() {
    let workflow = Workflow::builder("loop")
        .node(NodeSpec::start("start").next("counter"))
        .node(
            NodeSpec::new("counter", CountTo(3))
                .route("again", "counter")
                .route("done", "end"),
        )
        .node(NodeSpec::end("end"))
        .build()
        .expect("valid");
    let done = run(&workflow, json!({})).await;
    assert_eq!(done.status, WorkflowStatus::Success);
    assert_eq!(
        done.execution_path,
        ["start", "counter", "counter", "counter"]
    );
    assert_eq!(done.globals["count"], 3);
}

#[tokio::test]
async fn runaway_loop_stops_at_max_steps() {
    let workflow = Workflow::builder("runaway")
        .node(NodeSpec::start("start").next("counter"))
        .node(
            NodeSpec::new("counter", CountTo(i64::MAX))
                .route("again", "counter")
                .route("done", "end"),
        )
        .node(NodeSpec::end("end"))
        .max_steps(50)
        .build()
        .expect("valid");
    let done = run(&workflow, json!({})).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    assert_eq!(done.execution_path.len(), 50);
    let error = done.error.expect("has an error");
    assert!(
        error.contains("max_steps") && error.contains("50"),
        "{error}"
    );
}

#[tokio::test]
async fn interrupt_stops_the_run_and_marks_the_node() {
    let workflow = Workflow::builder("hitl")
        .node(NodeSpec::start("start").next("ask"))
        .node(
            NodeSpec::new(
                "ask",
                Returns(NodeResult::ok(json!({"q": "ok?"})).interrupted()),
            )
            .next("after"),
        )
        .node(NodeSpec::new("after", Emit(json!({}))))
        .build()
        .expect("valid");
    let done = run(&workflow, json!({})).await;
    assert_eq!(done.status, WorkflowStatus::Interrupted);
    assert_eq!(done.node_contexts["ask"].status, NodeStatus::Interrupted);
    assert!(!done.node_contexts.contains_key("after"));
}

#[tokio::test]
async fn failure_is_recorded_on_the_failing_node() {
    let workflow = Workflow::builder("fails")
        .node(NodeSpec::start("start").next("bad"))
        .node(NodeSpec::new("bad", Returns(NodeResult::failed("quota exceeded"))).next("after"))
        .node(NodeSpec::new("after", Emit(json!({}))))
        .build()
        .expect("valid");
    let done = run(&workflow, json!({})).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    assert_eq!(
        done.error.as_deref(),
        Some("node `bad` failed: quota exceeded")
    );
    let bad = &done.node_contexts["bad"];
    assert_eq!(bad.status, NodeStatus::Failed);
    assert_eq!(bad.error.as_deref(), Some("quota exceeded"));
    assert!(!done.node_contexts.contains_key("after"));
}

#[tokio::test]
async fn node_error_fails_the_node_with_its_message() {
    let workflow = Workflow::builder("errs")
        .node(NodeSpec::start("start").next("bad"))
        .node(NodeSpec::new("bad", Errs))
        .build()
        .expect("valid");
    let done = run(&workflow, json!({})).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    assert_eq!(
        done.node_contexts["bad"].error.as_deref(),
        Some("disk on fire")
    );
}

#[tokio::test]
async fn long_chain_validates_and_runs_without_recursion() {
    const N: usize = 100_000;
    let mut builder = Workflow::builder("long").node(NodeSpec::start("n0").next("n1"));
    for i in 1..N {
        builder = builder
            .node(NodeSpec::new(format!("n{i}"), Emit(json!({}))).next(format!("n{}", i + 1)));
    }
    let workflow = builder
        .node(NodeSpec::end(format!("n{N}")))
        .max_steps(N)
        .build()
        .expect("a long chain is valid");
    let done = run(&workflow, json!({})).await;
    assert_eq!(done.status, WorkflowStatus::Success);
    assert_eq!(done.execution_path.len(), N);
}

#[test]
fn building_reports_every_problem_at_once() {
    let err = Workflow::builder("broken")
        .node(NodeSpec::start("s1").next("a").next("ghost"))
        .node(NodeSpec::start("s2"))
        .node(
            NodeSpec::new("a", Emit(json!({})))
                .next("b")
                .route("k", "nowhere"),
        )
        .node(NodeSpec::new("b", Emit(json!({}))).next("c"))
        .node(NodeSpec::new("c", Emit(json!({}))).next("b"))
        .node(NodeSpec::new("a", Emit(json!({}))))
        .build()
        .unwrap_err();
    let Error::InvalidWorkflow(problems) = &err else {
        panic!("expected InvalidWorkflow, got {err}");
    };
    assert!(problems.contains(&Problem::DuplicateNodeId { id: "a".into() }));
    assert!(problems.contains(&Problem::SeveralStartNodes {
        ids: vec!["s1".into(), "s2".into()]
    }));
    assert!(problems.contains(&Problem::DanglingEdge {
        node: "s1".into(),
        target: "ghost".into()
    }));
    assert!(problems.contains(&Problem::DanglingRoute {
        node: "a".into(),
        key: "k".into(),
        target: "nowhere".into()
    }));
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, Problem::Cycle { path } if path == &["b", "c", "b"]))
    );
    let text = err.to_string();
    assert!(text.starts_with("invalid workflow: "), "{text}");
    assert!(
        text.contains("node `s1` has next `ghost`, which is not a node"),
        "{text}"
    );
}

#[test]
fn missing_start_unreachable_end_and_warnings() {
    let err = Workflow::builder("no-start")
        .node(NodeSpec::new("a", Emit(json!({}))))
        .build()
        .unwrap_err();
    assert!(matches!(&err, Error::InvalidWorkflow(p) if p == &[Problem::NoStartNode]));

    let err = Workflow::builder("no-end")
        .node(NodeSpec::start("s").next("a"))
        .node(NodeSpec::new("a", Emit(json!({}))))
        .node(NodeSpec::end("end"))
        .build()
        .unwrap_err();
    assert!(matches!(&err, Error::InvalidWorkflow(p) if p == &[Problem::NoReachableEnd]));

    let workflow = Workflow::builder("island")
        .node(NodeSpec::start("s"))
        .node(NodeSpec::new("island", Emit(json!({}))))
        .build()
        .expect("unreachable nodes are only a warning");
    assert_eq!(
        workflow.warnings(),
        [Problem::Unreachable {
            node: "island".into()
        }]
    );
}

#[test]
fn native_config_is_typed_and_checked() {
    assert!(BackendRegistry::create("native", json!({"max_workers": 2, "debug": true})).is_ok());
    let err = BackendRegistry::create("native", json!({"max_workers": 0})).unwrap_err();
    let Error::InvalidConfig { backend, key, .. } = &err else {
        panic!("expected InvalidConfig, got {err}");
    };
    assert_eq!(
        (backend.as_str(), key.as_deref()),
        ("native", Some("max_workers"))
    );
    let err = BackendRegistry::create("native", json!({"workers": 2})).unwrap_err();
    assert!(err.to_string().contains("unknown field `workers`"), "{err}");
    let err = BackendRegistry::create("native", json!({"debug": "yes"})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration for backend `native`: key `debug`: invalid type: string \"yes\", expected a boolean"
    );
}
