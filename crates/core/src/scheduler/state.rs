//! The mutable state of a run, and what happens when a node finishes: its record, its
//! global writes, and which of its edges it takes.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{Map, Value};
use smallvec::SmallVec;

use super::attempt::{Outcome, send};
use super::events::{Events, RunEventKind};
use super::joins::{Join, SkipEdge};
use crate::context::{Emitter, NodeContext, NodeInput, NodeStatus, Outputs, WorkflowContext};
use crate::graph::plan::{Edge, EdgeSource, Plan};
use crate::graph::workflow::Workflow;
use crate::result::Parts;
use crate::run_store::{JournalEntry, now_millis};

/// A node about to run, with the outputs that activated it.
#[derive(Debug)]
pub(super) struct Activation {
    pub(super) node: usize,
    /// The outputs that activate it, as the node will see them.
    pub(super) inputs: Outputs,
    /// The iteration of the node's loop this run of it belongs to; 0 outside loops.
    pub(super) iteration: u32,
    pub(super) resume: Option<Box<Value>>,
    /// How many journal entries must be durable before it starts: those recorded when it
    /// became ready (0 outside durable runs).
    pub(super) needs: usize,
}

/// The mutable state of a run, owned by the scheduler's loop.
pub(super) struct State<'w> {
    pub(super) workflow: &'w Workflow,
    pub(super) plan: &'w Plan,
    pub(super) ctx: WorkflowContext,
    /// Nodes with some but not all incoming edges of one iteration resolved, by (node,
    /// iteration), in groups of inputs; most nodes are never here.
    pub(super) joins: FxHashMap<(usize, u32), Vec<Join>>,
    pub(super) ready: VecDeque<Activation>,
    /// Skips of loop exits held back until the run is idle: (node, edge position).
    pub(super) deferred: BTreeSet<(usize, usize)>,
    /// Loop exits taken in some iteration: (node, edge position).
    pub(super) exits_taken: FxHashSet<(usize, usize)>,
    /// The (loop, iteration) pairs some edge was taken into, past iteration 0.
    pub(super) live: FxHashSet<(u32, u32)>,
    /// Nodes skipped in an iteration of their loop that nothing has entered (yet), by (loop,
    /// iteration).
    pub(super) dormant: FxHashMap<(u32, u32), Vec<usize>>,
    /// Dormant nodes whose iteration was entered, to skip now, with their iteration.
    pub(super) revived: Vec<(usize, u32)>,
    /// Who wrote each global last: (iteration, rank).
    pub(super) stamps: HashMap<String, (u32, u32)>,
    pub(super) steps: usize,
    /// How many runs of each node are in flight now.
    pub(super) running: Vec<u32>,
    pub(super) interrupted: Vec<(usize, Outputs, u32)>,
    pub(super) stopping: bool,
    /// Where events go, when someone listens; set once the run's id is known.
    pub(super) events: Option<Arc<Events>>,
    /// The same, for the nodes' own events; empty when nobody listens.
    pub(super) emitter: Emitter,
    /// Log every node execution at `info` level.
    pub(super) debug: bool,
    /// Completions not yet written to the run's store; `None` when the run is not kept.
    pub(super) journal: Option<Vec<JournalEntry>>,
    /// The durable run's id, handed to every node; `None` when the run is not kept.
    pub(super) run_id: Option<Arc<str>>,
    /// Where composite nodes journal their elements; `None` when the run is not kept.
    pub(super) elements: Option<Arc<super::elements::ElementLog>>,
    /// Journal entries recorded so far, and how many of them are durable.
    pub(super) recorded: usize,
    pub(super) durable: usize,
}

