//! Static checks of a workflow graph. Iterative throughout: no recursion limit.

use std::collections::VecDeque;
use std::fmt;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::workflow::{NodeRole, NodeSpec};

/// One thing wrong with a workflow graph.
///
/// [`Problem::is_error`] tells whether it stops the workflow from running; the others are
/// warnings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Problem {
    /// No node has the start role.
    NoStartNode,
    /// More than one node has the start role.
    SeveralStartNodes {
        /// Their ids, in the order they were added.
        ids: Vec<String>,
    },
    /// Two nodes share an id.
    DuplicateNodeId {
        /// The shared id.
        id: String,
    },
    /// A node's kind is not registered.
    UnknownKind {
        /// The node.
        node: String,
        /// The kind it names.
        kind: String,
    },
    /// A `next` edge names a node that does not exist.
    DanglingEdge {
        /// The node the edge leaves.
        node: String,
        /// The missing target.
        target: String,
    },
    /// A route names a node that does not exist.
    DanglingRoute {
        /// The node the route leaves.
        node: String,
        /// The route key.
        key: String,
        /// The missing target.
        target: String,
    },
    /// Static `next` edges form a cycle (loops must go through `routes`).
    Cycle {
        /// The node ids around the cycle; the first is repeated at the end.
        path: Vec<String>,
    },
    /// An end node has `next` or `routes`: an end node ends its path, so they would never
    /// be followed.
    EndWithSuccessors {
        /// The end node.
        node: String,
    },
    /// End nodes exist, but none can be reached from the start.
    NoReachableEnd,
    /// No path from the start leads to this node (a warning).
    Unreachable {
        /// The node.
        node: String,
    },
}

impl Problem {
    /// Whether this problem stops the workflow from running.
    pub fn is_error(&self) -> bool {
        !matches!(self, Problem::Unreachable { .. })
    }

