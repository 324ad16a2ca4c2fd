//! The shared scheduler: runs a workflow on any backend through its `execute_node`.
//!
//! Every backend's [`execute_workflow`](crate::Backend::execute_workflow) comes here by
//! default, so routing, joins, loops, limits, retries, interrupts and events behave the same
//! on `native` as on a distributed backend. What differs is only where `execute_node` runs
//! the node.
//!
//! # Semantics
//!
//! - All static successors (`next`) of a node run, concurrently, at most `max_workers` at a
//!   time. A node whose predecessors run concurrently (a join) runs once, when each of its
//!   incoming edges is resolved: taken, or skipped because its source took another route or
//!   was itself skipped. It sees the outputs of the predecessors that led to it.
//! - A route key selects one route target; an explicit next override wins over static
//!   successors. Routes may loop back; every node execution counts toward the workflow's
//!   `max_steps`.
//! - Globals are shared by reference; nodes write them only through their results. When two
//!   writes of one key race, the deterministic winner is the node in the later loop
//!   iteration, then the node later in the workflow's topological order.
//! - A failing node (after its retries) or a panicking one fails the run at once: in-flight
//!   nodes are dropped and recorded as cancelled. An interrupting node stops new nodes from
//!   starting; once the in-flight ones finish, the run ends as `interrupted` with a
//!   [`Checkpoint`] from which [`Backend::resume`] continues.

mod attempt;
mod checkpoint;
mod events;
mod options;
mod tasks;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde_json::{Map, Value};
use smallvec::SmallVec;
use tokio::sync::mpsc::UnboundedSender;

pub use self::checkpoint::Checkpoint;
pub use self::events::RunEvent;
pub use self::options::{
    DEFAULT_RETRY_BACKOFF, DEFAULT_WORKERS_PER_CPU, ExecutionOptions, MAX_RETRY_BACKOFF,
    RunOptions, default_max_workers,
};

use self::attempt::{Call, Limits, Outcome, send};
use self::checkpoint::{JoinState, PendingNode};
use self::tasks::{Finished, Spawn, Tasks};
use crate::backend::Backend;
use crate::context::{
    NodeContext, NodeInput, NodeStatus, Outputs, WorkflowContext, WorkflowStatus,
};
use crate::error::{Error, Result};
use crate::node_id::NodeId;
use crate::plan::{EdgeKind, EdgeSource, Plan};
use crate::result::NodeResult;
use crate::workflow::{NodeRole, NodeSpec, Workflow};
use rustc_hash::FxHashMap;

/// Runs `workflow` on `backend` and returns the finished context.
///
/// A context with a [`Checkpoint`] (from an interrupted run) is resumed: the interrupted nodes
/// run again, seeing `options`' resume input, and the run goes on from where it stopped.
///
/// # Errors
///
/// [`Error::InvalidCheckpoint`] when the context's checkpoint belongs to another workflow.
/// A failing node is not an error: the run ends with status `failed`.
pub async fn run<B: Backend + ?Sized>(
    backend: &B,
    workflow: &Workflow,
    context: WorkflowContext,
    options: RunOptions,
) -> Result<WorkflowContext> {
    drive(backend, workflow, context, options, |_, _| None).await
}

/// [`run`] for a backend that runs nodes in this process, such as `native`: the scheduler
/// calls each node's [`Node::execute`](crate::Node::execute) itself, as such a backend's
/// `execute_node` would (an `Err` becomes the node's failure), instead of going through
/// `execute_node`. A node that runs alone runs inline; the nodes that run beside others go to
/// a pool of at most `max_workers` tokio tasks, so that CPU-bound nodes use every core. Those
/// see [`NodeContext::has_own_task`].
///
/// Needs a tokio runtime.
///
/// # Errors
///
/// As [`run`].
pub async fn run_on_tasks<B: Backend + Clone + 'static>(
    backend: &B,
    workflow: &Workflow,
    context: WorkflowContext,
    options: RunOptions,
) -> Result<WorkflowContext> {
    drive(backend, workflow, context, options, |header, events| {
        Some(tasks::spawner(backend, workflow, header, events))
    })
    .await
}

