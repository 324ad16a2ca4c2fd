//! The elements of composite nodes (`map`) in a durable run: each element's output is
//! journaled as it finishes, so that a resumed run, or another attempt of the node, runs only
//! the elements that have no recorded output.
//!
//! Element entries are [`JournalEntry`]s with `element` set, appended by the composite node
//! while it runs. The node's own entry, written when it ends, comes after them. Replay keeps
//! them here instead of finishing the node with them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;

use crate::context::NodeStatus;
use crate::run_store::{JournalEntry, RunStore, now_millis};

/// Where a durable run's element outputs are written, and those recorded so far, by node id,
/// node iteration and element index.
pub(crate) struct ElementLog {
    store: Arc<dyn RunStore>,
    run_id: String,
    recorded: Mutex<HashMap<(String, u32), HashMap<u32, Value>>>,
}

impl ElementLog {
    pub(super) fn new(store: Arc<dyn RunStore>, run_id: String) -> Self {
        Self {
            store,
            run_id,
            recorded: Mutex::new(HashMap::new()),
        }
    }

    /// Keeps a replayed element entry.
    pub(super) fn replayed(&self, entry: JournalEntry) {
        if let Some(index) = entry.element {
            self.remember(entry.node, entry.iteration, index, entry.output);
        }
    }

    /// The output recorded for element `index` of `node`'s execution in `iteration`.
    pub(crate) fn recorded(&self, node: &str, iteration: u32, index: u32) -> Option<Value> {
        self.lock()
            .get(&(node.to_owned(), iteration))
            .and_then(|elements| elements.get(&index))
            .cloned()
    }

    /// Journals element `index`'s output; once this returns, a resume will not run it again.
    pub(crate) async fn record(
        &self,
        node: &str,
        iteration: u32,
        index: u32,
        output: &Value,
        duration: Duration,
    ) -> crate::Result<()> {
        let entry = JournalEntry {
            node: node.to_owned(),
            iteration,
            attempt: 1,
            status: NodeStatus::Success,
            output: output.clone(),
            route: None,
            next: None,
            globals: serde_json::Map::new(),
            metadata: serde_json::Map::new(),
            error: None,
            finished: now_millis(),
            duration_us: u64::try_from(duration.as_micros()).unwrap_or(u64::MAX),
            element: Some(index),
        };
        self.store.append(&self.run_id, &[entry]).await?;
        self.remember(node.to_owned(), iteration, index, output.clone());
        Ok(())
    }

    fn remember(&self, node: String, iteration: u32, index: u32, output: Value) {
        self.lock()
            .entry((node, iteration))
            .or_default()
            .insert(index, output);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, u32), HashMap<u32, Value>>> {
        self.recorded.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What every node execution of a run shares besides the workflow: who listens to its
/// events, and, in a durable run, where composite nodes journal their elements.
#[derive(Clone, Default)]
pub(crate) struct RunScope {
    pub(crate) events: Option<Arc<super::events::Events>>,
    pub(crate) elements: Option<Arc<ElementLog>>,
}
