//! The workflow graph and its builder.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use smallvec::SmallVec;

use crate::builtin::{EndNode, StartNode};
use crate::context::NodeContext;
use crate::error::{BoxError, Error, Result};
use crate::graph::composite::{Composite, composite_for};
use crate::graph::fingerprint;
use crate::graph::id_index::IdIndex;
use crate::graph::kept_config::KeptConfig;
use crate::graph::plan::Plan;
use crate::graph::validate::{self, Problem};
use crate::node::Node;
use crate::node_id::NodeId;
use crate::node_registry::{NodeKind, NodeRegistry, RegisteredKind};
use crate::result::NodeResult;
use crate::typed::FnNode;

/// How many node executions a run may make beyond one per node, unless
/// [`WorkflowBuilder::max_steps`] sets the limit: the default limit is the number of nodes
/// plus this, so that the limit never stops a workflow without loops.
pub const DEFAULT_MAX_STEPS: usize = 10_000;

/// What part a node plays in the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeRole {
    /// Where the run begins; a workflow has exactly one.
    Start,
    /// Where a path ends; never executed.
    End,
    /// Any other node.
    Task,
}

/// One node of a workflow: its id, its code, and its outgoing edges.
///
/// ```
/// use nadoo_flow_core::NodeSpec;
/// # use nadoo_flow_core::{async_trait, BoxError, Node, NodeContext, NodeResult};
/// # #[derive(Debug)] struct Check;
/// # #[async_trait] impl Node for Check {
/// #     async fn execute(&self, _: &NodeContext) -> Result<NodeResult, BoxError> { unimplemented!() }
/// # }
///
/// let check = NodeSpec::new("check", Check)
///     .route("ok", "done")
///     .route("again", "draft")
///     .timeout(std::time::Duration::from_secs(2));
/// assert_eq!(check.routes()["ok"], "done");
/// ```
#[derive(Debug, Clone)]
pub struct NodeSpec {
    id: NodeId,
    kind: Cow<'static, str>,
    role: NodeRole,
    config: KeptConfig,
    /// Inline for the common single successor.
    next: SmallVec<[NodeId; 1]>,
    /// Routes and limits, which most nodes do not have: out of line, so that a large
    /// workflow does not carry room for them in every node.
    extras: Option<Box<Extras>>,
    node: Arc<dyn Node>,
}

/// The parts of a [`NodeSpec`] most nodes leave unset.
#[derive(Debug, Clone, Default)]
struct Extras {
    routes: BTreeMap<String, String>,
    timeout: Option<Duration>,
    retries: Option<u32>,
    /// What runs the node when its kind is made of other executions (`map`, `workflow`).
    composite: Option<Arc<dyn Composite>>,
}

/// What [`NodeSpec::routes`] shows for a node without routes.
static NO_ROUTES: BTreeMap<String, String> = BTreeMap::new();

impl NodeSpec {
    /// A task node `id` running `node`; its kind is `node.kind()` (by default the Rust type's
    /// path) and it records no configuration, so distributed backends cannot make it on their
    /// workers. For a registered kind use [`of`](Self::of) or [`from_kind`](Self::from_kind).
    pub fn new(id: impl Into<NodeId>, node: impl Node) -> Self {
        Self::from_arc(id, Arc::new(node))
    }

    /// A task node `id` running a shared node implementation.
    pub fn from_arc(id: impl Into<NodeId>, node: Arc<dyn Node>) -> Self {
        let kind = Cow::Borrowed(node.kind());
        NodeSpec {
            id: id.into(),
            kind,
            role: NodeRole::Task,
            config: KeptConfig::default(),
            next: SmallVec::new(),
            extras: None,
            node,
        }
    }