/// Where the nodes that run concurrently with others are while they run.
enum InFlight<F> {
    /// Futures of the scheduler's own task.
    Here(FuturesUnordered<F>),
    /// Tasks of their own.
    Tasks(Tasks),
}

impl<F: std::future::Future<Output = Finished>> InFlight<F> {
    fn len(&self) -> usize {
        match self {
            InFlight::Here(futures) => futures.len(),
            InFlight::Tasks(tasks) => tasks.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    async fn next(&mut self) -> Option<Finished> {
        match self {
            InFlight::Here(futures) => futures.next().await,
            InFlight::Tasks(tasks) => tasks.next().await,
        }
    }
}

/// Takes back the nodes handed to runner tasks that have not started, once the run stops:
/// they go back to the ready queue (and so into an interrupted run's checkpoint), and are
/// not recorded as cancelled when the run fails.
fn recall<F>(in_flight: &mut InFlight<F>, state: &mut State<'_>) {
    if let InFlight::Tasks(tasks) = in_flight {
        for (index, epoch, node_ctx) in tasks.recall().into_iter().rev() {
            state.unlaunch(index, epoch, node_ctx);
        }
    }
}

/// The scheduler's loop; `spawner` says whether concurrent nodes get tasks of their own, and
/// with them whether nodes are called directly.
async fn drive<B: Backend + ?Sized>(
    backend: &B,
    workflow: &Workflow,
    context: WorkflowContext,
    options: RunOptions,
    spawner: impl FnOnce(Arc<WorkflowContext>, Option<UnboundedSender<RunEvent>>) -> Option<Spawn>,
) -> Result<WorkflowContext> {
    let limits = options.resolve(backend.execution_options());
    let events = options.events.as_ref();
    let mut state = State::new(workflow, context, options.events.clone());
    state.debug = limits.debug;
    match state.ctx.checkpoint.take() {
        Some(checkpoint) => state.restore(checkpoint, options.resume.clone())?,
        None => state.begin(),
    }
    state.ctx.status = WorkflowStatus::Running;
    state.ctx.error = None;

    // What `execute_node` sees of the run: its id and the globals it started with.
    let header = Arc::new(WorkflowContext {
        workflow_id: state.ctx.workflow_id.clone(),
        globals: Arc::clone(&state.ctx.globals),
        node_contexts: Default::default(),
        execution_path: Vec::new(),
        status: WorkflowStatus::Running,
        error: None,
        checkpoint: None,
    });
    let cancel = options.cancel.clone();
    let max_workers = limits.max_workers.get();

    // How many nodes may be handed over at once. Futures of this task all run; of the nodes
    // handed to runner tasks at most `max_workers` run (there are no more runners), and as
    // many again wait in their queue, so that a runner done with one node finds the next
    // instead of sleeping until this task has seen the result.
    let (mut in_flight, how, handed_over) =
        match spawner(Arc::clone(&header), options.events.clone()) {
            Some(spawn) => (
                InFlight::Tasks(Tasks::new(spawn, max_workers)),
                Call::Direct,
                max_workers.saturating_mul(2),
            ),
            None => (
                InFlight::Here(FuturesUnordered::new()),
                Call::Backend,
                max_workers,
            ),
        };
    let header = &*header;
    let failure: Option<String> = 'run: loop {
        while !state.stopping && in_flight.len() < handed_over {
            let Some(activation) = state.next_ready() else {
                break;
            };
            let index = activation.node;
            let spec = &workflow.nodes()[index];
            if spec.role() == NodeRole::End {
                continue;
            }
            if state.steps >= workflow.max_steps() {
                break 'run Some(format!(
                    "workflow exceeded max_steps: {} node executions; a route loop may never end",
                    workflow.max_steps()
                ));
            }
            state.steps += 1;
            let epoch = activation.epoch;
            let concurrent = !in_flight.is_empty() || !state.ready.is_empty();
            let mut node_ctx = state.node_context(activation, concurrent);
            state.running[index] = true;
            let node_limits = Limits {
                timeout: spec.timeout_limit().or(limits.timeout),
                max_retries: spec.retry_limit().unwrap_or(limits.max_retries),
                retry_backoff: limits.retry_backoff,
            };
            if !concurrent {
                // The only node that can run now: a linear segment runs inline, without the
                // bookkeeping of concurrent execution.
                let execution = attempt::execute(
                    backend,
                    how,
                    spec,
                    header,
                    &mut node_ctx,
                    node_limits,
                    events,
                );
                let (outcome, duration) = match &cancel {
                    None => execution.await,
                    Some(token) => tokio::select! {
                        biased;
                        () = token.cancelled() => break 'run Some("run cancelled".to_owned()),
                        done = execution => done,
                    },
                };
                if let Err(reason) = state.finish(index, epoch, node_ctx, outcome, duration) {
                    break 'run Some(reason);
                }
                continue;
            }
            match &mut in_flight {
                InFlight::Here(futures) => futures.push(async move {
                    let mut node_ctx = node_ctx;
                    let (outcome, duration) = attempt::execute(
                        backend,
                        how,
                        spec,
                        header,
                        &mut node_ctx,
                        node_limits,
                        events,
                    )
                    .await;
                    (index, epoch, (node_ctx, outcome, duration))
                }),
                InFlight::Tasks(tasks) => {
                    node_ctx.set_own_task();
                    tasks.launch(index, epoch, node_ctx, node_limits);
                }
            }
        }
        if in_flight.is_empty() {
            if !state.stopping && (!state.ready.is_empty() || state.flush_deferred()) {
                continue;
            }
            break None;
        }
        let next = match &cancel {
            None => in_flight.next().await,
            Some(token) => tokio::select! {
                biased;
                () = token.cancelled() => break Some("run cancelled".to_owned()),
                next = in_flight.next() => next,
            },
        };
        let Some((index, epoch, (node_ctx, outcome, duration))) = next else {
            continue;
        };
        let finished = state.finish(index, epoch, node_ctx, outcome, duration);
        if finished.is_err() || state.stopping {
            recall(&mut in_flight, &mut state);
        }
        if let Err(reason) = finished {
            break Some(reason);
        }
    };
    recall(&mut in_flight, &mut state);
    drop(in_flight);

    match failure {
        Some(reason) => {
            state.cancel_running(&reason);
            state.ctx.status = WorkflowStatus::Failed;
            state.ctx.error = Some(reason);
        }
        None if state.stopping => {
            state.ctx.checkpoint = Some(state.checkpoint());
            state.ctx.status = WorkflowStatus::Interrupted;
        }
        None => state.ctx.status = WorkflowStatus::Success,
    }
    send(events, || RunEvent::WorkflowFinished {
        status: state.ctx.status,
        error: state.ctx.error.clone(),
    });
    Ok(state.ctx)
}

