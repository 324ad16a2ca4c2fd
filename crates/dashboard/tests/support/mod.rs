//! What the API tests share: a real SQLite store in a temp dir, workflows run into it on the
//! native backend, and requests sent to the router.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use nadoo_flow_core::{
    Backend, BackendRegistry, RunOptions, RunStore, StoreRegistry, Workflow, WorkflowContext,
};
use nadoo_flow_dashboard::Dashboard;
use serde_json::Value;
use tower::ServiceExt;

use nadoo_flow_native as _;
use nadoo_flow_store_sqlite as _;

/// A store in a temp dir, and the native backend.
pub(crate) struct Bench {
    pub(crate) store: Arc<dyn RunStore>,
    pub(crate) backend: Arc<dyn Backend>,
    _dir: tempfile::TempDir,
}

impl Bench {
    pub(crate) async fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let url = format!("sqlite://{}", dir.path().join("runs.db").display());
        let store = StoreRegistry::open(&url).await.expect("the store opens");
        let backend: Arc<dyn Backend> =
            Arc::from(BackendRegistry::create("native", ()).expect("native is linked"));
        Self {
            store,
            backend,
            _dir: dir,
        }
    }

    /// The dashboard over this store, able to resume runs.
    pub(crate) fn dashboard(&self) -> Dashboard {
        Dashboard::new(self.store.clone())
            .backend(self.backend.clone())
            .poll_interval(std::time::Duration::from_millis(20))
    }

    /// Runs `toml` as run `run_id`, kept in the store with its definition.
    pub(crate) async fn run(&self, toml: &str, run_id: &str) -> WorkflowContext {
        let workflow = Workflow::from_toml("test.toml", toml).expect("a valid workflow");
        let options = RunOptions::new()
            .store(self.store.clone())
            .definition(workflow.to_toml().expect("has a TOML form"))
            .run_id(run_id);
        self.backend
            .run_workflow(&workflow, WorkflowContext::new(), options)
            .await
            .expect("the run is kept")
    }
}

/// Sends `request` to `router`; the status and the body as JSON (`Null` when not JSON).
pub(crate) async fn send(router: &Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.clone().oneshot(request).await.expect("answers");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("a body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// `GET path` from localhost.
pub(crate) fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .header("host", "localhost:7777")
        .body(Body::empty())
        .expect("a request")
}

/// `POST path` with a JSON body, from localhost.
pub(crate) fn post_json(path: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header("host", "localhost:7777")
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .expect("a request")
}

/// A review loop: `check` sends the draft back to `revise` once.
pub(crate) const REVIEW: &str = r#"
name = "review"
[[nodes]]
id = "start"
kind = "start"
next = ["draft"]
[[nodes]]
id = "draft"
kind = "set"
config = { values = { text = "a draft" } }
next = ["check"]
[[nodes]]
id = "check"
kind = "route"
config = { on = "approved", cases = { "true" = "ok" }, default = "revise" }
routes = { ok = "publish", revise = "revise" }
[[nodes]]
id = "revise"
kind = "set"
config = { globals = { approved = true } }
next = ["check"]
[[nodes]]
id = "publish"
kind = "set"
config = { values = { published = true } }
next = ["done"]
[[nodes]]
id = "done"
kind = "end"
"#;

/// A run that stops at `approve` and waits for input.
pub(crate) const APPROVAL: &str = r#"
name = "approval"
[[nodes]]
id = "start"
kind = "start"
next = ["approve"]
[[nodes]]
id = "approve"
kind = "interrupt"
config = { prompt = "Publish this draft?" }
next = ["publish"]
[[nodes]]
id = "publish"
kind = "template"
config = { text = "approved by {{approve.by}}" }
next = ["done"]
[[nodes]]
id = "done"
kind = "end"
"#;

/// A chain of sleeping nodes: a run that takes a while.
pub(crate) fn slow_chain(nodes: usize, ms: u64) -> String {
    let mut text = String::from(
        "name = \"slow\"\n[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"s0\"]\n",
    );
    for i in 0..nodes {
        let next = if i + 1 < nodes {
            format!("s{}", i + 1)
        } else {
            "done".to_owned()
        };
        text.push_str(&format!(
            "[[nodes]]\nid = \"s{i}\"\nkind = \"sleep\"\nconfig = {{ ms = {ms} }}\nnext = [\"{next}\"]\n"
        ));
    }
    text.push_str("[[nodes]]\nid = \"done\"\nkind = \"end\"\n");
    text
}
