//! The rules every run obeys whatever the graph (SPEC §5a), one test each, on `native`.

mod support;

use nadoo_flow::{
    BackendRegistry, BoxError, Error, Node, NodeContext, NodeResult, NodeSpec, NodeStatus, Problem,
    Workflow, WorkflowContext, WorkflowStatus, async_trait,
};
use serde_json::{Value, json};
use support::Emit;

async fn run(workflow: &Workflow) -> WorkflowContext {
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    backend
        .execute_workflow(workflow, WorkflowContext::new())
        .await
        .expect("the workflow runs")
}

/// The largest `n` among the node's inputs.
fn n_of(ctx: &NodeContext) -> i64 {
    ctx.input
        .outputs
        .values()
        .filter_map(|output| output.get("n").and_then(Value::as_i64))
        .max()
        .unwrap_or(0)
}

/// Outputs one more than the largest `n` among its inputs, and the ids it got them from.
#[derive(Debug)]
struct Step;

#[async_trait]
impl Node for Step {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let from: Vec<&str> = ctx.input.outputs.keys().map(|id| id.as_str()).collect();
        Ok(NodeResult::ok(json!({ "n": n_of(ctx) + 1, "from": from })))
    }
}

/// As [`Step`], then routes `again` while `n` is below `until`, else `done`.
#[derive(Debug)]
struct Until(i64);

#[async_trait]
impl Node for Until {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let n = n_of(ctx) + 1;
        let inputs: Vec<Value> = ctx.input.outputs.values().cloned().collect();
        let route = if n < self.0 { "again" } else { "done" };
        Ok(NodeResult::ok(json!({ "n": n, "inputs": inputs })).with_route(route))
    }
}

fn count(done: &WorkflowContext, id: &str) -> usize {
    done.execution_path.iter().filter(|p| *p == id).count()
}

#[test]
fn an_end_node_with_successors_is_invalid_and_named() {
    let err = Workflow::builder("end-next")
        .node(NodeSpec::start("start").next("stop"))
        .node(NodeSpec::end("stop").next("after"))
        .node(NodeSpec::new("after", Step))
        .build()
        .unwrap_err();
    let Error::InvalidWorkflow(problems) = &err else {
        panic!("{err}")
    };
    assert!(problems.contains(&Problem::EndWithSuccessors {
        node: "stop".to_owned()
    }));
    assert!(
        err.to_string().contains("end node `stop` has successors"),
        "{err}"
    );

    let routed = Workflow::builder("end-routes")
        .node(NodeSpec::start("start").next("stop"))
        .node(NodeSpec::end("stop").route("more", "start"))
        .build()
        .unwrap_err();
    assert!(routed.to_string().contains("end node `stop`"), "{routed}");

    let text = "[[nodes]]\nid = \"s\"\nkind = \"start\"\nnext = [\"e\"]\n\n\
                [[nodes]]\nid = \"e\"\nkind = \"end\"\nnext = [\"s2\"]\n\n\
                [[nodes]]\nid = \"s2\"\nkind = \"set\"\n";
    let err = Workflow::from_toml("end.toml", text).unwrap_err();
    assert!(
        err.to_string().contains("end node `e` has successors"),
        "{err}"
    );
}

#[tokio::test]
async fn the_default_step_limit_never_stops_an_acyclic_workflow() {
    const N: usize = 15_000;
    let mut builder = Workflow::builder("long").node(NodeSpec::start("start").next("n0"));
    for i in 0..N {
        let node = NodeSpec::new(format!("n{i}"), Emit(json!({})));
        builder = builder.node(if i + 1 < N {
            node.next(format!("n{}", i + 1))
        } else {
            node
        });
    }
    let workflow = builder.build().expect("valid");
    assert_eq!(workflow.max_steps(), N + 1 + 10_000);
    assert_eq!(workflow.max_steps_set(), None);
    assert!(!workflow.has_loops());
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    assert_eq!(done.execution_path.len(), N + 1);
}