    /// Node `id` of registered kind `kind`, made from `config` (an object, or `null`).
    /// Kind `start` makes the start node and kind `end` an end node.
    ///
    /// ```
    /// use nadoo_flow_core::NodeSpec;
    /// use serde_json::json;
    ///
    /// let greet = NodeSpec::from_kind("greet", "template", json!({ "text": "hi {{name}}" }))?;
    /// assert_eq!(greet.kind(), "template");
    /// assert!(NodeSpec::from_kind("greet", "template", json!({ "txt": "hi" })).is_err());
    /// # Ok::<(), nadoo_flow_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::UnknownNodeKind`], or [`Error::InvalidNodeConfig`] naming the key.
    pub fn from_kind(id: impl Into<NodeId>, kind: &str, config: Value) -> Result<Self> {
        let registration = NodeRegistry::info(kind)?;
        let node = registration.create_from_value(&config)?;
        let role = match registration.name() {
            "start" => NodeRole::Start,
            "end" => NodeRole::End,
            _ => NodeRole::Task,
        };
        let composite = composite_for(registration.name(), &config).transpose()?;
        let mut spec = NodeSpec {
            id: id.into(),
            kind: Cow::Borrowed(registration.name()),
            role,
            config: KeptConfig::new(config),
            next: SmallVec::new(),
            extras: None,
            node,
        };
        if composite.is_some() {
            spec.extras_mut().composite = composite;
        }
        Ok(spec)
    }

    /// Node `id` of the kind `K` is registered under (`#[node("kind")]`), made from
    /// `config` (`()` for none) through the registry, as a workflow file would make it: the
    /// node records its kind and configuration, so it can run on remote workers.
    ///
    /// ```
    /// use nadoo_flow_core::{NodeSpec, builtin::Template};
    /// use serde_json::json;
    ///
    /// let greet = NodeSpec::of::<Template>("greet", json!({ "text": "hi {{name}}" }))?;
    /// assert_eq!(greet.kind(), "template");
    /// assert_eq!(greet.config()["text"], "hi {{name}}");
    /// # Ok::<(), nadoo_flow_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidNodeConfig`] naming the key, as [`from_kind`](Self::from_kind); and
    /// [`Error::UnknownNodeKind`] or [`Error::DuplicateNodeKind`] when the kind's name is
    /// not `K`'s registration alone.
    pub fn of<K: NodeKind + RegisteredKind>(
        id: impl Into<NodeId>,
        config: impl Serialize,
    ) -> Result<Self> {
        let config = serde_json::to_value(config).map_err(|e| Error::InvalidNodeConfig {
            kind: K::KIND.to_owned(),
            key: None,
            message: e.to_string(),
        })?;
        Self::from_kind(id, K::KIND, config)
    }

