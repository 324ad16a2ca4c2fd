//! The execution plan of a workflow: its edges classified once, when the workflow is built.
//!
//! Inside a loop, the edges that lead back to a node no farther from the start are *back*
//! edges: taking one starts the next iteration of the loop. Every other edge is *forward*.
//! In the first pass a node waits for its forward incoming edges; in later iterations of its
//! loop, for its incoming edges from inside the loop, back edges included. Skips leaving a
//! loop are held back until the run is otherwise idle, since a later iteration may still
//! take that exit.

use std::collections::VecDeque;
use std::ops::{Index, IndexMut};

use crate::graph::workflow::NodeSpec;

/// How an edge takes part in scheduling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EdgeKind {
    /// Counted by its target's join.
    Forward,
    /// Closes a loop: taking it starts the target at once.
    Back,
}

/// Where an edge comes from in its source node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EdgeSource {
    /// An entry of `next`.
    Next,
    /// The route whose key is at this position in the node's routes (in key order).
    Route(u32),
}

/// [`Plan::loop_of`] of a node in no loop.
pub(crate) const NO_LOOP: u32 = u32::MAX;

/// One static edge of the graph.
#[derive(Debug, Clone)]
pub(crate) struct Edge {
    pub(crate) to: usize,
    pub(crate) kind: EdgeKind,
    pub(crate) source: EdgeSource,
    /// Leaves a loop: a skip of it waits until the run is idle.
    pub(crate) loop_exit: bool,
    /// Its place among its target's incoming edges (edges into real joins only).
    pub(crate) slot: u32,
}

/// One row of items per node, all in one allocation: `rows[v]` is node `v`'s slice.
#[derive(Debug, Clone)]
pub(crate) struct Rows<T> {
    /// Where each row starts in `items`; one more entry than there are rows.
    start: Vec<u32>,
    items: Vec<T>,
}

impl<T> Rows<T> {
    /// Rows made of `rows`, in order.
    fn collect<R: IntoIterator<Item = T>>(rows: impl ExactSizeIterator<Item = R>) -> Self {
        let mut start = Vec::with_capacity(rows.len() + 1);
        let mut items = Vec::new();
        start.push(0);
        for row in rows {
            items.extend(row);
            start.push(u32::try_from(items.len()).unwrap_or(u32::MAX));
        }
        items.shrink_to_fit();
        Rows { start, items }
    }

    /// How many rows there are.
    pub(crate) fn len(&self) -> usize {
        self.start.len() - 1
    }
}

impl<T> Index<usize> for Rows<T> {
    type Output = [T];
    fn index(&self, row: usize) -> &[T] {
        &self.items[self.start[row] as usize..self.start[row + 1] as usize]
    }
}

impl<T> IndexMut<usize> for Rows<T> {
    fn index_mut(&mut self, row: usize) -> &mut [T] {
        &mut self.items[self.start[row] as usize..self.start[row + 1] as usize]
    }
}

/// Per-node scheduling facts.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Outgoing edges of each node, `next` first, then routes in key order.
    pub(crate) out: Rows<Edge>,
    /// Forward edges into each node from nodes reachable from the start: what the node waits
    /// for in iteration 0.
    pub(crate) joins: Vec<u32>,
    /// Edges into each node from its own loop, forward and back: what it waits for in later
    /// iterations.
    pub(crate) loop_joins: Vec<u32>,
    /// The loop each node is part of ([`NO_LOOP`] for none): a strongly connected set of
    /// nodes with a cycle. Iterations are counted per loop.
    pub(crate) loop_of: Vec<u32>,
    /// Whether any route leads back: without loops a run executes each node at most once.
    pub(crate) has_loops: bool,
    /// Position in a topological order of forward edges; later wins concurrent global writes.
    pub(crate) rank: Vec<u32>,
    /// The source of each incoming edge of each real join, in node id order: a join
    /// collects its inputs by slot and hands them on in the order `Outputs` keeps, so that no
    /// join ever sorts.
    join_sources: Rows<u32>,
}

