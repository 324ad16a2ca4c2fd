//! Edges taken and skipped, and the nodes that wait for several of them (joins), per loop
//! iteration.
//!
//! A node runs once every edge into it that counts for its iteration is resolved — taken, or
//! skipped because its source chose another edge or was itself skipped — and at least one
//! was taken; when all were skipped, it is skipped in turn. In iteration 0 every forward edge
//! from a reachable node counts; in a later iteration of a loop, every edge from the same
//! loop, back edges included (the rest ran once, before the loop). A back edge taken in
//! iteration `k` leads into iteration `k + 1`. Skips of loop exits wait until the run is
//! idle, since a later iteration may still take the exit; an exit taken in any iteration is
//! never skipped.

use std::sync::Arc;

use serde_json::Value;

use super::events::RunEventKind;
use super::state::{Activation, State};
use crate::context::{NodeContext, NodeInput, NodeStatus, Outputs};
use crate::graph::plan::{EdgeKind, NO_LOOP};
use crate::graph::workflow::{NodeRole, NodeSpec};
use crate::node_id::NodeId;

/// How one incoming edge of a join has resolved so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Open,
    Taken,
    Skipped,
}

/// A node of one iteration waiting for its incoming edges to resolve: one group of inputs.
/// An edge resolved a second time before the group is complete (a node outside a loop fed
/// by each pass of the loop, say) starts the next group.
#[derive(Debug, Default)]
pub(super) struct Join {
    /// Incoming edges resolved so far.
    pub(super) resolved: u32,
    /// One entry per incoming edge (`Plan::join_sources`, in source id order): the source's
    /// id and, once taken, its output. The taken entries become the node's inputs where they
    /// are, without another copy of ten thousand outputs.
    slots: Vec<(NodeId, Value)>,
    state: Vec<Slot>,
}

impl Join {
    /// A join with `resolved` incoming edges resolved and no edge recorded yet.
    pub(super) fn resolved(resolved: u32) -> Self {
        Join {
            resolved,
            ..Join::default()
        }
    }

    /// Whether the edge at `slot` has not been resolved in this group.
    fn is_open(&self, slot: usize) -> bool {
        self.state
            .get(slot)
            .is_none_or(|&state| state == Slot::Open)
    }

    /// Records the edge at `slot` among `sources` as taken with `output` or skipped (`None`).
    /// Returns `false`, changing nothing, when `slot` is not an edge's.
    pub(super) fn put(
        &mut self,
        nodes: &[NodeSpec],
        sources: &[u32],
        slot: usize,
        output: Option<Value>,
    ) -> bool {
        if slot >= sources.len() {
            return false;
        }
        if self.slots.is_empty() {
            self.slots = sources
                .iter()
                .map(|&from| (nodes[from as usize].node_id().clone(), Value::Null))
                .collect();
            self.state = vec![Slot::Open; sources.len()];
        }
        match output {
            Some(output) => {
                self.slots[slot].1 = output;
                self.state[slot] = Slot::Taken;
            }
            None => self.state[slot] = Slot::Skipped,
        }
        true
    }

    /// Whether some edge handed an output.
    pub(super) fn has_input(&self) -> bool {
        self.state.contains(&Slot::Taken)
    }

    /// The edges in state `wanted`: (slot, source, output).
    fn in_state(&self, wanted: Slot) -> impl Iterator<Item = (usize, &NodeId, &Value)> {
        self.slots
            .iter()
            .zip(&self.state)
            .enumerate()
            .filter(move |(_, (_, state))| **state == wanted)
            .map(|(slot, ((id, output), _))| (slot, id, output))
    }

    /// The edges that have neither been taken nor skipped: (slot, source).
    fn open(&self) -> impl Iterator<Item = (usize, &NodeId)> {
        self.in_state(Slot::Open).map(|(slot, id, _)| (slot, id))
    }

    /// The outputs received, in id order (one per source: two edges taken from one source
    /// carry its output once).
    pub(super) fn into_inputs(self) -> Outputs {
        let mut state = self.state.into_iter();
        let mut slots = self.slots;
        slots.retain(|_| state.next() == Some(Slot::Taken));
        slots.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        if slots.len() < slots.capacity() / 2 {
            slots.shrink_to_fit();
        }
        Outputs::from_sorted_vec(slots)
    }

    /// The edges taken so far: (slot, source, output).
    pub(super) fn taken(&self) -> impl Iterator<Item = (usize, &NodeId, &Value)> {
        self.in_state(Slot::Taken)
    }

