//! `workflow`: another workflow, run as one node.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Map as JsonMap, Value};

use crate::context::{NodeContext, WorkflowContext, WorkflowStatus};
use crate::deserialize::from_value;
use crate::error::{BoxError, Error, Result};
use crate::graph::composite::{Composite, CompositeKind, SubRuns, runs_only_in_a_run};
use crate::graph::workflow::Workflow;
use crate::node::Node;
use crate::node_registry::NodeKind;
use crate::result::NodeResult;
use crate::workflow_file::{NodeDef, WorkflowDef, includes};

/// A configuration the kind's registration accepted, read again for the composite; an
/// error names the kind and key all the same.
pub(super) fn invalid_config<T>(
    kind: &str,
    read: std::result::Result<T, crate::deserialize::Invalid>,
) -> Result<T> {
    read.map_err(|invalid| Error::InvalidNodeConfig {
        kind: kind.to_owned(),
        key: invalid.key,
        message: invalid.message,
    })
}
use crate::{async_trait, node};

/// Runs another workflow as one node: the node's input (globals and predecessors' outputs)
/// is the sub-run's globals, and its output is the sub-run's outputs by node id. Failures,
/// timeouts and retries treat the sub-run as one execution. A sub-run that interrupts
/// interrupts the node, whose output then holds the sub-run's `prompt`, the ids of its
/// `interrupted` nodes and its `state`; when the run is resumed, the sub-run goes on from that
/// state, its interrupting nodes given the resume input.
///
/// ```
/// # use nadoo_flow_native as _;
/// use nadoo_flow_core::{BackendRegistry, NodeSpec, RunOptions, Workflow, WorkflowContext};
/// use serde_json::json;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let greet = NodeSpec::from_kind("greet", "workflow", json!({
///     "nodes": [
///         { "id": "start", "kind": "start", "next": ["hello"] },
///         { "id": "hello", "kind": "template", "config": { "text": "hello, {{name}}" } },
///     ]
/// }))?;
/// let workflow = Workflow::builder("outer")
///     .node(NodeSpec::start("start").next("greet"))
///     .node(greet)
///     .input("name", json!("ada"))
///     .build()?;
/// let backend = BackendRegistry::create("native", ())?;
/// let done = backend.run_workflow(&workflow, WorkflowContext::new(), RunOptions::new()).await?;
/// assert_eq!(done.output("greet").unwrap()["hello"]["text"], "hello, ada");
/// # Ok::<(), nadoo_flow_core::Error>(())
/// # }).unwrap();
/// ```
#[node("workflow")]
#[derive(Debug, Clone)]
pub struct SubWorkflow {
    workflow: Workflow,
}

/// Configuration of [`SubWorkflow`]: a `file`, or the workflow inline (`nodes`, with an
/// optional `name`, `input` and `max_steps`, as in a workflow file).
///
/// A workflow file's `file` is relative to the file that names it; the file is read when
/// the including workflow is loaded (includes that form a cycle are refused, naming the
/// files), and the node keeps the included workflow inline, so that a stored run needs no
/// file to resume.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowConfig {
    /// The workflow file, relative to the including file (to the working directory for a
    /// node made in code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The sub-workflow's name; default: the file's stem, else `"workflow"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its step limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_steps: Option<usize>,
    /// Its default globals, under the node's input.
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub input: JsonMap<String, Value>,
    /// Its nodes, inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Vec<NodeDef>>,
}

impl WorkflowConfig {
    /// The workflow this configuration describes.
    ///
    /// # Errors
    ///
    /// As loading a workflow file, and an error when neither `file` nor `nodes` is given.
    pub fn workflow(&self) -> Result<Workflow> {
        let nodes = match (&self.nodes, &self.file) {
            (Some(nodes), _) => nodes.clone(),
            (None, Some(file)) => return includes::load_from_code(file),
            (None, None) => {
                return Err(Error::InvalidNodeConfig {
                    kind: "workflow".to_owned(),
                    key: None,
                    message: "a sub-workflow needs `file` or `nodes`".to_owned(),
                });
            }
        };
        let name = self
            .name
            .clone()
            .or_else(|| self.file.as_deref().map(includes::stem))
            .unwrap_or_else(|| "workflow".to_owned());
        let def = WorkflowDef {
            name: Some(name.clone()),
            max_steps: self.max_steps,
            input: self.input.clone(),
            nodes,
        };
        def.build(&name, "")
            .map_err(|error| Error::InvalidNodeConfig {
                kind: "workflow".to_owned(),
                key: Some("nodes".to_owned()),
                message: error.to_string(),
            })
    }
}