#[tokio::test]
async fn the_step_limit_error_says_whether_the_workflow_has_loops() {
    let chain = Workflow::builder("chain")
        .node(NodeSpec::start("start").next("a"))
        .node(NodeSpec::new("a", Step).next("b"))
        .node(NodeSpec::new("b", Step))
        .max_steps(2)
        .build()
        .expect("valid");
    let error = run(&chain).await.error.expect("fails");
    assert!(
        error.contains("max_steps: 2") && error.contains("no loops"),
        "{error}"
    );

    let looping = Workflow::builder("loop")
        .node(NodeSpec::start("start").next("spin"))
        .node(
            NodeSpec::new("spin", Until(i64::MAX))
                .route("again", "spin")
                .route("done", "end"),
        )
        .node(NodeSpec::end("end"))
        .max_steps(20)
        .build()
        .expect("valid");
    assert!(looping.has_loops());
    let error = run(&looping).await.error.expect("fails");
    assert!(
        error.contains("max_steps: 20") && error.contains("form loops"),
        "{error}"
    );
}

/// `start` fans out to `b` and `c`; `c` loops back to `b` once. Which edge closes the loop
/// must not depend on the order `next` was written in.
fn fan_into_loop(order: [&str; 2]) -> Workflow {
    Workflow::builder("order")
        .node(NodeSpec::start("start").next(order[0]).next(order[1]))
        .node(NodeSpec::new("b", Step).next("c"))
        .node(
            NodeSpec::new("c", Until(4))
                .route("again", "b")
                .route("done", "fin"),
        )
        .node(NodeSpec::new("fin", Step))
        .build()
        .expect("valid")
}

fn summary(done: &WorkflowContext) -> (WorkflowStatus, Vec<String>, Vec<(String, Value)>) {
    let mut path: Vec<String> = done
        .execution_path
        .iter()
        .map(|id| id.to_string())
        .collect();
    path.sort();
    let outputs = done
        .outputs()
        .into_iter()
        .map(|(id, output)| (id.to_owned(), output.clone()))
        .collect();
    (done.status, path, outputs)
}

#[tokio::test]
async fn permuting_next_never_changes_a_run() {
    let bc = run(&fan_into_loop(["b", "c"])).await;
    let cb = run(&fan_into_loop(["c", "b"])).await;
    assert_eq!(bc.status, WorkflowStatus::Success, "{:?}", bc.error);
    assert_eq!(summary(&bc), summary(&cb));
    // `c` joins `start` and `b` once; then `c` → `b` closes the loop.
    assert_eq!(count(&bc, "c"), 2);
    assert_eq!(count(&bc, "fin"), 1);
}

/// `h` fans out to `a` and `b`, which `j` joins; `j` routes back to `h` until `n` reaches
/// `until`.
fn join_in_loop(until: i64) -> Workflow {
    Workflow::builder("join-loop")
        .node(NodeSpec::start("start").next("h"))
        .node(NodeSpec::new("h", Step).next("a").next("b"))
        .node(NodeSpec::new("a", Step).next("j"))
        .node(NodeSpec::new("b", Step).next("j"))
        .node(
            NodeSpec::new("j", Until(until))
                .route("again", "h")
                .route("done", "end"),
        )
        .node(NodeSpec::end("end"))
        .build()
        .expect("valid")
}

#[tokio::test]
async fn a_join_in_a_loop_fires_once_per_iteration_with_that_iterations_outputs() {
    let done = run(&join_in_loop(12)).await;
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    for id in ["h", "a", "b", "j"] {
        assert_eq!(count(&done, id), 4, "{id}: {:?}", done.execution_path);
    }
    // Each firing saw both branches of its own iteration: n = 3 × iterations.
    let j = done.output("j").expect("j ran");
    assert_eq!(j["n"], 12);
    assert_eq!(
        j["inputs"],
        json!([{"n": 11, "from": ["h"]}, {"n": 11, "from": ["h"]}])
    );
}

