//! What a run store keeps: one record per run, and the run's journal of node completions.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::context::{NodeStatus, WorkflowStatus};

/// Milliseconds since the Unix epoch: how stores keep time.
pub type Millis = u64;

/// Now, in milliseconds since the Unix epoch.
pub fn now_millis() -> Millis {
    to_millis(SystemTime::now())
}

/// `time` in milliseconds since the Unix epoch (0 before it).
pub fn to_millis(time: SystemTime) -> Millis {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// One run: what it runs, with what, and how far it got.
///
/// The record holds the workflow's definition itself (when the workflow can be written as
/// TOML), so that `resume` needs nothing but the run's id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run's id (the workflow context's `workflow_id`).
    pub run_id: String,
    /// The workflow's name.
    pub workflow: String,
    /// The workflow as TOML, when every node of it was made from a registered kind.
    pub definition: Option<String>,
    /// The workflow's fingerprint (nodes and edges): a resume on another workflow is refused.
    pub fingerprint: u64,
    /// The globals the run started with.
    pub input: Map<String, Value>,
    /// Where the run is: `running` while a process drives it (or until one resumes it after a
    /// crash), then `success`, `failed` or `interrupted`.
    pub status: WorkflowStatus,
    /// Why it failed, once it failed.
    pub error: Option<String>,
    /// When it was created.
    pub created: Millis,
    /// When it last changed: created, a journal entry, a new status.
    pub updated: Millis,
}

impl RunRecord {
    /// Whether the run ended for good (`success` or `failed`): it cannot be resumed, and
    /// `prune` may delete it.
    pub fn is_finished(&self) -> bool {
        matches!(
            self.status,
            WorkflowStatus::Success | WorkflowStatus::Failed
        )
    }
}

/// One node execution that ended, as the journal keeps it: enough to replay the run's
/// routing without running the node again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The node's id.
    pub node: String,
    /// The iteration of its loop (0 outside loops).
    #[serde(default)]
    pub iteration: u32,
    /// The attempt that ended it, counting from 1.
    pub attempt: u32,
    /// `success`, `failed` or `interrupted`.
    pub status: NodeStatus,
    /// What the node returned (`null` for a failure).
    #[serde(default)]
    pub output: Value,
    /// The route key it returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// The successor it chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The globals it wrote.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub globals: Map<String, Value>,
    /// The metadata it attached.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it ended.
    pub finished: Millis,
    /// How long it ran, every attempt included, in microseconds.
    pub duration_us: u64,
    /// For an element of a composite node (`map`): its index. Such an entry records the
    /// element's output while the node runs; the node's own entry comes after them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<u32>,
}

impl JournalEntry {
    /// How long the node ran.
    pub fn duration(&self) -> Duration {
        Duration::from_micros(self.duration_us)
    }
}

/// A run as a store returns it: its record and its journal, oldest entry first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRun {
    /// The run's record.
    pub record: RunRecord,
    /// Its journal, in the order the entries were appended.
    pub journal: Vec<JournalEntry>,
}

/// Which runs [`RunStore::list`](super::RunStore::list) returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunFilter {
    /// Only runs with this status.
    pub status: Option<WorkflowStatus>,
    /// Only runs of the workflow with this name.
    pub workflow: Option<String>,
    /// At most this many (newest first); `None` for all.
    pub limit: Option<usize>,
    /// Skip this many of the newest first.
    pub offset: usize,
}

impl RunFilter {
    /// Every run.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only runs with `status`.
    #[must_use]
    pub fn status(mut self, status: WorkflowStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only runs of `workflow`.
    #[must_use]
    pub fn workflow(mut self, workflow: impl Into<String>) -> Self {
        self.workflow = Some(workflow.into());
        self
    }

    /// At most `limit` runs, after skipping `offset`.
    #[must_use]
    pub fn page(mut self, offset: usize, limit: usize) -> Self {
        self.offset = offset;
        self.limit = Some(limit);
        self
    }

    /// The page of `records` (already filtered) the filter asks for: newest first (by creation
    /// time, then run id, both descending), after skipping `offset`, at most `limit`. Stores
    /// that list in memory use it, so that every store orders alike.
    pub fn page_of(&self, mut records: Vec<RunRecord>) -> Vec<RunRecord> {
        records.sort_by(|a, b| (b.created, &b.run_id).cmp(&(a.created, &a.run_id)));
        records
            .into_iter()
            .skip(self.offset)
            .take(self.limit.unwrap_or(usize::MAX))
            .collect()
    }

    /// Whether `record` passes the status and workflow conditions.
    pub fn matches(&self, record: &RunRecord) -> bool {
        self.status.is_none_or(|s| s == record.status)
            && self
                .workflow
                .as_deref()
                .is_none_or(|w| w == record.workflow)
    }
}
