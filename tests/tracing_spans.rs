//! Every node execution runs in one `execute_node` span with the fields backend, workflow,
//! node and attempt; `debug = true` adds an `info` event per finished node.

mod support;

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use nadoo_flow::{BackendRegistry, NodeSpec, Workflow, WorkflowContext, WorkflowStatus};
use serde_json::json;
use support::Emit;
use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber, span};

/// What the recording subscriber saw: span names with fields, event messages.
#[derive(Debug, Default)]
struct Seen {
    spans: Vec<(String, Vec<(String, String)>)>,
    events: Vec<Vec<(String, String)>>,
}

/// A subscriber that records every span and event.
#[derive(Debug, Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Seen>>,
    ids: Arc<AtomicU64>,
}

#[derive(Default)]
struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attributes: &span::Attributes<'_>) -> span::Id {
        let mut fields = Fields::default();
        attributes.record(&mut fields);
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.spans
            .push((attributes.metadata().name().to_owned(), fields.0));
        span::Id::from_u64(self.ids.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.events.push(fields.0);
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn run_traced(config: serde_json::Value) -> (WorkflowContext, Seen) {
    let recorder = Recorder::default();
    let workflow = Workflow::builder("traced")
        .node(NodeSpec::start("start").next("a"))
        .node(NodeSpec::new("a", Emit(json!({}))))
        .build()
        .expect("valid");
    let done = tracing::subscriber::with_default(recorder.clone(), || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let backend = BackendRegistry::create("native", config).expect("linked");
        runtime
            .block_on(backend.execute_workflow(&workflow, WorkflowContext::new()))
            .expect("runs")
    });
    let seen = std::mem::take(&mut *recorder.seen.lock().unwrap_or_else(PoisonError::into_inner));
    (done, seen)
}

#[test]
fn each_node_execution_has_a_span_with_its_fields() {
    let (done, seen) = run_traced(json!({}));
    assert_eq!(done.status, WorkflowStatus::Success);
    let spans: Vec<&Vec<(String, String)>> = seen
        .spans
        .iter()
        .filter(|(name, _)| name == "execute_node")
        .map(|(_, fields)| fields)
        .collect();
    assert_eq!(spans.len(), 2, "{:?}", seen.spans);
    for (fields, node) in spans.iter().zip(["start", "a"]) {
        assert_eq!(field(fields, "backend"), Some("native"));
        assert_eq!(field(fields, "node"), Some(node));
        assert_eq!(field(fields, "attempt"), Some("1"));
        assert_eq!(field(fields, "workflow"), Some(done.workflow_id.as_str()));
    }
    assert!(
        !seen
            .events
            .iter()
            .any(|e| field(e, "message") == Some("node finished")),
        "no per-node log without debug"
    );
}

#[test]
fn debug_logs_every_finished_node() {
    let (_, seen) = run_traced(json!({ "debug": true }));
    let finished: Vec<&str> = seen
        .events
        .iter()
        .filter(|e| field(e, "message") == Some("node finished"))
        .filter_map(|e| field(e, "node"))
        .collect();
    assert_eq!(finished, ["start", "a"]);
}