/// A node about to run, with the outputs that activated it.
#[derive(Debug)]
struct Activation {
    node: usize,
    /// The outputs that activate it, as the node will see them.
    inputs: Outputs,
    epoch: u32,
    resume: Option<Box<Value>>,
}

/// A node waiting for its incoming edges to resolve.
#[derive(Debug, Default)]
struct Join {
    resolved: u32,
    /// One entry per source of the join (`Plan::join_sources`, in id order): the source's id
    /// and, once `filled`, its output. The filled entries become the node's inputs where they
    /// are, without another copy of ten thousand outputs.
    slots: Vec<(NodeId, Value)>,
    filled: Vec<bool>,
    epoch: u32,
}

impl Join {
    /// Puts the output of the source at `slot` among `sources` (a later output of the same
    /// source replaces the earlier one).
    fn put(&mut self, nodes: &[NodeSpec], sources: &[u32], slot: usize, output: Value) {
        if self.slots.is_empty() {
            self.slots = sources
                .iter()
                .map(|&from| (nodes[from as usize].node_id().clone(), Value::Null))
                .collect();
            self.filled = vec![false; sources.len()];
        }
        self.slots[slot].1 = output;
        self.filled[slot] = true;
    }

    /// Whether no source handed an output.
    fn is_empty(&self) -> bool {
        !self.filled.iter().any(|&filled| filled)
    }

