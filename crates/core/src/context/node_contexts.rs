//! `NodeContexts`: the records of a run's node executions, kept by node position.

use std::fmt;
use std::sync::{Arc, OnceLock};

use rustc_hash::FxHashMap;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::NodeContext;
use crate::node_id::NodeId;

/// The record of each node's latest execution in a run, at most one per node.
///
/// The scheduler keeps them by the node's position in its workflow, so recording one costs
/// no hashing; reading them goes by id, as with a map. Iteration follows the workflow's
/// node order. As JSON they are an object from node id to record.
///
/// ```
/// use nadoo_flow_core::{NodeContext, NodeContexts, NodeInput, NodeStatus};
///
/// let mut contexts = NodeContexts::default();
/// let mut done = NodeContext::new("draft", NodeInput::default());
/// done.status = NodeStatus::Success;
/// contexts.insert(done);
/// assert!(contexts.contains_key("draft"));
/// assert_eq!(contexts["draft"].status, NodeStatus::Success);
/// assert_eq!(contexts.len(), 1);
/// assert!(contexts.get("publish").is_none());
/// ```
#[derive(Clone, Default)]
pub struct NodeContexts {
    /// By node position once a run placed them; `None` for nodes without a record.
    slots: Vec<Option<NodeContext>>,
    len: usize,
    /// The position of a node id in the workflow that placed them.
    positions: Option<Positions>,
    /// Position by id, made when first needed after the last change, for records not
    /// placed by a workflow.
    index: OnceLock<FxHashMap<NodeId, u32>>,
}

/// The position of a node id in a workflow.
pub(crate) type Positions = Arc<dyn Fn(&str) -> Option<usize> + Send + Sync>;

impl NodeContexts {
    /// How many nodes have a record.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no node has a record.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn position(&self, id: &str) -> Option<usize> {
        if let Some(positions) = &self.positions {
            return positions(id).filter(|&p| {
                self.slots
                    .get(p)
                    .and_then(Option::as_ref)
                    .is_some_and(|ctx| ctx.node_id == id)
            });
        }
        let index = self.index.get_or_init(|| {
            let mut index = FxHashMap::default();
            index.reserve(self.len);
            for (position, slot) in self.slots.iter().enumerate() {
                if let Some(ctx) = slot {
                    index.insert(ctx.node_id.clone(), position as u32);
                }
            }
            index
        });
        index.get(id).map(|&p| p as usize)
    }

    /// The record of node `id`.
    pub fn get(&self, id: &str) -> Option<&NodeContext> {
        self.slots.get(self.position(id)?)?.as_ref()
    }

    /// The record of node `id`, to change.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut NodeContext> {
        let position = self.position(id)?;
        self.slots.get_mut(position)?.as_mut()
    }

    /// Whether node `id` has a record.
    pub fn contains_key(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// Records `ctx` as the execution of its node, replacing the node's earlier record.
    /// Returns the earlier one.
    pub fn insert(&mut self, ctx: NodeContext) -> Option<NodeContext> {
        let placed = self
            .positions
            .as_ref()
            .and_then(|positions| positions(&ctx.node_id));
        if let Some(slot) = placed.and_then(|p| self.slots.get_mut(p)) {
            let earlier = slot.replace(ctx);
            self.len += usize::from(earlier.is_none());
            return earlier;
        }
        match self.position(&ctx.node_id) {
            Some(position) => self.slots[position].replace(ctx),
            None => {
                // Not where a workflow would put it: the records go by the id index now.
                self.positions = None;
                self.index = OnceLock::new();
                self.slots.push(Some(ctx));
                self.len += 1;
                None
            }
        }
    }

    /// The records in node order, with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (&NodeId, &NodeContext)> {
        self.slots.iter().flatten().map(|ctx| (&ctx.node_id, ctx))
    }

    /// The records in node order.
    pub fn values(&self) -> impl Iterator<Item = &NodeContext> {
        self.slots.iter().flatten()
    }

    /// Arranges the records by the positions `position` gives their ids, with room for
    /// `nodes` nodes; a record whose id has no position is dropped. Lookups by id go through
    /// `position` from then on.
    pub(crate) fn place(&mut self, nodes: usize, position: Positions) {
        let placed = self.slots.len() == nodes
            && self.slots.iter().enumerate().all(|(p, slot)| {
                slot.as_ref()
                    .is_none_or(|c| position(&c.node_id) == Some(p))
            });
        if placed {
            self.positions = Some(position);
            return;
        }
        let mut slots: Vec<Option<NodeContext>> = Vec::with_capacity(nodes);
        slots.resize_with(nodes, || None);
        let mut len = 0;
        for ctx in std::mem::take(&mut self.slots).into_iter().flatten() {
            if let Some(p) = position(&ctx.node_id).filter(|&p| p < nodes) {
                len += usize::from(slots[p].is_none());
                slots[p] = Some(ctx);
            }
        }
        self.slots = slots;
        self.len = len;
        self.positions = Some(position);
        self.index = OnceLock::new();
    }

    /// The record of the node at `position`, once placed.
    pub(crate) fn at(&self, position: usize) -> Option<&NodeContext> {
        self.slots.get(position)?.as_ref()
    }

    /// Records `ctx` for the node at `position`, once placed.
    pub(crate) fn set_at(&mut self, position: usize, ctx: NodeContext) {
        let Some(slot) = self.slots.get_mut(position) else {
            self.insert(ctx);
            return;
        };
        if slot.is_none() {
            self.len += 1;
            if self.positions.is_none() {
                // An index made before misses the new id.
                self.index = OnceLock::new();
            }
        }
        *slot = Some(ctx);
    }
}

