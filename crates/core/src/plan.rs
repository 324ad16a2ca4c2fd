//! The execution plan of a workflow: its edges classified once, when the workflow is built.
//!
//! The scheduler runs a node when every *forward* edge into it is resolved (taken or
//! skipped). Edges that close a loop (*back* edges) instead start their target at once, as a
//! new iteration. Skips leaving a loop are held back until the run is otherwise idle, since a
//! later iteration may still take that exit.

use std::collections::VecDeque;

use crate::node_id::NodeId;
use crate::workflow::NodeSpec;

/// How an edge takes part in scheduling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EdgeKind {
    /// Counted by its target's join.
    Forward,
    /// Closes a loop: taking it starts the target at once.
    Back,
}

/// Where an edge comes from in its source node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EdgeSource {
    /// The n-th entry of `next`.
    Next,
    /// The route with this key.
    Route(String),
}

/// One static edge of the graph.
#[derive(Debug, Clone)]
pub(crate) struct Edge {
    pub(crate) to: usize,
    pub(crate) kind: EdgeKind,
    pub(crate) source: EdgeSource,
    /// Leaves a loop: a skip of it waits until the run is idle.
    pub(crate) loop_exit: bool,
    /// Where the output it carries goes among its target's join sources (forward edges of
    /// real joins only).
    pub(crate) slot: u32,
}

/// Per-node scheduling facts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    /// Outgoing edges of each node, `next` first, then routes in key order.
    pub(crate) out: Vec<Vec<Edge>>,
    /// Forward edges into each node from nodes reachable from the start.
    pub(crate) joins: Vec<u32>,
    /// Of those, the ones from the node's own loop: what later iterations wait for.
    pub(crate) loop_joins: Vec<u32>,
    /// Whether the node is part of a loop.
    pub(crate) in_loop: Vec<bool>,
    /// Position in a topological order of forward edges; later wins concurrent global writes.
    pub(crate) rank: Vec<u32>,
    /// The distinct sources of each real join's forward edges, in node id order: a join
    /// collects its inputs by slot and hands them on in the order `Outputs` keeps, so that no
    /// join ever sorts. Compressed rows: node `v`'s are
    /// `join_sources[join_start[v]..join_start[v + 1]]`.
    join_start: Vec<u32>,
    join_sources: Vec<u32>,
}

impl Plan {
    /// The plan of `nodes`, which passed validation: ids are unique, edges resolve, one start.
    pub(crate) fn new(
        nodes: &[NodeSpec],
        index: &rustc_hash::FxHashMap<NodeId, usize>,
        start: usize,
    ) -> Self {
        let n = nodes.len();
        let resolve = |id: &str| index[id];
        let mut out: Vec<Vec<Edge>> = nodes
            .iter()
            .map(|node| {
                let next = node
                    .next_ids()
                    .iter()
                    .map(|id| (resolve(id), EdgeSource::Next));
                let routes = node
                    .routes()
                    .iter()
                    .map(|(key, id)| (resolve(id), EdgeSource::Route(key.clone())));
                next.chain(routes)
                    .map(|(to, source)| Edge {
                        to,
                        kind: EdgeKind::Forward,
                        source,
                        loop_exit: false,
                        slot: 0,
                    })
                    .collect()
            })
            .collect();

        let reachable = classify_back_edges(&mut out, start);
        let component = strongly_connected(&out, &reachable);
        let mut component_size = vec![0u32; n];
        for &c in component.iter().flatten() {
            component_size[c] += 1;
        }
        let mut in_loop = vec![false; n];
        for u in 0..n {
            let Some(cu) = component[u] else { continue };
            if component_size[cu] > 1 || out[u].iter().any(|e| e.to == u) {
                in_loop[u] = true;
            }
        }

        let mut joins = vec![0u32; n];
        let mut loop_joins = vec![0u32; n];
        for u in (0..n).filter(|&u| reachable[u]) {
            for edge in &mut out[u] {
                let v = edge.to;
                edge.loop_exit = in_loop[u] && component[u] != component[v];
                if edge.kind == EdgeKind::Forward {
                    joins[v] += 1;
                    if in_loop[v] && component[u] == component[v] {
                        loop_joins[v] += 1;
                    }
                }
            }
        }
        let rank = topological_rank(&out, &joins, start, &reachable);
        let (join_start, join_sources) = join_slots(nodes, &mut out, &joins, &reachable);
        Plan {
            out,
            joins,
            loop_joins,
            in_loop,
            rank,
            join_start,
            join_sources,
        }
    }

    /// The distinct forward sources of node `v`, in node id order (empty unless `v` is a
    /// real join).
    pub(crate) fn join_sources(&self, v: usize) -> &[u32] {
        let (from, to) = (self.join_start[v], self.join_start[v + 1]);
        &self.join_sources[from as usize..to as usize]
    }
}

