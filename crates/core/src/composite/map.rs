//! `map`: one execution per element of an array, in parallel up to a limit.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};
use serde_json::{Map as JsonMap, Value};

use super::WorkflowConfig;
use super::sub_workflow::{invalid_config, outcome};
use crate::context::{NodeContext, NodeInput};
use crate::deserialize::from_value;
use crate::error::{BoxError, Error, Result};
use crate::graph::composite::{Composite, CompositeKind, SubRuns, runs_only_in_a_run};
use crate::graph::workflow::{NodeSpec, Workflow};
use crate::node::Node;
use crate::node_registry::NodeKind;
use crate::result::NodeResult;
use crate::{async_trait, node};

/// How many elements run at once unless `max_concurrency` says otherwise.
pub const DEFAULT_MAP_CONCURRENCY: usize = 16;

/// Runs one execution per element of the array at `over` in the node's input: a node
/// (`node = { kind, config }`) or a workflow (`workflow`, a file or inline). Each execution
/// sees the element as `item` and its position as `index` in its input, beside the globals
/// and the map node's predecessors' outputs. The output is `{ "results": [...] }`, in
/// element order: each element's output (for a workflow, its outputs by node id).
///
/// A failing element (after its own retries) fails the node, naming its index; with
/// `continue_on_error = true` its result is `null` and the failure is listed under
/// `errors` (`[{ "index", "error" }]`). Every element counts as a step of the run.
///
/// ```
/// # use nadoo_flow_native as _;
/// use nadoo_flow_core::{BackendRegistry, NodeSpec, RunOptions, Workflow, WorkflowContext};
/// use serde_json::json;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let shout = NodeSpec::from_kind("shout", "map", json!({
///     "over": "words",
///     "node": { "kind": "template", "config": { "text": "{{index}}: {{item}}!" } },
/// }))?;
/// let workflow = Workflow::builder("shout")
///     .node(NodeSpec::start("start").next("shout"))
///     .node(shout)
///     .input("words", json!(["hey", "ho"]))
///     .build()?;
/// let backend = BackendRegistry::create("native", ())?;
/// let done = backend.run_workflow(&workflow, WorkflowContext::new(), RunOptions::new()).await?;
/// assert_eq!(
///     done.output("shout").unwrap()["results"],
///     json!([{ "text": "0: hey!" }, { "text": "1: ho!" }])
/// );
/// # Ok::<(), nadoo_flow_core::Error>(())
/// # }).unwrap();
/// ```
#[node("map")]
#[derive(Debug, Clone)]
pub struct Map {
    over: String,
    element: Element,
    max_concurrency: usize,
    continue_on_error: bool,
}

/// What runs for each element.
#[derive(Debug, Clone)]
enum Element {
    Node(Box<NodeSpec>),
    Workflow(Workflow),
}

/// Configuration of [`Map`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapConfig {
    /// Dotted path to the array in the node's input (`docs`, `fetch.items`).
    pub over: String,
    /// The node each element runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<ElementNode>,
    /// The workflow each element runs: a file (relative to the including file) or inline,
    /// as the `workflow` kind's configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<WorkflowConfig>,
    /// How many elements run at once; default [`DEFAULT_MAP_CONCURRENCY`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<NonZeroUsize>,
    /// Record a failing element instead of failing the node.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub continue_on_error: bool,
}

/// The node a [`Map`] runs for each element: a registered kind and its configuration, with
/// optional limits of each execution.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElementNode {
    /// The registered node kind.
    pub kind: String,
    /// Its configuration.
    #[serde(default, skip_serializing_if = "JsonMap::is_empty")]
    pub config: JsonMap<String, Value>,
    /// Time limit of each attempt of an element.
    #[serde(
        default,
        with = "humantime_serde",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
    /// Retries of a failing element.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
}

impl Map {
    fn from_map_config(config: MapConfig) -> Result<Self> {
        let invalid = |key: &str, message: String| Error::InvalidNodeConfig {
            kind: "map".to_owned(),
            key: Some(key.to_owned()),
            message,
        };
        let element = match (config.node, config.workflow) {
            (Some(node), None) => {
                let mut spec =
                    NodeSpec::from_kind("element", &node.kind, Value::Object(node.config))
                        .map_err(|e| invalid("node", e.to_string()))?;
                if let Some(timeout) = node.timeout {
                    spec = spec.timeout(timeout);
                }
                if let Some(retries) = node.retries {
                    spec = spec.retries(retries);
                }
                Element::Node(Box::new(spec))
            }
            (None, Some(workflow)) => Element::Workflow(
                workflow
                    .workflow()
                    .map_err(|e| invalid("workflow", e.to_string()))?,
            ),
            _ => {
                return Err(invalid(
                    "node",
                    "a map needs exactly one of `node` and `workflow`".to_owned(),
                ));
            }
        };
        Ok(Map {
            over: config.over,
            element,
            max_concurrency: config
                .max_concurrency
                .map_or(DEFAULT_MAP_CONCURRENCY, NonZeroUsize::get),
            continue_on_error: config.continue_on_error,
        })
    }

