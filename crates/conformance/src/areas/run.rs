//! Running nodes and workflows: results, routing, joins, loops, failures, interrupts, events.

use libtest_mimic::Trial;
use nadoo_flow_core::{
    NodeContext, NodeInput, NodeSpec, NodeStatus, RunEventKind, RunOptions, WorkflowContext,
    WorkflowStatus,
};
use serde_json::{Map, json};

use super::{create, trial, workflow};
use crate::check::{Outcome, block_on, ensure, equal, succeeded, text};

pub(crate) fn trials(backend: &'static str) -> Vec<Trial> {
    vec![
        trial(
            "run",
            "execute_node_returns_a_result",
            backend,
            execute_node,
        ),
        trial("run", "linear_workflow", backend, linear),
        trial("run", "fan_out_and_join", backend, fan_out_and_join),
        trial("run", "untaken_route_is_skipped", backend, route_and_skip),
        trial("run", "loop_until_condition", backend, loop_until),
        trial("run", "max_steps_stops_a_runaway_loop", backend, max_steps),
        trial("run", "failure_is_recorded_on_the_node", backend, failure),
        trial(
            "run",
            "interrupt_then_resume_elsewhere",
            backend,
            interrupt_resume,
        ),
        trial("run", "events_in_order", backend, events),
    ]
}

fn execute_node(backend: &'static str) -> Outcome {
    let instance = create(backend)?;
    let node = text(
        "from_kind",
        NodeSpec::from_kind("greet", "template", json!({ "text": "hi {{who}}" })),
    )?;
    let mut globals = Map::new();
    globals.insert("who".to_owned(), json!("ada"));
    let context = NodeContext::new("greet", NodeInput::new(globals.into()));
    let result = block_on(instance.execute_node(&node, &context, &WorkflowContext::new()))?;
    let result = text("execute_node", result)?;
    equal("success", result.is_success(), true)?;
    equal("output", result.into_output(), json!({ "text": "hi ada" }))
}

const LINEAR: &str = r#"
[input]
name = "ada"

[[nodes]]
id = "start"
kind = "start"
next = ["set"]

[[nodes]]
id = "set"
kind = "set"
config = { values = { greeting = "hello" }, globals = { seen = true } }
next = ["say"]

[[nodes]]
id = "say"
kind = "template"
config = { text = "{{previous_output.greeting}}, {{name}}" }
next = ["end"]

[[nodes]]
id = "end"
kind = "end"
"#;

fn linear(backend: &'static str) -> Outcome {
    let done = run(backend, LINEAR)?;
    succeeded(&done)?;
    equal("path", path(&done), vec!["start", "set", "say"])?;
    equal(
        "say's output",
        done.output("say").cloned(),
        Some(json!({ "text": "hello, ada" })),
    )?;
    equal(
        "global seen",
        done.globals.get("seen").cloned(),
        Some(json!(true)),
    )
}

const FAN_OUT: &str = r#"
[[nodes]]
id = "start"
kind = "start"
next = ["a", "b"]

[[nodes]]
id = "a"
kind = "set"
config = { values = { v = "a" } }
next = ["join"]

[[nodes]]
id = "b"
kind = "sleep"
config = { ms = 20 }
next = ["join"]

[[nodes]]
id = "join"
kind = "conformance-echo"
"#;

fn fan_out_and_join(backend: &'static str) -> Outcome {
    let done = run(backend, FAN_OUT)?;
    succeeded(&done)?;
    let runs = done
        .execution_path
        .iter()
        .filter(|id| *id == "join")
        .count();
    equal("join runs", runs, 1)?;
    equal("join runs last", path(&done).last().copied(), Some("join"))?;
    let join = done.output("join").cloned().unwrap_or_default();
    equal(
        "join's predecessors",
        join["predecessors"].clone(),
        json!(["a", "b"]),
    )?;
    equal(
        "a's output at the join",
        join["a"].clone(),
        json!({ "v": "a" }),
    )
}

const ROUTES: &str = r#"
[input]
side = "left"

[[nodes]]
id = "start"
kind = "start"
next = ["decide"]

[[nodes]]
id = "decide"
kind = "route"
config = { on = "side", cases = { left = "l", right = "r" } }
routes = { l = "left", r = "right" }

[[nodes]]
id = "left"
kind = "set"
config = { values = { side = "left" } }
next = ["join"]

[[nodes]]
id = "right"
kind = "set"
next = ["join"]

[[nodes]]
id = "join"
kind = "conformance-echo"
"#;

fn route_and_skip(backend: &'static str) -> Outcome {
    let done = run(backend, ROUTES)?;
    succeeded(&done)?;
    equal("path", path(&done), vec!["start", "decide", "left", "join"])?;
    let right = done.node_contexts.get("right").map(|c| c.status);
    equal("right's status", right, Some(NodeStatus::Skipped))?;
    let join = done.output("join").cloned().unwrap_or_default();
    equal(
        "join's predecessors",
        join["predecessors"].clone(),
        json!(["left"]),
    )
}

const LOOP: &str = r#"
max_steps = 50

[[nodes]]
id = "start"
kind = "start"
next = ["count"]

[[nodes]]
id = "count"
kind = "conformance-counter"
config = { until = 3 }
routes = { again = "count", done = "end" }

