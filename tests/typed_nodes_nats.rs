//! The `nats` backend runs a node on a worker by its registered kind: it accepts nodes made
//! from a registered kind (a `#[node]` function's `spec`, `NodeSpec::of`) and refuses, before
//! anything runs, a node made in code from a closure, naming it.

use nadoo_flow::{BackendRegistry, Error, NodeSpec, Workflow, node};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
struct Text {
    text: String,
}

/// Measures a text.
#[node("typed-nats-length")]
async fn length(input: Text) -> Result<usize, String> {
    Ok(input.text.len())
}

fn workflow(node: NodeSpec) -> Workflow {
    Workflow::builder("typed-on-nats")
        .node(NodeSpec::start("start").next(node.id().to_owned()))
        .node(node.next("end"))
        .node(NodeSpec::end("end"))
        .build()
        .expect("a valid workflow")
}

#[test]
fn nats_takes_registered_kinds_and_refuses_closures_by_name() {
    // Nothing connects before a run: `validate` needs no server.
    let nats = BackendRegistry::create("nats", json!({})).expect("nats is linked");

    nats.validate(&workflow(length::spec("measure")))
        .expect("a registered kind runs on workers");
    let of = NodeSpec::of::<length>("measure", ()).expect("no config");
    nats.validate(&workflow(of))
        .expect("so does one made with `of`");

    let closure = NodeSpec::from_fn("measure", |input: Text| async move {
        Ok::<_, String>(input.text.len())
    });
    let err = nats.validate(&workflow(closure)).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("node `measure`"), "{text}");
    assert!(text.contains("kind `fn:measure`"), "{text}");
    assert!(text.contains("#[node(\"kind\")]"), "{text}");
    assert!(text.contains("NodeSpec::from_fn"), "{text}");
}
