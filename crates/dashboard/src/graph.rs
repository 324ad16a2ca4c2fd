//! A stored run's workflow graph, read from its definition and laid out left to right.
//!
//! The definition is read for its shape only (ids, kinds, `next`, `routes`), not built into a
//! [`Workflow`](nadoo_flow_core::Workflow): a run shows even when this server does not link
//! the node kinds it used. Layout is by layers: an edge that closes a loop (found by a
//! depth-first walk from the start node) is marked `back` and left out, every other node sits
//! one column right of its furthest predecessor, and nodes of one column are stacked in file
//! order.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// The part of a workflow definition the dashboard draws.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Shape {
    #[serde(default)]
    nodes: Vec<ShapeNode>,
}

#[derive(Debug, Deserialize)]
struct ShapeNode {
    id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    next: Vec<String>,
    #[serde(default)]
    routes: BTreeMap<String, String>,
}

/// A node of the drawn graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct GraphNode {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) column: usize,
    pub(crate) row: usize,
}

/// An edge of the drawn graph: a static `next`, or a route with its key as label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct GraphEdge {
    pub(crate) from: String,
    pub(crate) to: String,
    /// The route key, for a route edge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) route: Option<String>,
    /// Whether the edge closes a loop (drawn right to left).
    pub(crate) back: bool,
}

/// Nodes with positions, and edges.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Graph {
    pub(crate) nodes: Vec<GraphNode>,
    pub(crate) edges: Vec<GraphEdge>,
    pub(crate) columns: usize,
    pub(crate) rows: usize,
}

impl Shape {
    /// Reads the shape of a stored definition; `None` when it is not a workflow file's TOML.
    pub(crate) fn parse(definition: &str) -> Option<Self> {
        toml::from_str(definition).ok()
    }

    /// A shape of just these nodes, without edges: for runs started by a program, whose
    /// record has no definition.
    pub(crate) fn of_nodes<'a>(ids: impl IntoIterator<Item = &'a str>) -> Self {
        let nodes = ids
            .into_iter()
            .map(|id| ShapeNode {
                id: id.to_owned(),
                kind: String::new(),
                next: Vec::new(),
                routes: BTreeMap::new(),
            })
            .collect();
        Self { nodes }
    }

    /// Lays the graph out left to right from the first `start` node (else the first node).
    pub(crate) fn layout(&self) -> Graph {
        let index: HashMap<&str, usize> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| (node.id.as_str(), i))
            .collect();
        let mut edges = Vec::new();
        let mut successors: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.nodes.len()];
        for (from, node) in self.nodes.iter().enumerate() {
            let targets = node
                .next
                .iter()
                .map(|to| (to, None))
                .chain(node.routes.iter().map(|(key, to)| (to, Some(key.clone()))));
            for (to, route) in targets {
                // An edge to a node the definition lacks cannot be drawn; validation refused
                // such workflows before they ran.
                let Some(&target) = index.get(to.as_str()) else {
                    continue;
                };
                successors[from].push((target, edges.len()));
                edges.push(GraphEdge {
                    from: node.id.clone(),
                    to: to.clone(),
                    route,
                    back: false,
                });
            }
        }
        let start = self
            .nodes
            .iter()
            .position(|n| n.kind == "start")
            .unwrap_or(0);
        mark_back_edges(start, &successors, &mut edges);
        let columns = longest_paths(&successors, &edges);
        let mut rows_used: Vec<usize> = Vec::new();
        let nodes = self
            .nodes
            .iter()
            .zip(columns)
            .map(|(node, column)| {
                if rows_used.len() <= column {
                    rows_used.resize(column + 1, 0);
                }
                let row = rows_used[column];
                rows_used[column] += 1;
                GraphNode {
                    id: node.id.clone(),
                    kind: node.kind.clone(),
                    column,
                    row,
                }
            })
            .collect();
        Graph {
            nodes,
            edges,
            columns: rows_used.len(),
            rows: rows_used.iter().copied().max().unwrap_or(0),
        }
    }
}

/// Marks the edges a depth-first walk from `start` finds going back to a node still on its
/// path: the edges that close loops. Iterative, so a 10 000-node chain does not exhaust the
/// stack; nodes the walk does not reach are walked from in file order afterwards.
fn mark_back_edges(start: usize, successors: &[Vec<(usize, usize)>], edges: &mut [GraphEdge]) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut marks = vec![Mark::New; successors.len()];
    let roots = std::iter::once(start).chain(0..successors.len());
    for root in roots {
        if root >= successors.len() || marks[root] != Mark::New {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        marks[root] = Mark::OnPath;
        while let Some((node, next_child)) = stack.last_mut() {
            let node = *node;
            if let Some(&(target, edge)) = successors[node].get(*next_child) {
                *next_child += 1;
                match marks[target] {
                    Mark::New => {
                        marks[target] = Mark::OnPath;
                        stack.push((target, 0));
                    }
                    Mark::OnPath => edges[edge].back = true,
                    Mark::Done => {}
                }
            } else {
                marks[node] = Mark::Done;
                stack.pop();
            }
        }
    }
}