    /// The node this problem is about, when it is about one node.
    pub fn node(&self) -> Option<&str> {
        match self {
            Problem::DuplicateNodeId { id: node }
            | Problem::UnknownKind { node, .. }
            | Problem::DanglingEdge { node, .. }
            | Problem::DanglingRoute { node, .. }
            | Problem::EndWithSuccessors { node }
            | Problem::Unreachable { node } => Some(node),
            Problem::Cycle { path } => path.first().map(String::as_str),
            Problem::NoStartNode | Problem::SeveralStartNodes { .. } | Problem::NoReachableEnd => {
                None
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoStartNode => f.write_str("no start node"),
            Problem::SeveralStartNodes { ids } => {
                write!(f, "several start nodes: {}", ids.join(", "))
            }
            Problem::DuplicateNodeId { id } => write!(f, "node id `{id}` is used more than once"),
            Problem::UnknownKind { node, kind } => {
                write!(f, "node `{node}` has unknown kind `{kind}`")
            }
            Problem::DanglingEdge { node, target } => {
                write!(f, "node `{node}` has next `{target}`, which is not a node")
            }
            Problem::DanglingRoute { node, key, target } => {
                write!(
                    f,
                    "node `{node}` routes `{key}` to `{target}`, which is not a node"
                )
            }
            Problem::Cycle { path } => {
                write!(
                    f,
                    "cycle in next edges: {} (loops must use routes)",
                    path.join(" -> ")
                )
            }
            Problem::EndWithSuccessors { node } => write!(
                f,
                "end node `{node}` has successors; an end node ends its path, so `next` and \
                 `routes` are not allowed on it"
            ),
            Problem::NoReachableEnd => f.write_str("no end node is reachable from the start"),
            Problem::Unreachable { node } => {
                write!(f, "node `{node}` is not reachable from the start")
            }
        }
    }
}

/// Every problem of the graph made of `nodes`: errors first in a stable order, then warnings.
pub(crate) fn check(nodes: &[NodeSpec]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut index: FxHashMap<&str, usize> =
        FxHashMap::with_capacity_and_hasher(nodes.len(), Default::default());
    for (i, node) in nodes.iter().enumerate() {
        if index.insert(node.id(), i).is_some() {
            problems.push(Problem::DuplicateNodeId {
                id: node.id().to_owned(),
            });
        }
    }

    let starts: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].role() == NodeRole::Start)
        .collect();
    match starts.len() {
        0 => problems.push(Problem::NoStartNode),
        1 => {}
        _ => problems.push(Problem::SeveralStartNodes {
            ids: starts.iter().map(|&i| nodes[i].id().to_owned()).collect(),
        }),
    }

    // Resolved edges; dangling ones are reported and left out.
    let mut next: Vec<Vec<usize>> = Vec::with_capacity(nodes.len());
    let mut routed: Vec<Vec<usize>> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let mut targets = Vec::with_capacity(node.next_ids().len());
        for target in node.next_ids() {
            match index.get(target.as_str()) {
                Some(&t) => targets.push(t),
                None => problems.push(Problem::DanglingEdge {
                    node: node.id().to_owned(),
                    target: target.to_string(),
                }),
            }
        }
        next.push(targets);
        let mut targets = Vec::with_capacity(node.routes().len());
        for (key, target) in node.routes() {
            match index.get(target.as_str()) {
                Some(&t) => targets.push(t),
                None => problems.push(Problem::DanglingRoute {
                    node: node.id().to_owned(),
                    key: key.clone(),
                    target: target.clone(),
                }),
            }
        }
        routed.push(targets);
    }

    for node in nodes {
        if node.role() == NodeRole::End
            && (!node.next_ids().is_empty() || !node.routes().is_empty())
        {
            problems.push(Problem::EndWithSuccessors {
                node: node.id().to_owned(),
            });
        }
    }

    problems.extend(find_cycle(nodes, &next));

    if let [start] = starts[..] {
        let reached = reachable(start, &next, &routed);
        let has_end = nodes.iter().any(|n| n.role() == NodeRole::End);
        let end_reached = (0..nodes.len()).any(|i| reached[i] && nodes[i].role() == NodeRole::End);
        if has_end && !end_reached {
            problems.push(Problem::NoReachableEnd);
        }
        for (i, node) in nodes.iter().enumerate() {
            if !reached[i] {
                problems.push(Problem::Unreachable {
                    node: node.id().to_owned(),
                });
            }
        }
    }
    problems
}

/// Which nodes a breadth-first walk over `next` and route edges reaches from `start`.
fn reachable(start: usize, next: &[Vec<usize>], routed: &[Vec<usize>]) -> Vec<bool> {
    let mut seen = vec![false; next.len()];
    let mut queue = VecDeque::from([start]);
    seen[start] = true;
    while let Some(i) = queue.pop_front() {
        for &t in next[i].iter().chain(&routed[i]) {
            if !seen[t] {
                seen[t] = true;
                queue.push_back(t);
            }
        }
    }
    seen
}

/// The first cycle of static `next` edges found by an iterative depth-first search.
fn find_cycle(nodes: &[NodeSpec], next: &[Vec<usize>]) -> Option<Problem> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut mark = vec![Mark::New; nodes.len()];
    // Each frame: a node and how many of its edges were followed.
    let mut path: Vec<(usize, usize)> = Vec::new();
    for root in 0..nodes.len() {
        if mark[root] != Mark::New {
            continue;
        }
        mark[root] = Mark::OnPath;
        path.push((root, 0));
        while let Some(frame) = path.last_mut() {
            let (node, edge) = *frame;
            if let Some(&target) = next[node].get(edge) {
                frame.1 += 1;
                match mark[target] {
                    Mark::New => {
                        mark[target] = Mark::OnPath;
                        path.push((target, 0));
                    }
                    Mark::OnPath => {
                        let from = path
                            .iter()
                            .position(|&(n, _)| n == target)
                            .unwrap_or_default();
                        let mut ids: Vec<String> = path[from..]
                            .iter()
                            .map(|&(n, _)| nodes[n].id().to_owned())
                            .collect();
                        ids.push(nodes[target].id().to_owned());
                        return Some(Problem::Cycle { path: ids });
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                path.pop();
            }
        }
    }
    None
}