impl std::ops::Index<&str> for NodeContexts {
    type Output = NodeContext;

    /// The record of node `id`.
    ///
    /// # Panics
    ///
    /// When node `id` has no record; [`NodeContexts::get`] returns an `Option` instead.
    fn index(&self, id: &str) -> &NodeContext {
        match self.get(id) {
            Some(ctx) => ctx,
            None => panic!("node `{id}` has no record in this run"),
        }
    }
}

impl PartialEq for NodeContexts {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().all(|(id, ctx)| other.get(id) == Some(ctx))
    }
}

impl fmt::Debug for NodeContexts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for NodeContexts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len))?;
        for (id, ctx) in self.iter() {
            map.serialize_entry(id, ctx)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for NodeContexts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Records;

        impl<'de> Visitor<'de> for Records {
            type Value = NodeContexts;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from node id to node context")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<NodeContexts, A::Error> {
                let mut contexts = NodeContexts::default();
                while let Some((id, mut ctx)) = access.next_entry::<NodeId, NodeContext>()? {
                    // The key names the node; a record claiming another id is not believed.
                    ctx.node_id = id;
                    contexts.insert(ctx);
                }
                Ok(contexts)
            }
        }

        deserializer.deserialize_map(Records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::NodeInput;

    fn record(id: &str) -> NodeContext {
        NodeContext::new(id, NodeInput::default())
    }

    #[test]
    fn placing_keeps_records_by_position_and_lookups_by_id_work_after() {
        let mut contexts = NodeContexts::default();
        contexts.insert(record("b"));
        contexts.insert(record("a"));
        let order = ["a", "x", "b"];
        contexts.place(3, Arc::new(move |id| order.iter().position(|o| *o == id)));
        assert_eq!(contexts.at(0).map(|c| c.node_id.as_str()), Some("a"));
        assert!(contexts.at(1).is_none());
        assert_eq!(contexts["b"].node_id, "b");
        contexts.set_at(1, record("x"));
        assert_eq!(contexts.len(), 3);
        assert!(contexts.contains_key("x"));
        let ids: Vec<&str> = contexts.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["a", "x", "b"]);
    }

    #[test]
    fn a_record_inserted_after_placing_goes_to_its_node_position() {
        let mut contexts = NodeContexts::default();
        let order = ["a", "b", "c"];
        contexts.place(3, Arc::new(move |id| order.iter().position(|o| *o == id)));
        assert!(contexts.insert(record("c")).is_none());
        assert!(contexts.insert(record("c")).is_some());
        assert_eq!(contexts.at(2).map(|c| c.node_id.as_str()), Some("c"));
        assert_eq!(contexts.len(), 1);
        assert!(contexts.get("b").is_none());
        contexts.insert(record("stranger"));
        assert!(contexts.contains_key("stranger") && contexts.contains_key("c"));
        assert_eq!(contexts.len(), 2);
    }

    #[test]
    fn json_is_a_map_by_id_and_the_key_names_the_node() {
        let mut contexts = NodeContexts::default();
        contexts.insert(record("a"));
        let json = serde_json::to_value(&contexts).expect("serializes");
        assert!(json["a"].is_object());
        let mut forged = json.clone();
        forged["a"]["node_id"] = serde_json::json!("other");
        let back: NodeContexts = serde_json::from_value(forged).expect("deserializes");
        assert!(back.contains_key("a") && !back.contains_key("other"));
        assert_eq!(back, contexts);
    }
}