/// The column of every node: the length of the longest forward path that reaches it.
fn longest_paths(successors: &[Vec<(usize, usize)>], edges: &[GraphEdge]) -> Vec<usize> {
    let mut incoming = vec![0usize; successors.len()];
    for outs in successors {
        for &(target, edge) in outs {
            if !edges[edge].back {
                incoming[target] += 1;
            }
        }
    }
    let mut column = vec![0usize; successors.len()];
    let mut ready: Vec<usize> = (0..successors.len())
        .filter(|&n| incoming[n] == 0)
        .collect();
    while let Some(node) = ready.pop() {
        for &(target, edge) in &successors[node] {
            if edges[edge].back {
                continue;
            }
            column[target] = column[target].max(column[node] + 1);
            incoming[target] -= 1;
            if incoming[target] == 0 {
                ready.push(target);
            }
        }
    }
    column
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(toml: &str) -> Shape {
        Shape::parse(toml).expect("a definition")
    }

    fn position(graph: &Graph, id: &str) -> (usize, usize) {
        let node = graph.nodes.iter().find(|n| n.id == id).expect("the node");
        (node.column, node.row)
    }

    #[test]
    fn a_fan_out_spreads_over_rows_and_its_join_sits_after_the_longest_branch() {
        let graph = shape(
            r#"
            [[nodes]]
            id = "start"
            kind = "start"
            next = ["a", "b"]
            [[nodes]]
            id = "a"
            kind = "set"
            next = ["join"]
            [[nodes]]
            id = "b"
            kind = "set"
            next = ["b2"]
            [[nodes]]
            id = "b2"
            kind = "set"
            next = ["join"]
            [[nodes]]
            id = "join"
            kind = "end"
            "#,
        )
        .layout();
        assert_eq!(position(&graph, "start"), (0, 0));
        assert_eq!(position(&graph, "a"), (1, 0));
        assert_eq!(position(&graph, "b"), (1, 1));
        assert_eq!(position(&graph, "b2"), (2, 0));
        assert_eq!(position(&graph, "join"), (3, 0));
        assert_eq!((graph.columns, graph.rows), (4, 2));
        assert!(graph.edges.iter().all(|e| !e.back));
    }

    #[test]
    fn a_loop_back_is_marked_and_does_not_push_its_target_right() {
        let graph = shape(
            r#"
            [[nodes]]
            id = "start"
            kind = "start"
            next = ["check"]
            [[nodes]]
            id = "check"
            kind = "route"
            routes = { ok = "done", revise = "revise" }
            [[nodes]]
            id = "revise"
            kind = "set"
            next = ["check"]
            [[nodes]]
            id = "done"
            kind = "end"
            "#,
        )
        .layout();
        let back: Vec<_> = graph.edges.iter().filter(|e| e.back).collect();
        assert_eq!(back.len(), 1);
        assert_eq!(
            (back[0].from.as_str(), back[0].to.as_str()),
            ("revise", "check")
        );
        assert_eq!(position(&graph, "check").0, 1);
        assert_eq!(position(&graph, "revise").0, 2);
        let route = graph
            .edges
            .iter()
            .find(|e| e.to == "done")
            .expect("route edge");
        assert_eq!(route.route.as_deref(), Some("ok"));
    }

    #[test]
    fn a_long_chain_lays_out_without_recursion() {
        let mut text = String::new();
        let n = 20_000;
        for i in 0..n {
            let kind = if i == 0 { "start" } else { "set" };
            text.push_str(&format!("[[nodes]]\nid = \"n{i}\"\nkind = \"{kind}\"\n"));
            if i + 1 < n {
                text.push_str(&format!("next = [\"n{}\"]\n", i + 1));
            }
        }
        let graph = shape(&text).layout();
        assert_eq!(position(&graph, &format!("n{}", n - 1)), (n - 1, 0));
        assert_eq!(graph.columns, n);
    }

    #[test]
    fn a_definition_that_is_not_toml_has_no_shape() {
        assert!(Shape::parse("nodes = [").is_none());
    }
}