[[nodes]]
id = "end"
kind = "end"
"#;

fn loop_until(backend: &'static str) -> Outcome {
    let done = run(backend, LOOP)?;
    succeeded(&done)?;
    let counts = done
        .execution_path
        .iter()
        .filter(|id| *id == "count")
        .count();
    equal("loop passes", counts, 3)?;
    equal(
        "global count",
        done.globals.get("count").cloned(),
        Some(json!(3)),
    )
}

fn max_steps(backend: &'static str) -> Outcome {
    let runaway = LOOP
        .replace("until = 3", "until = 1000000")
        .replace("max_steps = 50", "max_steps = 10");
    let done = run(backend, &runaway)?;
    equal("status", done.status, WorkflowStatus::Failed)?;
    equal("executions", done.execution_path.len(), 10)?;
    let error = done.error.unwrap_or_default();
    ensure(error.contains("max_steps"), || {
        format!("the error should name max_steps: {error}")
    })
}

const FAILS: &str = r#"
[[nodes]]
id = "start"
kind = "start"
next = ["bad"]

[[nodes]]
id = "bad"
kind = "fail"
config = { message = "quota exceeded" }
next = ["after"]

[[nodes]]
id = "after"
kind = "set"
"#;

fn failure(backend: &'static str) -> Outcome {
    let done = run(backend, FAILS)?;
    equal("status", done.status, WorkflowStatus::Failed)?;
    equal(
        "error",
        done.error.as_deref(),
        Some("node `bad` failed: quota exceeded"),
    )?;
    let bad = done.node_contexts.get("bad");
    equal(
        "bad's status",
        bad.map(|c| c.status),
        Some(NodeStatus::Failed),
    )?;
    equal(
        "bad's error",
        bad.and_then(|c| c.error.as_deref()),
        Some("quota exceeded"),
    )?;
    ensure(!done.node_contexts.contains_key("after"), || {
        "the node after the failure ran".to_owned()
    })
}

const APPROVAL: &str = r#"
[[nodes]]
id = "start"
kind = "start"
next = ["write", "ask"]

[[nodes]]
id = "write"
kind = "set"
config = { values = { text = "post" } }
next = ["publish"]

[[nodes]]
id = "ask"
kind = "conformance-approve"
next = ["publish"]

[[nodes]]
id = "publish"
kind = "conformance-echo"
"#;

fn interrupt_resume(backend: &'static str) -> Outcome {
    let wf = workflow(APPROVAL)?;
    let first = block_on(create(backend)?.execute_workflow(&wf, WorkflowContext::new()))?;
    let first = text("first run", first)?;
    equal("first status", first.status, WorkflowStatus::Interrupted)?;
    equal(
        "ask's status",
        first.node_contexts.get("ask").map(|c| c.status),
        Some(NodeStatus::Interrupted),
    )?;
    let stored = text("serialize", serde_json::to_string(&first))?;
    let restored: WorkflowContext = text("deserialize", serde_json::from_str(&stored))?;
    let fresh = create(backend)?;
    let done = block_on(fresh.resume(&wf, restored, json!({ "approved": true })))?;
    let done = text("resume", done)?;
    equal("resumed status", done.status, WorkflowStatus::Success)?;
    equal(
        "ask's output",
        done.output("ask").cloned(),
        Some(json!({ "answer": { "approved": true } })),
    )?;
    let publish = done.output("publish").cloned().unwrap_or_default();
    equal(
        "publish's predecessors",
        publish["predecessors"].clone(),
        json!(["ask", "write"]),
    )
}

fn events(backend: &'static str) -> Outcome {
    let wf = workflow(FAN_OUT)?;
    let instance = create(backend)?;
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let done = block_on(instance.run_workflow(
        &wf,
        WorkflowContext::new(),
        RunOptions::new().events(sender),
    ))?;
    text("run", done)?;
    let mut events = Vec::new();
    while let Ok(event) = receiver.try_recv() {
        events.push(event);
    }
    for node in ["start", "a", "b", "join"] {
        let kinds: Vec<&str> = events
            .iter()
            .filter(|e| e.node() == Some(node))
            .map(|e| match e.kind {
                RunEventKind::NodeStarted { .. } => "started",
                RunEventKind::NodeFinished { .. } => "finished",
                _ => "other",
            })
            .collect();
        equal(
            &format!("events of {node}"),
            kinds,
            vec!["started", "finished"],
        )?;
    }
    let last_is_finish = matches!(
        events.last().map(|e| &e.kind),
        Some(RunEventKind::WorkflowFinished {
            status: WorkflowStatus::Success,
            ..
        })
    );
    ensure(last_is_finish, || {
        format!(
            "the last event should be the workflow's finish: {:?}",
            events.last()
        )
    })
}

/// The execution path as text.
fn path(done: &WorkflowContext) -> Vec<&str> {
    done.execution_path.iter().map(|id| id.as_str()).collect()
}

fn run(backend: &'static str, toml: &str) -> Result<WorkflowContext, String> {
    let wf = workflow(toml)?;
    let instance = create(backend)?;
    text(
        "run",
        block_on(instance.execute_workflow(&wf, WorkflowContext::new()))?,
    )
}