impl<'w> State<'w> {
    pub(super) fn new(workflow: &'w Workflow, mut ctx: WorkflowContext) -> Self {
        if !workflow.input().is_empty() {
            let globals = Arc::make_mut(&mut ctx.globals);
            for (key, value) in workflow.input() {
                globals.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        let n = workflow.nodes().len();
        let positions = workflow.clone();
        ctx.node_contexts
            .place(n, Arc::new(move |id| positions.position(id)));
        ctx.execution_path.reserve(n);
        State {
            workflow,
            plan: workflow.plan(),
            ctx,
            joins: FxHashMap::default(),
            ready: VecDeque::new(),
            deferred: BTreeSet::new(),
            exits_taken: FxHashSet::default(),
            live: FxHashSet::default(),
            dormant: FxHashMap::default(),
            revived: Vec::new(),
            stamps: HashMap::new(),
            steps: 0,
            running: vec![0; n],
            interrupted: Vec::new(),
            stopping: false,
            events: None,
            emitter: Emitter::default(),
            debug: false,
            journal: None,
            run_id: None,
            elements: None,
            recorded: 0,
            durable: 0,
        }
    }

    pub(super) fn begin(&mut self) {
        self.ready.push_back(Activation {
            node: self.workflow.start_index(),
            inputs: Outputs::new(),
            iteration: 0,
            resume: None,
            needs: 0,
        });
    }

    /// Puts back a node that was launched but never started, at the head of the queue.
    pub(super) fn unlaunch(&mut self, index: usize, iteration: u32, node_ctx: NodeContext) {
        self.steps -= 1;
        self.running[index] = self.running[index].saturating_sub(1);
        self.ready.push_front(Activation {
            node: index,
            inputs: node_ctx.input.outputs,
            iteration,
            resume: node_ctx.resume,
            needs: 0,
        });
    }

    /// The next node to run; a queue that held a wide fan-out gives its room back once it
    /// runs dry, for the rest of the run to use.
    pub(super) fn next_ready(&mut self) -> Option<Activation> {
        let next = self.ready.pop_front();
        if next.is_none() && self.ready.capacity() > 1024 {
            self.ready = VecDeque::new();
        }
        next
    }

    pub(super) fn id(&self, index: usize) -> &'w str {
        self.workflow.nodes()[index].id()
    }

    /// What node `index` interrupted with, for it to see when it runs again on resume.
    #[cold]
    fn interrupted_with(&self, index: usize) -> Option<Value> {
        self.ctx
            .node_contexts
            .get(self.workflow.nodes()[index].id())
            .and_then(|record| record.output.clone())
    }

    pub(super) fn node_context(&self, activation: Activation, concurrent: bool) -> NodeContext {
        let mut input = NodeInput::new(Arc::clone(&self.ctx.globals));
        input.outputs = activation.inputs;
        let mut node_ctx =
            NodeContext::new(self.workflow.nodes()[activation.node].node_id(), input);
        node_ctx.status = NodeStatus::Running;
        node_ctx.iteration = activation.iteration;
        if activation.resume.is_some() {
            node_ctx.output = self.interrupted_with(activation.node);
        }
        node_ctx.resume = activation.resume;
        node_ctx.run_id.clone_from(&self.run_id);
        node_ctx.set_concurrent(concurrent);
        if self.events.is_some() {
            node_ctx.set_emitter(self.emitter.clone());
        }
        node_ctx
    }

    pub(super) fn emit(&self, make: impl FnOnce() -> RunEventKind) {
        send(self.events.as_deref(), make);
    }

    /// Records a finished node and activates what follows it. `Err` fails the run.
    pub(super) fn finish(
        &mut self,
        index: usize,
        iteration: u32,
        mut node_ctx: NodeContext,
        outcome: Outcome,
        duration: std::time::Duration,
    ) -> Result<(), String> {
        self.running[index] = self.running[index].saturating_sub(1);
        node_ctx.duration = Some(duration);
        // The execution is over: what the run keeps of it must not hold the event channel.
        node_ctx.drop_emitter();
        let result = match outcome {
            Outcome::Failed(reason) | Outcome::Panicked(reason) => {
                return Err(self.record_failure(index, node_ctx, reason));
            }
            Outcome::Done(result) => result,
            Outcome::Composed(result, steps) => {
                self.steps = self.steps.saturating_add(steps);
                result
            }
        };
        let interrupt = result.is_interrupt();
        let (output, steering) = result.into_parts();
        if let Some(journal) = &mut self.journal {
            journal.push(entry(
                &node_ctx,
                interrupt,
                &output,
                steering.as_ref(),
                duration,
            ));
            self.recorded += 1;
        }
        let (route, next) = match steering {
            None => (None, None),
            Some(Parts {
                route,
                next,
                globals,
                metadata,
            }) => {
                node_ctx.metadata = metadata;
                self.apply_globals(globals, (iteration, self.plan.rank[index]));
                (route, next)
            }
        };

        if interrupt {
            node_ctx.status = NodeStatus::Interrupted;
            node_ctx.output = Some(output);
            let inputs = node_ctx.input.outputs.clone();
            self.record(index, node_ctx, duration);
            self.interrupted.push((index, inputs, iteration));
            self.stopping = true;
            return Ok(());
        }

        let chosen = match self.select(index, route.as_deref(), next.as_deref()) {
            Ok(chosen) => chosen,
            Err(reason) => return Err(self.record_failure(index, node_ctx, reason)),
        };
        node_ctx.status = NodeStatus::Success;
        node_ctx.output = Some(output.clone());
        self.record(index, node_ctx, duration);

        let mut taken: SmallVec<[usize; 2]> = SmallVec::new();
        let mut skipped = Vec::new();
        for (edge, e) in self.plan.out[index].iter().enumerate() {
            let take = match chosen {
                None => e.source == EdgeSource::Next,
                Some(chosen) => chosen == edge,
            };
            if take {
                taken.push(edge);
            } else {
                skipped.push(SkipEdge {
                    from: index,
                    edge,
                    iteration,
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
                self.take(index, edge, handed, iteration);
            }
        }
        self.skip(skipped);
        Ok(())
    }

    /// Records a node that failed for good, and returns the run's failure reason.
    pub(super) fn record_failure(
        &mut self,
        index: usize,
        mut node_ctx: NodeContext,
        reason: String,
    ) -> String {
        let id = node_ctx.node_id.clone();
        node_ctx.status = NodeStatus::Failed;
        node_ctx.error = Some(reason.clone());
        if let Some(journal) = &mut self.journal {
            let mut failed = entry(
                &node_ctx,
                false,
                &Value::Null,
                None,
                node_ctx.duration.unwrap_or_default(),
            );
            failed.status = NodeStatus::Failed;
            failed.error = Some(reason.clone());
            journal.push(failed);
            self.recorded += 1;
        }
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
        self.emit(|| RunEventKind::NodeFailed {
            node: id.clone(),
            error: reason.clone(),
            duration: node_ctx.duration,
        });
        self.ctx.execution_path.push(id.clone());
        self.ctx.node_contexts.set_at(index, node_ctx);
        format!("node `{id}` failed: {reason}")
    }

    /// Records a node that finished with success or by interrupting.
    pub(super) fn record(
        &mut self,
        index: usize,
        node_ctx: NodeContext,
        duration: std::time::Duration,
    ) {
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
        self.emit(|| RunEventKind::NodeFinished {
            node: id.clone(),
            status: node_ctx.status,
            duration,
        });
        self.ctx.execution_path.push(id.clone());
        // A node's record is its execution in the latest iteration, whichever finished last.
        if self
            .ctx
            .node_contexts
            .at(index)
            .is_none_or(|kept| kept.iteration <= node_ctx.iteration)
        {
            self.ctx.node_contexts.set_at(index, node_ctx);
        }
    }

    /// Which edges node `index` takes after returning `route` and `next`.
    /// Which edge node `index` takes after returning `route` and `next`: one edge, or `None`
    /// for every `next` edge. A route key wins over a next override, which wins over `next`;
    /// an override may name only a `next` successor or a route target of the node.
    fn select(
        &self,
        index: usize,
        route: Option<&str>,
        next: Option<&str>,
    ) -> Result<Option<usize>, String> {
        let spec = &self.workflow.nodes()[index];
        let out = &self.plan.out[index];
        if let Some(key) = route
            && !spec.routes().is_empty()
        {
            let position = spec.routes().keys().position(|k| k == key);
            let routed =
                |e: &Edge| position.is_some_and(|p| e.source == EdgeSource::Route(p as u32));
            return out.iter().position(routed).map(Some).ok_or_else(|| {
                let keys: Vec<&str> = spec.routes().keys().map(String::as_str).collect();
                format!(
                    "returned route `{key}`, which has no target (routes: {})",
                    keys.join(", ")
                )
            });
        }
        let Some(target) = next else {
            return Ok(None);
        };
        let nodes = self.workflow.nodes();
        let to = |e: &Edge| nodes[e.to].id() == target;
        out.iter()
            .position(|e| to(e) && e.source == EdgeSource::Next)
            .or_else(|| out.iter().position(to))
            .map(Some)
            .ok_or_else(|| {
                let mut allowed: Vec<&str> = out.iter().map(|e| nodes[e.to].id()).collect();
                allowed.sort_unstable();
                allowed.dedup();
                format!(
                    "chose next node `{target}`, which is neither a `next` successor nor a \
                     route target of this node (it may choose: {})",
                    if allowed.is_empty() {
                        "none".to_owned()
                    } else {
                        allowed.join(", ")
                    }
                )
            })
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

    /// Records the nodes that were running when the run failed or was cancelled.
    pub(super) fn cancel_running(&mut self, reason: &str) {
        let error = format!("cancelled: {reason}");
        let running: Vec<usize> = (0..self.running.len())
            .filter(|&i| std::mem::take(&mut self.running[i]) > 0)
            .collect();
        for index in running {
            let id = self.workflow.nodes()[index].node_id();
            let mut node_ctx = NodeContext::new(id, NodeInput::new(Arc::clone(&self.ctx.globals)));
            node_ctx.status = NodeStatus::Failed;
            node_ctx.error = Some(error.clone());
            self.emit(|| RunEventKind::NodeFailed {
                node: id.clone(),
                error: error.clone(),
                duration: None,
            });
            self.ctx.node_contexts.set_at(index, node_ctx);
        }
    }
}

/// The journal entry of a node that ended with `output` (a success, or an interrupt).
fn entry(
    node_ctx: &NodeContext,
    interrupt: bool,
    output: &Value,
    steering: Option<&Parts>,
    duration: std::time::Duration,
) -> JournalEntry {
    JournalEntry {
        node: node_ctx.node_id.to_string(),
        iteration: node_ctx.iteration,
        attempt: node_ctx.attempt,
        status: if interrupt {
            NodeStatus::Interrupted
        } else {
            NodeStatus::Success
        },
        output: output.clone(),
        route: steering.and_then(|s| s.route.clone()),
        next: steering.and_then(|s| s.next.clone()),
        globals: steering.map(|s| s.globals.clone()).unwrap_or_default(),
        metadata: steering.map(|s| s.metadata.clone()).unwrap_or_default(),
        error: None,
        finished: now_millis(),
        duration_us: u64::try_from(duration.as_micros()).unwrap_or(u64::MAX),
        element: None,
    }
}