#[tokio::test]
async fn a_join_left_waiting_fails_the_run_naming_it_and_what_it_waits_for() {
    // `h` runs in three iterations of its loop and feeds `j`, outside the loop, each time;
    // `start` feeds `j` once. The first pair fires `j`; the second `h` waits for a `start`
    // that never comes again.
    let workflow = Workflow::builder("stalled")
        .node(NodeSpec::start("start").next("h").next("j"))
        .node(NodeSpec::new("h", Step).next("x").next("j"))
        .node(
            NodeSpec::new("x", Until(6))
                .route("again", "h")
                .route("done", "end"),
        )
        .node(NodeSpec::new("j", Step))
        .node(NodeSpec::end("end"))
        .build()
        .expect("valid");
    let done = run(&workflow).await;
    assert_eq!(
        done.status,
        WorkflowStatus::Failed,
        "{:?}",
        done.execution_path
    );
    assert_eq!(count(&done, "h"), 3);
    assert_eq!(count(&done, "j"), 1);
    let error = done.error.expect("names the join");
    assert!(
        error.starts_with("join `j` is still waiting for `start`, but nothing else can run"),
        "{error}"
    );
}

#[tokio::test]
async fn a_next_override_may_name_only_a_successor_or_route_target() {
    let workflow = Workflow::builder("override")
        .node(NodeSpec::start("start").next("pick"))
        .node(
            NodeSpec::new(
                "pick",
                support::Returns(NodeResult::ok(json!({})).with_next("far")),
            )
            .next("near")
            .route("alt", "alt"),
        )
        .node(NodeSpec::new("near", Step))
        .node(NodeSpec::new("alt", Step))
        .node(NodeSpec::new("far", Step).next("near"))
        .build()
        .expect("valid");
    let done = run(&workflow).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    let error = done.error.expect("names the id");
    assert!(
        error.contains("node `pick` failed") && error.contains("`far`"),
        "{error}"
    );
    assert!(error.contains("alt, near"), "{error}");
    assert_eq!(done.node_contexts["pick"].status, NodeStatus::Failed);
    assert!(!done.node_contexts.contains_key("far"));
}

/// Asks for approval: interrupts until the run is resumed.
#[derive(Debug)]
struct Ask;

#[async_trait]
impl Node for Ask {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        Ok(match &ctx.resume {
            Some(answer) => NodeResult::ok(json!({ "answer": answer })),
            None => NodeResult::ok(json!({ "prompt": "approve?" })).interrupted(),
        })
    }
}

fn approval(extra: bool) -> Workflow {
    let mut builder = Workflow::builder("approval")
        .node(NodeSpec::start("start").next("ask"))
        .node(NodeSpec::new("ask", Ask).next("publish"))
        .node(NodeSpec::new("publish", Step));
    if extra {
        builder = builder.node(NodeSpec::new("audit", Step).next("publish"));
    }
    builder.build().expect("valid")
}

#[tokio::test]
async fn resume_refuses_a_checkpoint_of_a_changed_workflow_naming_the_change() {
    let first = run(&approval(false)).await;
    assert_eq!(first.status, WorkflowStatus::Interrupted);
    let checkpoint = first.checkpoint.as_ref().expect("has a checkpoint");
    assert_eq!(checkpoint.fingerprint(), approval(false).fingerprint());

    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let err = backend
        .resume(&approval(true), first.clone(), json!(true))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::InvalidCheckpoint { .. }), "{text}");
    assert!(
        text.contains("node `audit` was added") && text.contains("workflow changed"),
        "{text}"
    );

    let done = backend
        .resume(&approval(false), first, json!(true))
        .await
        .expect("the same workflow resumes");
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
}

#[tokio::test]
async fn a_checkpoint_edited_to_name_a_stranger_is_refused_not_a_panic() {
    let first = run(&approval(false)).await;
    let mut stored = serde_json::to_value(&first).expect("serializes");
    let interrupted = &mut stored["checkpoint"]["interrupted"][0]["inputs"];
    *interrupted = json!({ "nobody": {} });
    let edited: WorkflowContext = serde_json::from_value(stored).expect("still a context");
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let err = backend
        .resume(&approval(false), edited, json!(true))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`nobody`"), "{err}");
}