/// Numbers the sources of each real join (a node with several forward edges in) in node id
/// order and gives every such edge its source's slot.
fn join_slots(
    nodes: &[NodeSpec],
    out: &mut [Vec<Edge>],
    joins: &[u32],
    reachable: &[bool],
) -> (Vec<u32>, Vec<u32>) {
    let n = out.len();
    let mut join_start = vec![0u32; n + 1];
    for u in (0..n).filter(|&u| reachable[u]) {
        for edge in out[u].iter().filter(|e| e.kind == EdgeKind::Forward) {
            if joins[edge.to] > 1 {
                join_start[edge.to + 1] += 1;
            }
        }
    }
    for v in 0..n {
        join_start[v + 1] += join_start[v];
    }
    let mut join_sources = vec![0u32; join_start[n] as usize];
    let mut filled = join_start.clone();
    for u in (0..n).filter(|&u| reachable[u]) {
        for edge in out[u].iter().filter(|e| e.kind == EdgeKind::Forward) {
            if joins[edge.to] > 1 {
                join_sources[filled[edge.to] as usize] = u as u32;
                filled[edge.to] += 1;
            }
        }
    }
    // Sort and deduplicate each row (two edges from one node share a slot).
    let mut compacted = Vec::with_capacity(join_sources.len());
    let mut starts = vec![0u32; n + 1];
    for v in 0..n {
        let row = &mut join_sources[join_start[v] as usize..join_start[v + 1] as usize];
        row.sort_unstable_by(|&a, &b| nodes[a as usize].id().cmp(nodes[b as usize].id()));
        let row_start = compacted.len();
        for &u in row.iter() {
            if compacted.len() == row_start || compacted.last() != Some(&u) {
                compacted.push(u);
            }
        }
        starts[v + 1] = compacted.len() as u32;
    }
    compacted.shrink_to_fit();
    for u in (0..n).filter(|&u| reachable[u]) {
        for edge in out[u].iter_mut().filter(|e| e.kind == EdgeKind::Forward) {
            let v = edge.to;
            if joins[v] > 1 {
                let row = &compacted[starts[v] as usize..starts[v + 1] as usize];
                let id = nodes[u].id();
                edge.slot = row
                    .binary_search_by(|&w| nodes[w as usize].id().cmp(id))
                    .map_or(0, |slot| slot as u32);
            }
        }
    }
    (starts, compacted)
}

/// Marks the edges that close a cycle in a depth-first walk from `start` as back edges, and
/// returns which nodes the walk reached. Iterative: no recursion limit.
fn classify_back_edges(out: &mut [Vec<Edge>], start: usize) -> Vec<bool> {
    let n = out.len();
    let mut on_path = vec![false; n];
    let mut seen = vec![false; n];
    let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
    seen[start] = true;
    on_path[start] = true;
    while let Some(&mut (u, ref mut i)) = stack.last_mut() {
        if let Some(edge) = out[u].get_mut(*i) {
            *i += 1;
            let v = edge.to;
            if on_path[v] {
                edge.kind = EdgeKind::Back;
            } else if !seen[v] {
                seen[v] = true;
                on_path[v] = true;
                stack.push((v, 0));
            }
        } else {
            on_path[u] = false;
            stack.pop();
        }
    }
    seen
}

/// The strongly connected component of each reachable node (Tarjan's algorithm, iterative).
fn strongly_connected(out: &[Vec<Edge>], reachable: &[bool]) -> Vec<Option<usize>> {
    let n = out.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut component = vec![None; n];
    let mut stack = Vec::new();
    let mut next_index = 0;
    let mut next_component = 0;
    for root in (0..n).filter(|&r| reachable[r]) {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (u, ref mut i)) = work.last_mut() {
            if let Some(edge) = out[u].get(*i) {
                *i += 1;
                let v = edge.to;
                if index[v] == usize::MAX {
                    index[v] = next_index;
                    low[v] = next_index;
                    next_index += 1;
                    stack.push(v);
                    on_stack[v] = true;
                    work.push((v, 0));
                } else if on_stack[v] {
                    low[u] = low[u].min(index[v]);
                }
            } else {
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[u]);
                }
                if low[u] == index[u] {
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        component[w] = Some(next_component);
                        if w == u {
                            break;
                        }
                    }
                    next_component += 1;
                }
            }
        }
    }
    component
}

/// Kahn's algorithm over forward edges from the start; unreachable nodes rank last.
fn topological_rank(
    out: &[Vec<Edge>],
    joins: &[u32],
    start: usize,
    reachable: &[bool],
) -> Vec<u32> {
    let n = out.len();
    let mut remaining = joins.to_vec();
    let mut rank = vec![u32::MAX; n];
    let mut queue = VecDeque::from([start]);
    let mut next = 0u32;
    while let Some(u) = queue.pop_front() {
        rank[u] = next;
        next += 1;
        for edge in out[u].iter().filter(|e| e.kind == EdgeKind::Forward) {
            remaining[edge.to] -= 1;
            if remaining[edge.to] == 0 && reachable[edge.to] {
                queue.push_back(edge.to);
            }
        }
    }
    rank
}
