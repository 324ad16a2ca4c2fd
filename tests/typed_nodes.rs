//! Nodes written as typed async functions (`#[node("kind")]` on an `async fn`) and as closures
//! (`NodeSpec::from_fn`): what reaches them, what they output, how they fail, and that a node
//! made from a registered kind records kind and configuration.

use nadoo_flow::{
    Backend, BackendRegistry, BoxError, Error, Node, NodeContext, NodeKind, NodeRegistry,
    NodeResult, NodeSpec, RegisteredKind, Workflow, WorkflowContext, WorkflowStatus, async_trait,
    node,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize)]
struct Draft {
    text: String,
}

/// The input of `compose`: a global and a predecessor's output, by the predecessor's id.
#[derive(Debug, Deserialize)]
struct ComposeInput {
    topic: String,
    draft: Draft,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComposeConfig {
    separator: String,
    #[serde(default)]
    upper: bool,
}

#[derive(Debug, Serialize)]
struct Composed {
    line: String,
}

/// Joins the topic and the draft's text.
#[node("typed-compose")]
async fn compose(input: ComposeInput, config: ComposeConfig) -> Result<Composed, BoxError> {
    let line = format!("{}{}{}", input.topic, config.separator, input.draft.text);
    let line = if config.upper {
        line.to_uppercase()
    } else {
        line
    };
    Ok(Composed { line })
}

/// The same, with the config borrowed instead of cloned.
#[node("typed-compose-ref")]
async fn compose_ref(input: ComposeInput, config: &ComposeConfig) -> Result<Composed, String> {
    Ok(Composed {
        line: format!("{}{}{}", input.topic, config.separator, input.draft.text),
    })
}

#[derive(Debug, Deserialize)]
struct Text {
    text: String,
}

/// Counts words: an output that is not an object.
#[node("typed-count")]
async fn count(input: Text) -> Result<usize, std::convert::Infallible> {
    Ok(input.text.split_whitespace().count())
}

/// Returns nothing: an output of `()`.
#[node("typed-nothing")]
async fn nothing(_: ()) -> Result<(), std::convert::Infallible> {
    Ok(())
}

/// Fails when the text is empty.
#[node("typed-refuse-empty")]
async fn refuse_empty(input: Text) -> std::io::Result<Text2> {
    if input.text.is_empty() {
        return Err(std::io::Error::other("the text is empty"));
    }
    Ok(Text2 { text: input.text })
}

#[derive(Debug, Serialize)]
struct Text2 {
    text: String,
}

fn backend() -> Box<dyn Backend> {
    BackendRegistry::create("native", ()).expect("native is linked")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// `start` → `draft` (a template) → `node` → `end`, with global `topic`.
fn around(node: NodeSpec) -> Workflow {
    let id = node.id().to_owned();
    Workflow::builder("typed")
        .input("topic", json!("rust"))
        .node(NodeSpec::start("start").next("draft"))
        .node(
            NodeSpec::from_kind("draft", "template", json!({ "text": "typed nodes" }))
                .expect("a template")
                .next(id.as_str()),
        )
        .node(node.next("end"))
        .node(NodeSpec::end("end"))
        .build()
        .expect("a valid workflow")
}

fn run(workflow: &Workflow, input: Value) -> WorkflowContext {
    runtime()
        .block_on(backend().execute_workflow(workflow, WorkflowContext::new().with_input(input)))
        .expect("the run finishes")
}

fn failure(done: &WorkflowContext, node: &str) -> String {
    assert_eq!(done.status, WorkflowStatus::Failed, "{done:?}");
    done.node_contexts
        .get(node)
        .and_then(|c| c.error.clone())
        .unwrap_or_else(|| panic!("node `{node}` failed: {:?}", done.error))
}

#[test]
fn typed_input_and_config_reach_the_function() {
    let spec = compose::spec("compose", json!({ "separator": ": " })).expect("a valid config");
    let done = run(&around(spec), json!({}));
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    assert_eq!(
        done.output("compose"),
        Some(&json!({ "line": "rust: typed nodes" }))
    );

    let typed = ComposeConfig {
        separator: " / ".into(),
        upper: true,
    };
    let done = run(
        &around(compose::spec("compose", typed).expect("valid")),
        json!({}),
    );
    assert_eq!(
        done.output("compose"),
        Some(&json!({ "line": "RUST / TYPED NODES" }))
    );

    let by_ref = compose_ref::spec("compose", json!({ "separator": "-" })).expect("valid");
    let done = run(&around(by_ref), json!({}));
    assert_eq!(
        done.output("compose"),
        Some(&json!({ "line": "rust-typed nodes" }))
    );
}

#[test]
fn a_node_function_stays_a_plain_function() {
    let input = ComposeInput {
        topic: "a".into(),
        draft: Draft { text: "b".into() },
    };
    let config = ComposeConfig {
        separator: "+".into(),
        upper: false,
    };
    let composed = runtime()
        .block_on(compose(input, config))
        .expect("composes");
    assert_eq!(composed.line, "a+b");
}

#[test]
fn a_bad_input_names_the_node_the_field_and_the_kind() {
    let workflow = around(count::spec("count"));
    let done = run(&workflow, json!({ "text": 5 }));
    assert_eq!(
        failure(&done, "count"),
        "node `count` (kind `typed-count`): input field `text`: invalid type: integer `5`, expected a string"
    );

    let spec = compose::spec("compose", json!({ "separator": "" })).expect("valid");
    let done = run(&around(spec), json!({ "topic": ["not", "text"] }));
    assert_eq!(
        failure(&done, "compose"),
        "node `compose` (kind `typed-compose`): input field `topic`: invalid type: sequence, expected a string"
    );

    let done = run(&workflow, json!({}));
    assert_eq!(
        failure(&done, "count"),
        "node `count` (kind `typed-count`): input: missing field `text`"
    );
}

#[test]
fn outputs_that_are_not_objects_are_wrapped_or_empty() {
    let done = run(
        &around(count::spec("count")),
        json!({ "text": "one two three" }),
    );
    assert_eq!(done.output("count"), Some(&json!({ "value": 3 })));

    let done = run(&around(nothing::spec("nothing")), json!({}));
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    assert_eq!(done.output("nothing"), Some(&json!({})));

    // A later node finds a wrapped value at `<node>.value`.
    let workflow = Workflow::builder("wrapped")
        .node(NodeSpec::start("start").next("count"))
        .node(count::spec("count").next("say"))
        .node(
            NodeSpec::from_kind(
                "say",
                "template",
                json!({ "text": "{{count.value}} words" }),
            )
            .expect("a template")
            .next("end"),
        )
        .node(NodeSpec::end("end"))
        .build()
        .expect("valid");
    let done = run(&workflow, json!({ "text": "a b" }));
    assert_eq!(done.output("say"), Some(&json!({ "text": "2 words" })));
}

#[test]
fn the_function_error_is_the_node_failure() {
    let spec = refuse_empty::spec("refuse");
    let done = run(&around(spec.clone()), json!({ "text": "" }));
    assert_eq!(failure(&done, "refuse"), "the text is empty");
    let done = run(&around(spec), json!({ "text": "fine" }));
    assert_eq!(done.output("refuse"), Some(&json!({ "text": "fine" })));
}

#[test]
fn the_kind_is_registered_and_made_by_name_from_a_workflow_file() {
    let info = NodeRegistry::info("typed-compose").expect("registered");
    assert_eq!(info.description(), "Joins the topic and the draft's text.");
    assert_eq!(<compose as RegisteredKind>::KIND, "typed-compose");
    assert_eq!(<count as RegisteredKind>::KIND, "typed-count");

    let file = r#"
        [input]
        topic = "toml"

        [[nodes]]
        id = "start"
        kind = "start"
        next = ["draft"]

        [[nodes]]
        id = "draft"
        kind = "template"
        config = { text = "from a file" }
        next = ["compose"]

        [[nodes]]
        id = "compose"
        kind = "typed-compose"
        config = { separator = " | " }
        next = ["end"]

        [[nodes]]
        id = "end"
        kind = "end"
    "#;
    let workflow = Workflow::from_toml("typed.toml", file).expect("a valid file");
    let done = run(&workflow, json!({}));
    assert_eq!(
        done.output("compose"),
        Some(&json!({ "line": "toml | from a file" }))
    );

    let typo = file.replace("separator = ", "seperator = ");
    let err = Workflow::from_toml("typed.toml", &typo)
        .unwrap_err()
        .to_string();
    assert!(err.contains("node `compose`"), "{err}");
    assert!(err.contains("unknown field `seperator`"), "{err}");

    // A kind without config takes none: `{}` is fine, any key is an error.
    assert!(NodeRegistry::create("typed-count", json!({})).is_ok());
    let err = NodeRegistry::create("typed-count", json!({ "by": 1 }))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `by`"), "{err}");
}

#[test]
fn a_node_of_a_registered_kind_records_kind_and_config_and_round_trips() {
    let spec = compose::spec("compose", json!({ "separator": "~" })).expect("valid");
    assert_eq!(spec.kind(), "typed-compose");
    assert_eq!(spec.config(), &json!({ "separator": "~" }));
    let bare = count::spec("count");
    assert_eq!(bare.kind(), "typed-count");
    assert_eq!(bare.config(), &Value::Null);
    let of = NodeSpec::of::<compose>("compose", json!({ "separator": "~" })).expect("valid");
    assert_eq!((of.kind(), of.config()), (spec.kind(), spec.config()));

    let err = compose::spec("compose", json!({ "separator": 1 })).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidNodeConfig { kind, key: Some(key), .. }
            if kind == "typed-compose" && key == "separator"),
        "{err}"
    );

