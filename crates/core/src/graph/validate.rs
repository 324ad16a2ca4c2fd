//! Static checks of a workflow graph. Iterative throughout: no recursion limit.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

pub use crate::diagnostics::Problem;
use crate::graph::workflow::{NodeRole, NodeSpec};

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