    /// The outputs received, in id order.
    fn into_inputs(self) -> Outputs {
        let mut filled = self.filled.into_iter();
        let mut slots = self.slots;
        slots.retain(|_| filled.next().unwrap_or(false));
        if slots.len() < slots.capacity() / 2 {
            slots.shrink_to_fit();
        }
        Outputs::from_sorted_vec(slots)
    }
}

/// Which outgoing edges a finished node takes.
#[derive(Debug, Clone, Copy)]
enum Selection {
    /// Every `next` edge.
    AllNext,
    /// This one edge.
    Edge(usize),
    /// No static edge: start this node directly.
    Direct(usize),
}

/// One edge to skip; `forced` skips a loop exit now instead of holding it back.
#[derive(Debug, Clone, Copy)]
struct SkipEdge {
    from: usize,
    edge: usize,
    forced: bool,
}

/// The mutable state of a run, owned by the scheduler's loop.
struct State<'w> {
    workflow: &'w Workflow,
    plan: &'w Plan,
    ctx: WorkflowContext,
    /// Nodes with some but not all incoming edges resolved; most nodes are never here.
    joins: FxHashMap<usize, Join>,
    fired: Vec<bool>,
    ready: VecDeque<Activation>,
    deferred: BTreeSet<(usize, usize)>,
    stamps: HashMap<String, (u32, u32)>,
    steps: usize,
    /// Which nodes are running now.
    running: Vec<bool>,
    interrupted: Vec<(usize, Outputs, u32)>,
    stopping: bool,
    events: Option<UnboundedSender<RunEvent>>,
    /// Log every node execution at `info` level.
    debug: bool,
}