    let workflow = around(spec);
    let text = workflow.to_toml().expect("a TOML form");
    let again = Workflow::from_toml("again.toml", &text).expect("reads back");
    let node = again.node("compose").expect("there");
    assert_eq!(node.kind(), "typed-compose");
    assert_eq!(node.config(), &json!({ "separator": "~" }));
    assert_eq!(
        run(&again, json!({})).output("compose"),
        Some(&json!({ "line": "rust~typed nodes" }))
    );
}

/// A struct-form kind, made by type with `NodeSpec::of`.
#[node("typed-struct-times")]
#[derive(Debug)]
struct Times {
    by: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimesConfig {
    by: i64,
}

impl NodeKind for Times {
    type Config = TimesConfig;
    fn from_config(config: TimesConfig) -> Result<Self, BoxError> {
        Ok(Times { by: config.by })
    }
}

#[async_trait]
impl Node for Times {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        let n = ctx.input.lookup("n").and_then(Value::as_i64).unwrap_or(0);
        Ok(NodeResult::ok(json!({ "n": n * self.by })))
    }
}

#[test]
fn a_struct_kind_is_made_by_type_too() {
    assert_eq!(Times::KIND, "typed-struct-times");
    let spec = NodeSpec::of::<Times>("times", json!({ "by": 3 })).expect("valid");
    assert_eq!(spec.kind(), "typed-struct-times");
    assert_eq!(spec.config(), &json!({ "by": 3 }));
    let done = run(&around(spec), json!({ "n": 2 }));
    assert_eq!(done.output("times"), Some(&json!({ "n": 6 })));
    // `NodeSpec::new` records the type's path, which no registry knows.
    assert!(
        NodeSpec::new("times", Times { by: 1 })
            .kind()
            .ends_with("Times")
    );
}

