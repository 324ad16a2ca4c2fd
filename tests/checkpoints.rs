//! Interrupted runs: their checkpoint, through JSON, resumed in a fresh backend; checkpoints
//! that do not fit the workflow are refused.

mod support;

use nadoo_flow::{
    BackendRegistry, NodeSpec, NodeStatus, Workflow, WorkflowContext, WorkflowStatus,
};
use serde_json::json;
use support::{Approve, Echo, Emit, native};

fn approval_workflow() -> Workflow {
    Workflow::builder("approval")
        .node(NodeSpec::start("start").next("write").next("ask"))
        .node(NodeSpec::new("write", Emit(json!({"text": "post"}))).next("publish"))
        .node(NodeSpec::new("ask", Approve).next("publish"))
        .node(NodeSpec::new("publish", Echo).next("end"))
        .node(NodeSpec::end("end"))
        .build()
        .expect("valid")
}

#[tokio::test]
async fn interrupt_checkpoint_json_resume_in_a_fresh_backend() {
    let workflow = approval_workflow();
    let first = native()
        .execute_workflow(
            &workflow,
            WorkflowContext::new().with_input(json!({"topic": "rust"})),
        )
        .await
        .expect("runs");
    assert_eq!(first.status, WorkflowStatus::Interrupted);
    assert_eq!(first.node_contexts["ask"].status, NodeStatus::Interrupted);
    assert!(!first.node_contexts.contains_key("publish"));
    let checkpoint = first
        .checkpoint
        .as_ref()
        .expect("an interrupted run has a checkpoint");
    assert_eq!(checkpoint.interrupted().collect::<Vec<_>>(), ["ask"]);

    // Across a process boundary: JSON out, JSON in, a new backend instance.
    let stored = serde_json::to_string(&first).expect("serializes");
    let restored: WorkflowContext = serde_json::from_str(&stored).expect("deserializes");
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let done = backend
        .resume(&workflow, restored, json!({"approved": true}))
        .await
        .expect("resumes");

    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    assert!(done.checkpoint.is_none());
    assert_eq!(done.workflow_id, first.workflow_id);
    assert_eq!(
        done.output("ask"),
        Some(&json!({"answer": {"approved": true}}))
    );
    assert_eq!(done.globals["approved"], true);
    assert_eq!(done.globals["topic"], "rust");
    let publish = &done.node_contexts["publish"].input;
    assert_eq!(publish.outputs["write"], json!({"text": "post"}));
    assert_eq!(
        publish.outputs["ask"],
        json!({"answer": {"approved": true}})
    );
    assert_eq!(
        done.execution_path
            .iter()
            .filter(|id| *id == "publish")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_checkpoint_of_another_workflow_is_refused() {
    let first = native()
        .execute_workflow(&approval_workflow(), WorkflowContext::new())
        .await
        .expect("runs");
    let other = Workflow::builder("other")
        .node(NodeSpec::start("start"))
        .build()
        .expect("valid");
    let err = native().resume(&other, first, json!({})).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot resume workflow `other` from this checkpoint: it was taken on workflow `approval`"
    );
}

#[tokio::test]
async fn a_checkpoint_naming_a_stranger_to_a_join_is_refused() {
    let workflow = approval_workflow();
    let first = native()
        .execute_workflow(&workflow, WorkflowContext::new())
        .await
        .expect("runs");
    // `publish` waits for `write` and `ask`; claim it heard from `start` instead.
    let mut stored = serde_json::to_value(&first).expect("serializes");
    let joins = stored["checkpoint"]["joins"]
        .as_array_mut()
        .expect("the checkpoint has joins");
    assert_eq!(joins[0]["node"], "publish");
    joins[0]["taken"] = json!([[0, "start", {}]]);
    let tampered: WorkflowContext = serde_json::from_value(stored).expect("deserializes");
    let err = native()
        .resume(&workflow, tampered, json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot resume workflow `approval` from this checkpoint: node `start` is not a source of join `publish`"
    );
}