    /// The array the node maps over.
    fn items<'a>(&self, context: &'a NodeContext) -> std::result::Result<&'a [Value], BoxError> {
        match context.input.lookup(&self.over) {
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(format!(
                "`over = \"{}\"` is {}, not an array",
                self.over,
                kind_of(other)
            )
            .into()),
            None => {
                Err(format!("no value at `over = \"{}\"` in the node's input", self.over).into())
            }
        }
    }

    /// Runs element `index`; its output, or why it failed.
    /// Element `index`: its recorded output when a durable run has one (from before a crash,
    /// or an earlier attempt), else its execution, recorded once it succeeds.
    async fn journaled_element(
        &self,
        runs: &dyn SubRuns,
        context: &NodeContext,
        index: usize,
        item: &Value,
    ) -> std::result::Result<Value, String> {
        let key = u32::try_from(index).map_err(|_| "more elements than a run can journal")?;
        if let Some(output) = runs.recorded(key) {
            return Ok(output);
        }
        let started = std::time::Instant::now();
        let output = self.element(runs, context, index, item).await?;
        runs.record(key, &output, started.elapsed()).await?;
        Ok(output)
    }

    async fn element(
        &self,
        runs: &dyn SubRuns,
        context: &NodeContext,
        index: usize,
        item: &Value,
    ) -> std::result::Result<Value, String> {
        let mut globals = (*context.input.globals).clone();
        globals.insert("item".to_owned(), item.clone());
        globals.insert("index".to_owned(), index.into());
        match &self.element {
            Element::Node(spec) => {
                let input = NodeInput {
                    globals: Arc::new(globals),
                    outputs: context.input.outputs.clone(),
                };
                let mut element = NodeContext::new(format!("{}[{index}]", context.node_id), input);
                element.iteration = context.iteration;
                element.run_id.clone_from(&context.run_id);
                let result = runs.execute(spec, element).await?;
                if result.is_interrupt() {
                    return Err("an element cannot interrupt the run".to_owned());
                }
                Ok(result.into_output())
            }
            Element::Workflow(workflow) => {
                for (id, output) in context.input.outputs.iter() {
                    globals.insert(id.to_string(), output.clone());
                }
                let done = runs
                    .run(workflow, globals)
                    .await
                    .map_err(|e| e.to_string())?;
                match outcome(workflow.name(), &done) {
                    Ok(result) if result.is_interrupt() => {
                        Err("an element cannot interrupt the run".to_owned())
                    }
                    Ok(result) => Ok(result.into_output()),
                    Err(error) => Err(error.to_string()),
                }
            }
        }
    }
}

/// A JSON value's type, as an error names it.
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl NodeKind for Map {
    type Config = MapConfig;
    fn from_config(config: MapConfig) -> std::result::Result<Self, BoxError> {
        Ok(Map::from_map_config(config)?)
    }
}

#[async_trait]
impl Node for Map {
    async fn execute(&self, _context: &NodeContext) -> std::result::Result<NodeResult, BoxError> {
        Err(runs_only_in_a_run("map"))
    }
}

impl Composite for Map {
    fn run<'a>(
        &'a self,
        runs: &'a dyn SubRuns,
        context: &'a NodeContext,
    ) -> BoxFuture<'a, std::result::Result<NodeResult, BoxError>> {
        Box::pin(async move {
            let items = self.items(context)?;
            // By index: a closure over borrowed elements would not be `Send` for every
            // lifetime the stream asks of it.
            let executions = stream::iter(0..items.len())
                .map(|index| async move {
                    (
                        index,
                        self.journaled_element(runs, context, index, &items[index])
                            .await,
                    )
                })
                .buffered(self.max_concurrency);
            let mut output = JsonMap::new();
            if self.continue_on_error {
                let mut results = Vec::with_capacity(items.len());
                let mut errors = Vec::new();
                let mut executions = std::pin::pin!(executions);
                while let Some((index, done)) = executions.next().await {
                    match done {
                        Ok(value) => results.push(value),
                        Err(error) => {
                            results.push(Value::Null);
                            let mut failure = JsonMap::new();
                            failure.insert("index".to_owned(), index.into());
                            failure.insert("error".to_owned(), error.into());
                            errors.push(Value::Object(failure));
                        }
                    }
                }
                output.insert("results".to_owned(), results.into());
                output.insert("errors".to_owned(), errors.into());
            } else {
                let results: Vec<Value> = executions
                    .map(|(index, done)| {
                        done.map_err(|error| format!("element {index} failed: {error}"))
                    })
                    .try_collect()
                    .await?;
                output.insert("results".to_owned(), results.into());
            }
            Ok(NodeResult::ok(Value::Object(output)))
        })
    }
}

fn make(config: &Value) -> Result<Arc<dyn Composite>> {
    let config: MapConfig = invalid_config("map", from_value(config))?;
    Ok(Arc::new(Map::from_map_config(config)?))
}

#[linkme::distributed_slice(crate::graph::composite::COMPOSITE_KINDS)]
static MAP: CompositeKind = CompositeKind { name: "map", make };