/// What follows node `draft`: its output, by its id.
#[derive(Debug, Deserialize)]
struct AfterDraft {
    draft: Draft,
}

#[test]
fn a_closure_runs_as_a_node_in_process() {
    let suffix = String::from("!");
    let shout = NodeSpec::from_fn("shout", move |input: AfterDraft| {
        let suffix = suffix.clone();
        async move { Ok::<_, BoxError>(format!("{}{suffix}", input.draft.text.to_uppercase())) }
    });
    assert_eq!(shout.kind(), "fn:shout");
    assert_eq!(shout.config(), &Value::Null);
    let workflow = Workflow::builder("closure")
        .node(NodeSpec::start("start").next("draft"))
        .node(
            NodeSpec::from_kind("draft", "template", json!({ "text": "hey" }))
                .expect("a template")
                .next("shout"),
        )
        .node(shout.next("all"))
        .node(
            NodeSpec::from_fn("all", |input: Map<String, Value>| async move {
                Ok::<_, String>(json!({ "keys": input.keys().cloned().collect::<Vec<_>>() }))
            })
            .next("end"),
        )
        .node(NodeSpec::end("end"))
        .build()
        .expect("valid");
    let done = run(&workflow, json!({ "g": 1 }));
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    assert_eq!(done.output("shout"), Some(&json!({ "value": "HEY!" })));
    assert_eq!(
        done.output("all"),
        Some(&json!({ "keys": ["g", "previous_output", "shout"] }))
    );

    // A predecessor's output shadows a global of the same name, as `NodeInput::get` does.
    let done = run(&workflow, json!({ "draft": 1 }));
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);

    // Bad input fails the node, naming it.
    let bad = Workflow::builder("bad")
        .node(NodeSpec::start("start").next("shout"))
        .node(
            NodeSpec::from_fn("shout", |input: Draft| async move {
                Ok::<_, String>(input.text)
            })
            .next("end"),
        )
        .node(NodeSpec::end("end"))
        .build()
        .expect("valid");
    let done = run(&bad, json!({ "text": false }));
    assert_eq!(
        failure(&done, "shout"),
        "node `shout` (kind `fn:shout`): input field `text`: invalid type: boolean `false`, expected a string"
    );

    // It has no registered kind, so it has no workflow-file form.
    let err = bad.to_toml().unwrap_err().to_string();
    assert!(err.contains("fn:shout"), "{err}");
}
