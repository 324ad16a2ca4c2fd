//! The shape of a workflow — its nodes and edges — and a fingerprint of it, so that a run
//! stopped on one workflow is never continued on another.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::checkpoint::NodeShape;
use crate::graph::workflow::{NodeRole, NodeSpec};

impl NodeShape {
    fn of(node: &NodeSpec) -> Self {
        let mut next: Vec<String> = node.next_ids().iter().map(|id| id.to_string()).collect();
        next.sort_unstable();
        next.dedup();
        NodeShape {
            id: node.id().to_owned(),
            role: match node.role() {
                NodeRole::Start => "start",
                NodeRole::End => "end",
                NodeRole::Task => "task",
            }
            .to_owned(),
            next,
            routes: node.routes().clone(),
        }
    }
}

/// The shape of `nodes`, sorted by id.
pub(crate) fn shape(nodes: &[NodeSpec]) -> Vec<NodeShape> {
    let mut shape: Vec<NodeShape> = nodes.iter().map(NodeShape::of).collect();
    shape.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    shape
}

/// A 64-bit FNV-1a hash of the shape of `nodes`: stable across processes, platforms and
/// releases, unlike `std`'s hasher.
pub(crate) fn fingerprint(nodes: &[NodeSpec]) -> u64 {
    let mut hash = Fnv::new();
    for node in shape(nodes) {
        hash.field(&node.id);
        hash.field(&node.role);
        for target in &node.next {
            hash.field("next");
            hash.field(target);
        }
        for (key, target) in &node.routes {
            hash.field("route");
            hash.field(key);
            hash.field(target);
        }
        hash.field("\u{0}end");
    }
    hash.finish()
}

/// FNV-1a, 64 bits.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    /// Hashes `text` followed by its length, so that fields never run into each other.
    fn field(&mut self, text: &str) {
        for &byte in text
            .as_bytes()
            .iter()
            .chain(&(text.len() as u64).to_le_bytes())
        {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// What changed from shape `before` to shape `after`, in words: nodes added, removed, and
/// nodes whose role or edges changed. At most ten items are named.
pub(crate) fn describe_changes(before: &[NodeShape], after: &[NodeShape]) -> String {
    let old: BTreeMap<&str, &NodeShape> = before.iter().map(|n| (n.id.as_str(), n)).collect();
    let new: BTreeMap<&str, &NodeShape> = after.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut changes = Vec::new();
    for id in new.keys().filter(|id| !old.contains_key(*id)) {
        changes.push(format!("node `{id}` was added"));
    }
    for id in old.keys().filter(|id| !new.contains_key(*id)) {
        changes.push(format!("node `{id}` was removed"));
    }
    for (id, was) in &old {
        let Some(is) = new.get(id) else { continue };
        if was.role != is.role {
            changes.push(format!(
                "node `{id}` was a {} node and is a {} node",
                was.role, is.role
            ));
        }
        if was.next != is.next || was.routes != is.routes {
            changes.push(format!(
                "edges of node `{id}` changed from {} to {}",
                edges(was),
                edges(is)
            ));
        }
    }
    if changes.is_empty() {
        return "its graph differs from this workflow's".to_owned();
    }
    let total = changes.len();
    let mut text = changes.into_iter().take(10).collect::<Vec<_>>().join("; ");
    if total > 10 {
        let _ = write!(text, "; and {} more changes", total - 10);
    }
    text
}

/// A node's edges in words: `next [a, b], routes {ok: c}`.
fn edges(node: &NodeShape) -> String {
    let routes: Vec<String> = node
        .routes
        .iter()
        .map(|(key, target)| format!("{key}: {target}"))
        .collect();
    format!(
        "next [{}], routes {{{}}}",
        node.next.join(", "),
        routes.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NodeSpec;

    #[test]
    fn the_order_of_next_does_not_change_the_fingerprint_but_an_edge_does() {
        let a = [
            NodeSpec::start("s").next("b").next("c"),
            NodeSpec::end("b"),
            NodeSpec::end("c"),
        ];
        let b = [
            NodeSpec::end("c"),
            NodeSpec::start("s").next("c").next("b"),
            NodeSpec::end("b"),
        ];
        let c = [
            NodeSpec::start("s").next("b"),
            NodeSpec::end("b"),
            NodeSpec::end("c"),
        ];
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
        assert_eq!(
            describe_changes(&shape(&a), &shape(&c)),
            "edges of node `s` changed from next [b, c], routes {} to next [b], routes {}"
        );
    }

    #[test]
    fn added_and_removed_nodes_are_named() {
        let before = [NodeSpec::start("s").next("x"), NodeSpec::end("x")];
        let after = [NodeSpec::start("s").next("y"), NodeSpec::end("y")];
        let text = describe_changes(&shape(&before), &shape(&after));
        assert!(text.contains("node `y` was added"), "{text}");
        assert!(text.contains("node `x` was removed"), "{text}");
    }

    #[test]
    fn fields_do_not_run_into_each_other() {
        let a = [NodeSpec::start("ab").next("c"), NodeSpec::end("c")];
        let b = [NodeSpec::start("a").next("bc"), NodeSpec::end("bc")];
        assert_ne!(fingerprint(&a), fingerprint(&b));
    }
}