impl<'w> State<'w> {
    fn new(
        workflow: &'w Workflow,
        mut ctx: WorkflowContext,
        events: Option<UnboundedSender<RunEvent>>,
    ) -> Self {
        if !workflow.input().is_empty() {
            let globals = Arc::make_mut(&mut ctx.globals);
            for (key, value) in workflow.input() {
                globals.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        let n = workflow.nodes().len();
        ctx.node_contexts.reserve(n);
        ctx.execution_path.reserve(n);
        State {
            workflow,
            plan: workflow.plan(),
            ctx,
            joins: FxHashMap::default(),
            fired: vec![false; n],
            ready: VecDeque::new(),
            deferred: BTreeSet::new(),
            stamps: HashMap::new(),
            steps: 0,
            running: vec![false; n],
            interrupted: Vec::new(),
            stopping: false,
            events,
            debug: false,
        }
    }

    fn begin(&mut self) {
        let start = self.workflow.start_index();
        self.fired[start] = true;
        self.ready.push_back(Activation {
            node: start,
            inputs: Outputs::new(),
            epoch: 0,
            resume: None,
        });
    }

    /// Puts back a node that was launched but never started, at the head of the queue.
    fn unlaunch(&mut self, index: usize, epoch: u32, node_ctx: NodeContext) {
        self.steps -= 1;
        self.running[index] = false;
        self.ready.push_front(Activation {
            node: index,
            inputs: node_ctx.input.outputs,
            epoch,
            resume: node_ctx.resume,
        });
    }

    /// The next node to run; a queue that held a wide fan-out gives its room back once it
    /// runs dry, for the rest of the run to use.
    fn next_ready(&mut self) -> Option<Activation> {
        let next = self.ready.pop_front();
        if next.is_none() && self.ready.capacity() > 1024 {
            self.ready = VecDeque::new();
        }
        next
    }

    fn id(&self, index: usize) -> &'w str {
        self.workflow.nodes()[index].id()
    }

    fn index(&self, id: &str) -> Result<usize> {
        self.workflow
            .position(id)
            .ok_or_else(|| Error::InvalidCheckpoint {
                workflow: self.workflow.name().to_owned(),
                reason: format!("it names node `{id}`, which this workflow does not have"),
            })
    }

    fn node_context(&self, activation: Activation, concurrent: bool) -> NodeContext {
        let mut input = NodeInput::new(Arc::clone(&self.ctx.globals));
        input.outputs = activation.inputs;
        let mut node_ctx =
            NodeContext::new(self.workflow.nodes()[activation.node].node_id(), input);
        node_ctx.status = NodeStatus::Running;
        node_ctx.resume = activation.resume;
        node_ctx.set_concurrent(concurrent);
        node_ctx
    }

    fn emit(&self, make: impl FnOnce() -> RunEvent) {
        send(self.events.as_ref(), make);
    }

    /// Records a finished node and activates what follows it. `Err` fails the run.
    fn finish(
        &mut self,
        index: usize,
        epoch: u32,
        mut node_ctx: NodeContext,
        outcome: Outcome,
        duration: std::time::Duration,
    ) -> Result<(), String> {
        self.running[index] = false;
        node_ctx.duration = Some(duration);
        let result = match outcome {
            Outcome::Failed(reason) | Outcome::Panicked(reason) => {
                return Err(self.record_failure(node_ctx, reason));
            }
            Outcome::Done(result) => result,
        };
        let NodeResult {
            output,
            route,
            next,
            interrupt,
            globals,
            metadata,
            ..
        } = result;
        node_ctx.metadata = metadata;
        self.apply_globals(globals, (epoch, self.plan.rank[index]));

        if interrupt {
            node_ctx.status = NodeStatus::Interrupted;
            node_ctx.output = Some(output);
            let inputs = node_ctx.input.outputs.clone();
            self.record(node_ctx, duration);
            self.interrupted.push((index, inputs, epoch));
            self.stopping = true;
            return Ok(());
        }

        let selection = match self.select(index, route.as_deref(), next.as_deref()) {
            Ok(selection) => selection,
            Err(reason) => return Err(self.record_failure(node_ctx, reason)),
        };
        node_ctx.status = NodeStatus::Success;
        node_ctx.output = Some(output.clone());
        self.record(node_ctx, duration);

        let mut taken: SmallVec<[usize; 2]> = SmallVec::new();
        let mut skipped = Vec::new();
        for (edge, e) in self.plan.out[index].iter().enumerate() {
            let chosen = match selection {
                Selection::AllNext => e.source == EdgeSource::Next,
                Selection::Edge(chosen) => chosen == edge,
                Selection::Direct(_) => false,
            };
            if chosen {
                taken.push(edge);
            } else {
                skipped.push(SkipEdge {
                    from: index,
                    edge,
                    forced: false,
                });
            }
        }
        // Every taken edge hands on the output; the last one gets it without a copy.
        // A wide fan-out gets the room it needs at once instead of doubling up to it; small
        // ones grow as usual.
        let spare = self.ready.capacity() - self.ready.len();
        if taken.len() >= 64 && spare < taken.len() {
            self.ready.reserve_exact(taken.len().max(self.ready.len()));
        }
        let mut output = Some(output);
        for (i, &edge) in taken.iter().enumerate() {
            let handed = if i + 1 == taken.len() {
                output.take()
            } else {
                output.clone()
            };
            if let Some(handed) = handed {
                self.take(index, edge, handed, epoch);
            }
        }
        self.skip(skipped, epoch);
        if let (Selection::Direct(target), Some(output)) = (selection, output) {
            self.ready.push_back(Activation {
                node: target,
                inputs: self.one_input(index, output),
                epoch: epoch + 1,
                resume: None,
            });
        }
        Ok(())
    }

    /// Records a node that failed for good, and returns the run's failure reason.
    fn record_failure(&mut self, mut node_ctx: NodeContext, reason: String) -> String {
        let id = node_ctx.node_id.clone();
        node_ctx.status = NodeStatus::Failed;
        node_ctx.error = Some(reason.clone());
        if self.debug {
            tracing::info!(
                target: "nadoo_flow::backend",
                workflow = %self.ctx.workflow_id,
                node = %id,
                attempt = node_ctx.attempt,
                error = %reason,
                "node failed"
            );
        }
        self.emit(|| RunEvent::NodeFailed {
            node: id.clone(),
            error: reason.clone(),
        });
        self.ctx.execution_path.push(id.clone());
        self.ctx.node_contexts.insert(id.clone(), node_ctx);
        format!("node `{id}` failed: {reason}")
    }

    /// Records a node that finished with success or by interrupting.
    fn record(&mut self, node_ctx: NodeContext, duration: std::time::Duration) {
        let id = node_ctx.node_id.clone();
        if self.debug {
            tracing::info!(
                target: "nadoo_flow::backend",
                workflow = %self.ctx.workflow_id,
                node = %id,
                attempt = node_ctx.attempt,
                status = ?node_ctx.status,
                duration_us = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX),
                "node finished"
            );
        }
        self.emit(|| RunEvent::NodeFinished {
            node: id.clone(),
            status: node_ctx.status,
            duration,
        });
        self.ctx.execution_path.push(id.clone());
        self.ctx.node_contexts.insert(id, node_ctx);
    }