    /// A node `id` running an async closure, for nodes made in code: its input is read into
    /// `In`, its output written from `Out` and its error is the node's failure, as for a
    /// `#[node]` function (see there). Such a node has no registered kind: it records kind
    /// `fn:<id>`, runs on in-process backends, and distributed backends refuse it.
    ///
    /// ```
    /// use nadoo_flow_core::NodeSpec;
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize)]
    /// struct Input { text: String }
    ///
    /// let shout = NodeSpec::from_fn("shout", |input: Input| async move {
    ///     Ok::<_, std::convert::Infallible>(input.text.to_uppercase())
    /// });
    /// assert_eq!(shout.kind(), "fn:shout");
    /// ```
    pub fn from_fn<F, In, Fut, Out, E>(id: impl Into<NodeId>, function: F) -> Self
    where
        F: Fn(In) -> Fut + Send + Sync + 'static,
        In: DeserializeOwned + 'static,
        Fut: Future<Output = std::result::Result<Out, E>> + Send + 'static,
        Out: Serialize + 'static,
        E: Into<BoxError> + 'static,
    {
        let id = id.into();
        let kind: Box<str> = format!("fn:{id}").into();
        NodeSpec {
            kind: Cow::Owned(kind.to_string()),
            ..Self::new(id, FnNode::new(kind, function))
        }
    }

    /// The start node `id`.
    pub fn start(id: impl Into<NodeId>) -> Self {
        NodeSpec {
            role: NodeRole::Start,
            ..Self::new(id, StartNode)
        }
    }

    /// An end node `id`.
    pub fn end(id: impl Into<NodeId>) -> Self {
        NodeSpec {
            role: NodeRole::End,
            ..Self::new(id, EndNode)
        }
    }

    /// Adds `target` to the static successors; all successors run. Naming a successor twice
    /// adds it once.
    #[must_use]
    pub fn next(mut self, target: impl Into<NodeId>) -> Self {
        self.next.push(target.into());
        self
    }

    /// Maps route key `key` to node `target`.
    #[must_use]
    pub fn route(mut self, key: impl Into<String>, target: impl Into<String>) -> Self {
        self.extras_mut().routes.insert(key.into(), target.into());
        self
    }

    /// Limits each attempt of this node to `timeout`.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.extras_mut().timeout = Some(timeout);
        self
    }

    /// Retries this node up to `retries` times after a failure.
    #[must_use]
    pub fn retries(mut self, retries: u32) -> Self {
        self.extras_mut().retries = Some(retries);
        self
    }

    /// Records the kind name and configuration this node was made from, so that remote
    /// workers can make it again.
    #[must_use]
    pub fn with_kind(mut self, kind: impl Into<String>, config: Value) -> Self {
        self.kind = Cow::Owned(kind.into());
        self.config = KeptConfig::new(config);
        self
    }

    /// The node's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The node's id, shared.
    pub fn node_id(&self) -> &NodeId {
        &self.id
    }

    /// The node's kind name.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The node's role in the graph.
    pub fn role(&self) -> NodeRole {
        self.role
    }

    /// The configuration the node was made from (`null` for nodes made in code).
    pub fn config(&self) -> &Value {
        self.config.value()
    }

    /// The static successors.
    pub fn next_ids(&self) -> &[NodeId] {
        &self.next
    }

    /// Route keys and their targets.
    pub fn routes(&self) -> &BTreeMap<String, String> {
        self.extras
            .as_ref()
            .map_or(&NO_ROUTES, |extras| &extras.routes)
    }

    /// The per-attempt timeout, if set.
    pub fn timeout_limit(&self) -> Option<Duration> {
        self.extras.as_ref().and_then(|extras| extras.timeout)
    }

    /// The number of retries, if set.
    pub fn retry_limit(&self) -> Option<u32> {
        self.extras.as_ref().and_then(|extras| extras.retries)
    }

    /// The node's code.
    pub fn node(&self) -> &Arc<dyn Node> {
        &self.node
    }

    /// Runs the node's code here, in this process, on `context`: what a backend that runs
    /// nodes in process does. An error the code returns is the node's failure
    /// ([`NodeResult::from_outcome`]).
    pub async fn execute(&self, context: &NodeContext) -> NodeResult {
        NodeResult::from_outcome(self.node.execute(context).await)
    }

    /// What runs the node when its kind is made of other executions.
    pub(crate) fn composite(&self) -> Option<&Arc<dyn Composite>> {
        self.extras.as_deref()?.composite.as_ref()
    }

    fn extras_mut(&mut self) -> &mut Extras {
        self.extras.get_or_insert_with(Box::default)
    }
}

/// A validated workflow graph: nodes, their edges, default input and run limits.
///
/// Build one with [`Workflow::builder`]; building checks the graph and returns every problem
/// at once.
///
/// ```
/// use nadoo_flow_core::{NodeSpec, Workflow};
///
/// let workflow = Workflow::builder("hello")
///     .node(NodeSpec::start("start").next("done"))
///     .node(NodeSpec::end("done"))
///     .build()?;
/// assert_eq!(workflow.start().id(), "start");
/// # Ok::<(), nadoo_flow_core::Error>(())
/// ```
///
/// Cloning is cheap: the graph is shared, not copied, so a run can hold its own handle.
#[derive(Debug, Clone)]
pub struct Workflow {
    inner: Arc<Graph>,
}