    /// The edges skipped so far: (slot, source).
    pub(super) fn skipped(&self) -> impl Iterator<Item = (usize, &NodeId)> {
        self.in_state(Slot::Skipped).map(|(slot, id, _)| (slot, id))
    }
}

/// One edge to skip, left by a node of `iteration`; `forced` skips a loop exit now instead
/// of holding it back.
#[derive(Debug, Clone, Copy)]
pub(super) struct SkipEdge {
    pub(super) from: usize,
    pub(super) edge: usize,
    pub(super) iteration: u32,
    pub(super) forced: bool,
}

impl State<'_> {
    /// The iteration in which node `to` is reached over a forward edge from node `from` of
    /// `iteration`: the same inside one loop, 0 on entering or leaving a loop.
    fn iteration_at(&self, from: usize, to: usize, iteration: u32) -> u32 {
        let within = self.plan.loop_of[to];
        if within != NO_LOOP && within == self.plan.loop_of[from] {
            iteration
        } else {
            0
        }
    }

    /// The iteration an edge of node `from` of `iteration` leads into.
    fn iteration_over(&self, from: usize, edge: usize, iteration: u32) -> u32 {
        let e = &self.plan.out[from][edge];
        match e.kind {
            EdgeKind::Back => iteration.saturating_add(1),
            EdgeKind::Forward => self.iteration_at(from, e.to, iteration),
        }
    }

    /// Takes edge `edge` of node `from` (of `iteration`), handing its target `output`.
    pub(super) fn take(&mut self, from: usize, edge: usize, output: Value, iteration: u32) {
        let e = &self.plan.out[from][edge];
        if e.loop_exit {
            // Taken in some iteration: no pass's skip of it counts, before or after.
            self.deferred.remove(&(from, edge));
            self.exits_taken.insert((from, edge));
        }
        let (to, slot) = (e.to, e.slot);
        let at = self.iteration_over(from, edge, iteration);
        let skipped = self.resolve(to, from, slot, Some(output), at);
        debug_assert!(!skipped, "a node with an input is never skipped");
    }

    /// Skips edges, and the nodes left with no taken incoming edge, transitively.
    ///
    /// A node of a later iteration that nothing has entered yet is not skipped at once but
    /// kept dormant: if no edge is ever taken into that iteration of its loop, it never
    /// happens, and its skip must not run on into the iteration after it, and the one after.
    pub(super) fn skip(&mut self, mut work: Vec<SkipEdge>) {
        loop {
            let Some(SkipEdge {
                from,
                edge,
                iteration,
                forced,
            }) = work.pop()
            else {
                // Nodes of iterations that came alive meanwhile are skipped now.
                let Some((node, at)) = self.revived.pop() else {
                    return;
                };
                self.skip_node(node, at, &mut work);
                continue;
            };
            let e = &self.plan.out[from][edge];
            let (to, slot) = (e.to, e.slot);
            if e.loop_exit && !forced {
                if !self.exits_taken.contains(&(from, edge)) {
                    self.deferred.insert((from, edge));
                }
                continue;
            }
            let at = self.iteration_over(from, edge, iteration);
            if self.resolve(to, from, slot, None, at) {
                let l = self.plan.loop_of[to];
                if at > 0 && !self.live.contains(&(l, at)) {
                    self.dormant.entry((l, at)).or_default().push(to);
                } else {
                    self.skip_node(to, at, &mut work);
                }
            }
        }
    }

    /// Records node `node` of `iteration` as skipped and queues its edges to be skipped.
    fn skip_node(&mut self, node: usize, iteration: u32, work: &mut Vec<SkipEdge>) {
        self.record_skip(node);
        work.extend((0..self.plan.out[node].len()).map(|edge| SkipEdge {
            from: node,
            edge,
            iteration,
            forced: false,
        }));
    }

    /// Notes that an edge was taken into node `node` of `iteration`: that iteration of its
    /// loop happens, and the nodes of it kept dormant are skipped after all.
    fn enter(&mut self, node: usize, iteration: u32) {
        if iteration == 0 {
            return;
        }
        let l = self.plan.loop_of[node];
        if self.live.insert((l, iteration))
            && let Some(nodes) = self.dormant.remove(&(l, iteration))
        {
            self.revived
                .extend(nodes.into_iter().map(|n| (n, iteration)));
        }
    }

    /// How many incoming edges node `node` waits for in `iteration`.
    fn expected(&self, node: usize, iteration: u32) -> u32 {
        if iteration == 0 {
            self.plan.joins[node]
        } else {
            self.plan.loop_joins[node]
        }
    }

    /// Resolves the edge from `from` (whose slot among `node`'s sources is `slot`) into
    /// `node` of `iteration`, taken with `output` or skipped (`None`). When it was the last
    /// one, the node becomes ready (some edge was taken) or is skipped (returns `true`).
    fn resolve(
        &mut self,
        node: usize,
        from: usize,
        slot: u32,
        output: Option<Value>,
        iteration: u32,
    ) -> bool {
        let key = (node, iteration);
        if output.is_some() {
            self.enter(node, iteration);
        }
        if self.expected(node, iteration) <= 1 && !self.joins.contains_key(&key) {
            // One edge decides alone: no join state.
            let Some(output) = output else {
                return true;
            };
            self.ready.push_back(Activation {
                node,
                inputs: self.one_input(from, output),
                iteration,
                resume: None,
                needs: self.recorded,
            });
            return false;
        }
        let expected = self.expected(node, iteration);
        let sources = self.plan.join_sources(node);
        let groups = self.joins.entry(key).or_default();
        let slot = slot as usize;
        let group = match groups.iter().position(|join| join.is_open(slot)) {
            Some(group) => group,
            None => {
                groups.push(Join::default());
                groups.len() - 1
            }
        };
        let join = &mut groups[group];
        join.resolved += 1;
        join.put(self.workflow.nodes(), sources, slot, output);
        // Groups fill in order, so only the first can be complete.
        if group > 0 || join.resolved < expected {
            return false;
        }
        let join = groups.remove(0);
        if groups.is_empty() {
            self.joins.remove(&key);
        }
        if !join.has_input() {
            return true;
        }
        self.ready.push_back(Activation {
            node,
            inputs: join.into_inputs(),
            iteration,
            resume: None,
            needs: self.recorded,
        });
        false
    }

    /// The inputs of a node activated by node `from` alone.
    pub(super) fn one_input(&self, from: usize, output: Value) -> Outputs {
        Outputs::one(self.workflow.nodes()[from].node_id().clone(), output)
    }

    /// Records that `node` does not run in this pass. A node that ran in an earlier pass of a
    /// loop keeps the record of that run, and no event is sent for it.
    fn record_skip(&mut self, node: usize) {
        let spec = &self.workflow.nodes()[node];
        if spec.role() == NodeRole::End || self.ctx.node_contexts.at(node).is_some() {
            return;
        }
        let mut node_ctx = NodeContext::new(
            spec.node_id(),
            NodeInput::new(Arc::clone(&self.ctx.globals)),
        );
        node_ctx.status = NodeStatus::Skipped;
        self.emit(|| RunEventKind::NodeSkipped {
            node: spec.node_id().clone(),
        });
        self.ctx.node_contexts.set_at(node, node_ctx);
    }

    /// Skips the loop exits held back so far; returns whether there were any.
    pub(super) fn flush_deferred(&mut self) -> bool {
        if self.deferred.is_empty() {
            return false;
        }
        let work = std::mem::take(&mut self.deferred)
            .into_iter()
            .map(|(from, edge)| SkipEdge {
                from,
                edge,
                iteration: 0,
                forced: true,
            })
            .collect();
        self.skip(work);
        true
    }

    /// When nothing can run any more: the first join (by node position, then iteration) that
    /// received an output but still waits for other incoming edges, described as the run's
    /// failure. Joins that received only skips wait for nothing that matters and are
    /// dropped.
    pub(super) fn stalled_join(&self) -> Option<String> {
        let (node, iteration) = self
            .joins
            .iter()
            .filter(|(_, groups)| groups.iter().any(Join::has_input))
            .map(|(&key, _)| key)
            .min()?;
        let groups = &self.joins[&(node, iteration)];
        let join = groups.iter().find(|join| join.has_input())?;
        let sources = self.plan.join_sources(node);
        let counts = |slot: usize| {
            iteration == 0
                || sources.get(slot).is_some_and(|&from| {
                    self.plan.loop_of[from as usize] == self.plan.loop_of[node]
                })
        };
        let mut waiting: Vec<String> = join
            .open()
            .filter(|&(slot, _)| counts(slot))
            .map(|(_, id)| format!("`{id}`"))
            .collect();
        waiting.dedup();
        let what = if waiting.is_empty() {
            "more of its incoming edges".to_owned()
        } else {
            waiting.join(", ")
        };
        let when = if iteration == 0 {
            String::new()
        } else {
            format!(" in loop iteration {iteration}")
        };
        Some(format!(
            "join `{}` is still waiting for {what}{when}, but nothing else can run: those \
             predecessors neither ran nor were skipped again",
            self.id(node)
        ))
    }
}