    /// Which edges node `index` takes after returning `route` and `next`.
    fn select(
        &self,
        index: usize,
        route: Option<&str>,
        next: Option<&str>,
    ) -> Result<Selection, String> {
        let spec = &self.workflow.nodes()[index];
        let out = &self.plan.out[index];
        if let Some(key) = route
            && !spec.routes().is_empty()
        {
            let position = spec.routes().keys().position(|k| k == key);
            let routed = |e: &crate::plan::Edge| {
                position.is_some_and(|p| e.source == EdgeSource::Route(p as u32))
            };
            return out
                .iter()
                .position(routed)
                .map(Selection::Edge)
                .ok_or_else(|| {
                    let keys: Vec<&str> = spec.routes().keys().map(String::as_str).collect();
                    format!(
                        "returned route `{key}`, which has no target (routes: {})",
                        keys.join(", ")
                    )
                });
        }
        if let Some(target) = next {
            let target = self
                .workflow
                .position(target)
                .ok_or_else(|| format!("chose next node `{target}`, which is not a node"))?;
            let edge = out
                .iter()
                .position(|e| e.to == target && e.source == EdgeSource::Next)
                .or_else(|| out.iter().position(|e| e.to == target));
            return Ok(edge.map_or(Selection::Direct(target), Selection::Edge));
        }
        Ok(Selection::AllNext)
    }

    /// Applies global writes stamped (iteration, rank); an older stamp never overwrites a
    /// newer one.
    fn apply_globals(&mut self, writes: Map<String, Value>, stamp: (u32, u32)) {
        if writes.is_empty() {
            return;
        }
        let globals = Arc::make_mut(&mut self.ctx.globals);
        for (key, value) in writes {
            if self.stamps.get(&key).is_some_and(|&s| s > stamp) {
                continue;
            }
            self.stamps.insert(key.clone(), stamp);
            globals.insert(key, value);
        }
    }

    /// Takes edge `edge` of node `from`, handing its target `output`.
    fn take(&mut self, from: usize, edge: usize, output: Value, epoch: u32) {
        self.deferred.remove(&(from, edge));
        let e = &self.plan.out[from][edge];
        match e.kind {
            EdgeKind::Back => self.ready.push_back(Activation {
                node: e.to,
                inputs: self.one_input(from, output),
                epoch: epoch + 1,
                resume: None,
            }),
            EdgeKind::Forward => {
                let skipped = self.resolve(e.to, Some((from, e.slot, output)), epoch);
                debug_assert!(!skipped, "a node with an input is never skipped");
            }
        }
    }

    /// Skips edges, and the nodes left with no taken incoming edge, transitively.
    fn skip(&mut self, mut work: Vec<SkipEdge>, epoch: u32) {
        while let Some(SkipEdge { from, edge, forced }) = work.pop() {
            let e = &self.plan.out[from][edge];
            let to = e.to;
            match e.kind {
                EdgeKind::Back => {}
                EdgeKind::Forward if e.loop_exit && !forced => {
                    self.deferred.insert((from, edge));
                }
                EdgeKind::Forward => {
                    if self.resolve(to, None, epoch) {
                        self.record_skip(to);
                        work.extend((0..self.plan.out[to].len()).map(|edge| SkipEdge {
                            from: to,
                            edge,
                            forced: false,
                        }));
                    }
                }
            }
        }
    }

