//! `IdIndex`: finds a node's position by its id, storing positions only.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use crate::graph::workflow::NodeSpec;

/// The position of every node by its id. The table holds positions (4 bytes each) and hashes
/// the ids where the nodes keep them, instead of holding a second reference to every id:
/// a tenth of a map from id to position for a large workflow.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdIndex {
    table: HashTable<u32>,
}

impl IdIndex {
    /// The index of `nodes`, whose ids are unique.
    pub(crate) fn new(nodes: &[NodeSpec]) -> Self {
        let mut table = HashTable::with_capacity(nodes.len());
        for (position, node) in nodes.iter().enumerate() {
            let position = u32::try_from(position).unwrap_or(u32::MAX);
            table.insert_unique(hash(node.id()), position, |&p| hash(nodes[p as usize].id()));
        }
        IdIndex { table }
    }

    /// The position of node `id` in `nodes` (the nodes the index was made of).
    pub(crate) fn get(&self, nodes: &[NodeSpec], id: &str) -> Option<usize> {
        self.table
            .find(hash(id), |&p| nodes[p as usize].id() == id)
            .map(|&p| p as usize)
    }
}

fn hash(id: &str) -> u64 {
    FxBuildHasher.hash_one(id)
}
