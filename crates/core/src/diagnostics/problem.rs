//! What can be wrong with a workflow graph.

use std::fmt;

use serde::Serialize;

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