    /// Resolves one incoming edge of `node`, taken with `(source, slot, output)` or skipped
    /// (`None`). When it was the last one, the node becomes ready (some edge was taken) or is
    /// skipped (returns `true`).
    fn resolve(&mut self, node: usize, input: Option<(usize, u32, Value)>, epoch: u32) -> bool {
        let expected = if self.fired[node] && self.plan.in_loop[node] {
            self.plan.loop_joins[node]
        } else {
            self.plan.joins[node]
        };
        if expected <= 1 && !self.joins.contains_key(&node) {
            // One edge decides alone: no join state.
            self.fired[node] = true;
            let Some((from, _, output)) = input else {
                return true;
            };
            self.ready.push_back(Activation {
                node,
                inputs: self.one_input(from, output),
                epoch,
                resume: None,
            });
            return false;
        }
        let join = self.joins.entry(node).or_default();
        join.resolved += 1;
        join.epoch = join.epoch.max(epoch);
        if let Some((_, slot, output)) = input {
            let sources = self.plan.join_sources(node);
            join.put(self.workflow.nodes(), sources, slot as usize, output);
        }
        if join.resolved < expected {
            return false;
        }
        let join = self.joins.remove(&node).unwrap_or_default();
        self.fired[node] = true;
        if join.is_empty() {
            return true;
        }
        let epoch = join.epoch;
        self.ready.push_back(Activation {
            node,
            inputs: join.into_inputs(),
            epoch,
            resume: None,
        });
        false
    }

    /// The inputs of a node activated by node `from` alone.
    fn one_input(&self, from: usize, output: Value) -> Outputs {
        Outputs::one(self.workflow.nodes()[from].node_id().clone(), output)
    }

    /// Records that `node` does not run in this pass. A node that ran in an earlier pass of a
    /// loop keeps the record of that run, and no event is sent for it.
    fn record_skip(&mut self, node: usize) {
        let spec = &self.workflow.nodes()[node];
        if spec.role() == NodeRole::End || self.ctx.node_contexts.contains_key(spec.id()) {
            return;
        }
        let mut node_ctx = NodeContext::new(
            spec.node_id(),
            NodeInput::new(Arc::clone(&self.ctx.globals)),
        );
        node_ctx.status = NodeStatus::Skipped;
        self.emit(|| RunEvent::NodeSkipped {
            node: spec.node_id().clone(),
        });
        self.ctx
            .node_contexts
            .insert(spec.node_id().clone(), node_ctx);
    }

    /// Skips the loop exits held back so far; returns whether there were any.
    fn flush_deferred(&mut self) -> bool {
        if self.deferred.is_empty() {
            return false;
        }
        let work = std::mem::take(&mut self.deferred)
            .into_iter()
            .map(|(from, edge)| SkipEdge {
                from,
                edge,
                forced: true,
            })
            .collect();
        self.skip(work, 0);
        true
    }

    /// Records the nodes that were running when the run failed or was cancelled.
    fn cancel_running(&mut self, reason: &str) {
        let error = format!("cancelled: {reason}");
        let running: Vec<usize> = (0..self.running.len())
            .filter(|&i| std::mem::take(&mut self.running[i]))
            .collect();
        for index in running {
            let id = self.workflow.nodes()[index].node_id();
            let mut node_ctx = NodeContext::new(id, NodeInput::new(Arc::clone(&self.ctx.globals)));
            node_ctx.status = NodeStatus::Failed;
            node_ctx.error = Some(error.clone());
            self.emit(|| RunEvent::NodeFailed {
                node: id.clone(),
                error: error.clone(),
            });
            self.ctx.node_contexts.insert(id.clone(), node_ctx);
        }
    }