/// The shared, immutable contents of a [`Workflow`].
#[derive(Debug)]
struct Graph {
    name: String,
    nodes: Vec<NodeSpec>,
    index: IdIndex,
    start: usize,
    input: Map<String, Value>,
    max_steps: usize,
    /// Whether `max_steps` was set rather than defaulted.
    max_steps_set: bool,
    warnings: Vec<Problem>,
    plan: Plan,
    /// Computed when first asked for: most runs never take a checkpoint.
    fingerprint: OnceLock<u64>,
}

impl Workflow {
    /// A builder for a workflow called `name`.
    pub fn builder(name: impl Into<String>) -> WorkflowBuilder {
        WorkflowBuilder {
            name: name.into(),
            nodes: Vec::new(),
            input: Map::new(),
            max_steps: None,
        }
    }

    /// The workflow's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The nodes, in the order they were added.
    pub fn nodes(&self) -> &[NodeSpec] {
        &self.inner.nodes
    }

    /// The node with id `id`.
    pub fn node(&self, id: &str) -> Option<&NodeSpec> {
        self.position(id).map(|i| &self.inner.nodes[i])
    }

    /// The position of node `id` in [`nodes`](Self::nodes).
    pub fn position(&self, id: &str) -> Option<usize> {
        self.inner.index.get(&self.inner.nodes, id)
    }

    /// The start node.
    pub fn start(&self) -> &NodeSpec {
        &self.inner.nodes[self.inner.start]
    }

    pub(crate) fn start_index(&self) -> usize {
        self.inner.start
    }

    pub(crate) fn plan(&self) -> &Plan {
        &self.inner.plan
    }

    /// Default globals, overridden by the input a run is given.
    pub fn input(&self) -> &Map<String, Value> {
        &self.inner.input
    }

    /// The limit on node executions per run: the one set with
    /// [`WorkflowBuilder::max_steps`], else the number of nodes plus [`DEFAULT_MAX_STEPS`].
    pub fn max_steps(&self) -> usize {
        self.inner.max_steps
    }

    /// The limit set with [`WorkflowBuilder::max_steps`], if one was.
    pub fn max_steps_set(&self) -> Option<usize> {
        self.inner.max_steps_set.then_some(self.inner.max_steps)
    }

    /// Whether any route leads back to an earlier node, so that nodes may run more than once.
    pub fn has_loops(&self) -> bool {
        self.inner.plan.has_loops
    }

    /// A fingerprint of the workflow's shape: its node ids, their roles and their edges
    /// (`next` and `routes`), whatever order they were written in. Node code and
    /// configuration do not count. A checkpoint carries the fingerprint of its workflow, and
    /// resuming on a workflow with another one is refused.
    ///
    /// ```
    /// use nadoo_flow_core::{NodeSpec, Workflow};
    ///
    /// let a = Workflow::builder("w")
    ///     .node(NodeSpec::start("s").next("x").next("y"))
    ///     .node(NodeSpec::end("x"))
    ///     .node(NodeSpec::end("y"))
    ///     .build()?;
    /// let b = Workflow::builder("w")
    ///     .node(NodeSpec::start("s").next("y").next("x"))
    ///     .node(NodeSpec::end("y"))
    ///     .node(NodeSpec::end("x"))
    ///     .build()?;
    /// let c = Workflow::builder("w")
    ///     .node(NodeSpec::start("s").next("x"))
    ///     .node(NodeSpec::end("x"))
    ///     .build()?;
    /// assert_eq!(a.fingerprint(), b.fingerprint());
    /// assert_ne!(a.fingerprint(), c.fingerprint());
    /// # Ok::<(), nadoo_flow_core::Error>(())
    /// ```
    pub fn fingerprint(&self) -> u64 {
        *self
            .inner
            .fingerprint
            .get_or_init(|| fingerprint::fingerprint(&self.inner.nodes))
    }