impl NodeKind for SubWorkflow {
    type Config = WorkflowConfig;
    fn from_config(config: WorkflowConfig) -> std::result::Result<Self, BoxError> {
        Ok(SubWorkflow {
            workflow: config.workflow()?,
        })
    }
}

#[async_trait]
impl Node for SubWorkflow {
    async fn execute(&self, _context: &NodeContext) -> std::result::Result<NodeResult, BoxError> {
        Err(runs_only_in_a_run("workflow"))
    }
}

impl Composite for SubWorkflow {
    fn run<'a>(
        &'a self,
        runs: &'a dyn SubRuns,
        context: &'a NodeContext,
    ) -> BoxFuture<'a, std::result::Result<NodeResult, BoxError>> {
        Box::pin(async move {
            let Value::Object(globals) = context.input.to_value() else {
                unreachable!("a node's input is an object")
            };
            // Resumed after the sub-run interrupted: it goes on from where it stopped.
            let stopped = context
                .resume
                .as_deref()
                .zip(context.output.as_ref().and_then(|output| output.get(STATE)));
            let done = match stopped {
                Some((input, state)) => {
                    let state: WorkflowContext =
                        serde_json::from_value(state.clone()).map_err(|e| {
                            format!("the interrupted sub-run's state is unreadable: {e}")
                        })?;
                    runs.resume(&self.workflow, state, input.clone()).await?
                }
                None => runs.run(&self.workflow, globals).await?,
            };
            outcome(self.workflow.name(), &done)
        })
    }
}

/// The node's result for a finished sub-run.
pub(super) fn outcome(
    name: &str,
    done: &WorkflowContext,
) -> std::result::Result<NodeResult, BoxError> {
    let outputs: JsonMap<String, Value> = done
        .outputs()
        .into_iter()
        .map(|(id, output)| (id.to_owned(), output.clone()))
        .collect();
    match done.status {
        WorkflowStatus::Failed => Err(format!(
            "sub-workflow `{name}` failed: {}",
            done.error.as_deref().unwrap_or("no reason given")
        )
        .into()),
        WorkflowStatus::Interrupted => {
            let interrupted: Vec<&str> = done
                .checkpoint
                .as_ref()
                .map(|c| c.interrupted().collect())
                .unwrap_or_default();
            let prompt = interrupted
                .first()
                .and_then(|id| done.output(id))
                .and_then(|output| output.get("prompt"))
                .cloned()
                .unwrap_or(Value::Null);
            let mut output = JsonMap::new();
            output.insert("prompt".to_owned(), prompt);
            output.insert("interrupted".to_owned(), interrupted.into());
            let state = serde_json::to_value(done)
                .map_err(|e| format!("the interrupted sub-run's state cannot be kept: {e}"))?;
            output.insert(STATE.to_owned(), state);
            Ok(NodeResult::ok(Value::Object(output)).interrupted())
        }
        _ => Ok(NodeResult::ok(Value::Object(outputs))),
    }
}

/// Where an interrupted node keeps its sub-run's state, to go on from it when resumed.
const STATE: &str = "state";

fn make(config: &Value) -> Result<Arc<dyn Composite>> {
    let config: WorkflowConfig = invalid_config("workflow", from_value(config))?;
    Ok(Arc::new(SubWorkflow {
        workflow: config.workflow()?,
    }))
}

#[linkme::distributed_slice(crate::graph::composite::COMPOSITE_KINDS)]
static WORKFLOW: CompositeKind = CompositeKind {
    name: "workflow",
    make,
};