    /// The state of an interrupted run.
    fn checkpoint(&mut self) -> Checkpoint {
        let named = |inputs: Outputs| -> BTreeMap<String, Value> {
            inputs
                .into_iter()
                .map(|(id, output)| (id.to_string(), output))
                .collect()
        };
        let interrupted = std::mem::take(&mut self.interrupted)
            .into_iter()
            .map(|(node, inputs, epoch)| PendingNode {
                node: self.id(node).to_owned(),
                inputs: named(inputs),
                epoch,
            })
            .collect();
        let ready = std::mem::take(&mut self.ready)
            .into_iter()
            .map(|a| PendingNode {
                node: self.id(a.node).to_owned(),
                inputs: named(a.inputs),
                epoch: a.epoch,
            })
            .collect();
        let mut pending: Vec<(usize, Join)> = std::mem::take(&mut self.joins).into_iter().collect();
        pending.sort_by_key(|(node, _)| *node);
        let mut joins = Vec::new();
        for (node, join) in pending {
            {
                joins.push(JoinState {
                    node: self.id(node).to_owned(),
                    resolved: join.resolved,
                    epoch: join.epoch,
                    inputs: named(join.into_inputs()),
                });
            }
        }
        Checkpoint {
            workflow: self.workflow.name().to_owned(),
            node_ids: self
                .workflow
                .nodes()
                .iter()
                .map(|n| n.id().to_owned())
                .collect(),
            interrupted,
            ready,
            joins,
            deferred: self
                .deferred
                .iter()
                .map(|&(from, edge)| (self.id(from).to_owned(), edge))
                .collect(),
            fired: (0..self.fired.len())
                .filter(|&n| self.fired[n])
                .map(|n| self.id(n).to_owned())
                .collect(),
            stamps: self.stamps.drain().collect(),
            steps: self.steps,
        }
    }

    /// Restores an interrupted run; the interrupted nodes run first, with `resume`.
    fn restore(&mut self, checkpoint: Checkpoint, resume: Option<Value>) -> Result<()> {
        let ids: Vec<&str> = self.workflow.nodes().iter().map(|n| n.id()).collect();
        if checkpoint.workflow != self.workflow.name() || checkpoint.node_ids != ids {
            return Err(Error::InvalidCheckpoint {
                workflow: self.workflow.name().to_owned(),
                reason: format!(
                    "it was taken on workflow `{}` with other nodes",
                    checkpoint.workflow
                ),
            });
        }
        // In id order, as a map's keys come.
        let indexed = |state: &Self, inputs: BTreeMap<String, Value>| -> Result<Outputs> {
            let nodes = state.workflow.nodes();
            let entries = inputs
                .into_iter()
                .map(|(id, output)| Ok((nodes[state.index(&id)?].node_id().clone(), output)))
                .collect::<Result<Vec<_>>>()?;
            Ok(Outputs::from_sorted_vec(entries))
        };
        for pending in checkpoint.interrupted {
            let activation = Activation {
                node: self.index(&pending.node)?,
                inputs: indexed(self, pending.inputs)?,
                epoch: pending.epoch,
                resume: resume.clone().map(Box::new),
            };
            self.ready.push_back(activation);
        }
        for pending in checkpoint.ready {
            let activation = Activation {
                node: self.index(&pending.node)?,
                inputs: indexed(self, pending.inputs)?,
                epoch: pending.epoch,
                resume: None,
            };
            self.ready.push_back(activation);
        }
        for join in checkpoint.joins {
            let node = self.index(&join.node)?;
            let sources = self.plan.join_sources(node);
            let mut restored = Join {
                resolved: join.resolved,
                epoch: join.epoch,
                ..Join::default()
            };
            for (id, output) in join.inputs {
                let slot = sources
                    .binary_search_by(|&from| self.id(from as usize).cmp(id.as_str()))
                    .map_err(|_| Error::InvalidCheckpoint {
                        workflow: self.workflow.name().to_owned(),
                        reason: format!("node `{id}` is not a source of join `{}`", join.node),
                    })?;
                restored.put(self.workflow.nodes(), sources, slot, output);
            }
            self.joins.insert(node, restored);
        }
        for (from, edge) in checkpoint.deferred {
            let from = self.index(&from)?;
            if edge < self.plan.out[from].len() {
                self.deferred.insert((from, edge));
            }
        }
        for id in checkpoint.fired {
            let node = self.index(&id)?;
            self.fired[node] = true;
        }
        self.stamps = checkpoint.stamps.into_iter().collect();
        self.steps = checkpoint.steps;
        Ok(())
    }
}