    /// Problems that do not stop the workflow from running, such as unreachable nodes.
    pub fn warnings(&self) -> &[Problem] {
        &self.inner.warnings
    }
}

/// Removes repeated ids from `ids`, keeping the first of each, in linear time.
fn dedup_in_order(ids: &mut SmallVec<[NodeId; 1]>) {
    if ids.len() < 2 {
        return;
    }
    let mut seen: rustc_hash::FxHashSet<NodeId> = rustc_hash::FxHashSet::default();
    seen.reserve(ids.len());
    ids.retain(|id| seen.insert(id.clone()));
}

/// Builds a [`Workflow`]; see there.
#[derive(Debug, Clone)]
pub struct WorkflowBuilder {
    name: String,
    nodes: Vec<NodeSpec>,
    input: Map<String, Value>,
    max_steps: Option<usize>,
}

impl WorkflowBuilder {
    /// Adds a node.
    #[must_use]
    pub fn node(mut self, node: NodeSpec) -> Self {
        self.nodes.push(node);
        self
    }

    /// Adds `nodes`, taking over their vector when no node was added before.
    #[must_use]
    pub(crate) fn with_nodes(mut self, nodes: Vec<NodeSpec>) -> Self {
        if self.nodes.is_empty() {
            self.nodes = nodes;
        } else {
            self.nodes.extend(nodes);
        }
        self
    }

    /// Sets a default global.
    #[must_use]
    pub fn input(mut self, key: impl Into<String>, value: Value) -> Self {
        self.input.insert(key.into(), value);
        self
    }

    /// Limits node executions per run, which stops runaway loops. The default is the number
    /// of nodes plus [`DEFAULT_MAX_STEPS`], so that it never stops a workflow without loops.
    #[must_use]
    pub fn max_steps(mut self, max_steps: usize) -> Self {
        self.max_steps = Some(max_steps);
        self
    }

    /// Checks the graph and builds the workflow.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidWorkflow`] with every error-level [`Problem`] found.
    pub fn build(mut self) -> Result<Workflow> {
        // The builder's vectors grew by doubling; a workflow of 10 000 nodes would otherwise
        // keep room for 16 384.
        self.nodes.shrink_to_fit();
        for node in &mut self.nodes {
            dedup_in_order(&mut node.next);
            node.next.shrink_to_fit();
        }
        let report = validate::check(&self.nodes);
        let (errors, warnings): (Vec<Problem>, Vec<Problem>) =
            report.into_iter().partition(Problem::is_error);
        if !errors.is_empty() {
            return Err(Error::InvalidWorkflow(errors));
        }
        let index = IdIndex::new(&self.nodes);
        let position = |nodes: &[NodeSpec], id: &str| index.get(nodes, id).unwrap_or(usize::MAX);
        // Successor ids share their target's id instead of each keeping a copy of the text.
        for i in 0..self.nodes.len() {
            for j in 0..self.nodes[i].next.len() {
                let target = position(&self.nodes, &self.nodes[i].next[j]);
                self.nodes[i].next[j] = self.nodes[target].id.clone();
            }
        }
        let start = self
            .nodes
            .iter()
            .position(|n| n.role == NodeRole::Start)
            .ok_or_else(|| Error::InvalidWorkflow(vec![Problem::NoStartNode]))?;
        let plan = Plan::new(&self.nodes, |id| position(&self.nodes, id), start);
        let max_steps = self
            .max_steps
            .unwrap_or_else(|| self.nodes.len().saturating_add(DEFAULT_MAX_STEPS));
        let graph = Graph {
            name: self.name,
            nodes: self.nodes,
            index,
            start,
            input: self.input,
            max_steps,
            max_steps_set: self.max_steps.is_some(),
            warnings,
            plan,
            fingerprint: OnceLock::new(),
        };
        Ok(Workflow {
            inner: Arc::new(graph),
        })
    }
}