impl Plan {
    /// The plan of `nodes`, which passed validation: ids are unique, edges resolve, one start.
    pub(crate) fn new(nodes: &[NodeSpec], resolve: impl Fn(&str) -> usize, start: usize) -> Self {
        let n = nodes.len();
        let mut out = Rows::collect(nodes.iter().map(|node| {
            let next = node
                .next_ids()
                .iter()
                .map(|id| (resolve(id), EdgeSource::Next));
            let routes = (0u32..)
                .zip(node.routes().values())
                .map(|(position, id)| (resolve(id), EdgeSource::Route(position)));
            next.chain(routes).map(|(to, source)| Edge {
                to,
                kind: EdgeKind::Forward,
                source,
                loop_exit: false,
                slot: 0,
            })
        }));

        let (reachable, distance) = distances(&out, start);
        let component = strongly_connected(&out, &reachable);
        let mut component_size = vec![0u32; n];
        for &c in component.iter().flatten() {
            component_size[c] += 1;
        }
        // A node's loop: its strongly connected component, when that has a cycle.
        let mut loop_of = vec![NO_LOOP; n];
        for u in 0..n {
            let Some(cu) = component[u] else { continue };
            if component_size[cu] > 1 || out[u].iter().any(|e| e.to == u) {
                loop_of[u] = cu as u32;
            }
        }
        let in_loop: Vec<bool> = loop_of.iter().map(|&l| l != NO_LOOP).collect();
        // An edge inside a loop closes it when it leads to a node no farther from the start
        // (ties broken by id). The rule reads only the graph's shape and ids, never the order
        // in which `next` or `routes` were written; forward edges inside a loop strictly
        // increase (distance, id), so they form no cycle.
        let key = |v: usize| (distance[v], nodes[v].id());
        for u in (0..n).filter(|&u| in_loop[u]) {
            for edge in out[u].iter_mut() {
                let v = edge.to;
                if loop_of[v] == loop_of[u] && key(v) <= key(u) {
                    edge.kind = EdgeKind::Back;
                }
            }
        }
        let has_loops = in_loop.iter().any(|&l| l);

        let mut joins = vec![0u32; n];
        let mut loop_joins = vec![0u32; n];
        for u in (0..n).filter(|&u| reachable[u]) {
            for edge in out[u].iter_mut() {
                let v = edge.to;
                edge.loop_exit = in_loop[u] && loop_of[u] != loop_of[v];
                match edge.kind {
                    EdgeKind::Forward => {
                        joins[v] += 1;
                        if in_loop[v] && loop_of[u] == loop_of[v] {
                            loop_joins[v] += 1;
                        }
                    }
                    EdgeKind::Back => loop_joins[v] += 1,
                }
            }
        }
        let rank = topological_rank(&out, &joins, start, &reachable);
        let join_sources = join_slots(nodes, &mut out, &joins, &loop_joins, &reachable);
        Plan {
            out,
            joins,
            loop_joins,
            loop_of,
            has_loops,
            rank,
            join_sources,
        }
    }

    /// The sources of node `v`'s incoming edges, one per edge, in node id order (empty unless
    /// `v` is a real join).
    pub(crate) fn join_sources(&self, v: usize) -> &[u32] {
        &self.join_sources[v]
    }
}

/// Gives every edge into a real join (a node with several edges to wait for in some
/// iteration) a slot of its own among the join's incoming edges, ordered by source id (then
/// by the edge's place among its source's edges: `next`, then routes in key order), and
/// returns each node's slots' sources.
fn join_slots(
    nodes: &[NodeSpec],
    out: &mut Rows<Edge>,
    joins: &[u32],
    loop_joins: &[u32],
    reachable: &[bool],
) -> Rows<u32> {
    let n = out.len();
    let real = |v: usize| joins[v] > 1 || loop_joins[v] > 1;
    let mut incoming: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
    for u in (0..n).filter(|&u| reachable[u]) {
        for (e, edge) in out[u].iter().enumerate() {
            if real(edge.to) {
                incoming[edge.to].push((u as u32, e as u32));
            }
        }
    }
    for row in &mut incoming {
        row.sort_unstable_by(|&(a, ea), &(b, eb)| {
            nodes[a as usize]
                .id()
                .cmp(nodes[b as usize].id())
                .then(ea.cmp(&eb))
        });
        for (slot, &(u, e)) in row.iter().enumerate() {
            out[u as usize][e as usize].slot = slot as u32;
        }
    }
    Rows::collect(
        incoming
            .into_iter()
            .map(|row| row.into_iter().map(|(u, _)| u)),
    )
}

/// Which nodes a breadth-first walk over every edge reaches from `start`, and how many edges
/// away each is (`u32::MAX` when unreached). Independent of the order edges were written in.
fn distances(out: &Rows<Edge>, start: usize) -> (Vec<bool>, Vec<u32>) {
    let n = out.len();
    let mut distance = vec![u32::MAX; n];
    let mut queue = VecDeque::from([start]);
    distance[start] = 0;
    while let Some(u) = queue.pop_front() {
        for edge in &out[u] {
            if distance[edge.to] == u32::MAX {
                distance[edge.to] = distance[u] + 1;
                queue.push_back(edge.to);
            }
        }
    }
    let reachable = distance.iter().map(|&d| d != u32::MAX).collect();
    (reachable, distance)
}

/// The strongly connected component of each reachable node (Tarjan's algorithm, iterative).
fn strongly_connected(out: &Rows<Edge>, reachable: &[bool]) -> Vec<Option<usize>> {
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
fn topological_rank(out: &Rows<Edge>, joins: &[u32], start: usize, reachable: &[bool]) -> Vec<u32> {
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
