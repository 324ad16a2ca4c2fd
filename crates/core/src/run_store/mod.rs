//! Run stores: where a durable run keeps its record and its journal, so that it can be
//! continued after its process died, or after it stopped for input.
//!
//! The scheduler writes ahead: a node's completion is in the store before any of its
//! successors starts. [`resume`](crate::RunOptions::resume_run) replays the journal to rebuild
//! the run's position without running a journaled node again, and runs what is left; nodes that
//! were running when the process died run again (at least once per node, exactly one recorded
//! result). A lease stops two processes from driving one run at once.
//!
//! Stores are selected by URL from a link-time registry, as backends are by name
//! ([`StoreRegistry`](crate::StoreRegistry)): `memory://` is built in; `sqlite://PATH` and
//! `nats://HOST:PORT` come with their crates.
//!
//! ```
//! # use nadoo_flow_native as _;
//! use std::sync::Arc;
//! use nadoo_flow_core::{
//!     BackendRegistry, MemoryStore, NodeSpec, RunOptions, RunStore, Workflow, WorkflowContext,
//!     WorkflowStatus,
//! };
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store = Arc::new(MemoryStore::new());
//! let workflow = Workflow::builder("hello")
//!     .node(NodeSpec::start("start").next("end"))
//!     .node(NodeSpec::end("end"))
//!     .build()?;
//! let backend = BackendRegistry::create("native", ())?;
//! let options = RunOptions::new().store(store.clone()).run_id("run-1");
//! let done = backend.run_workflow(&workflow, WorkflowContext::new(), options).await?;
//! assert_eq!(done.workflow_id, "run-1");
//!
//! let stored = store.get("run-1").await?;
//! assert_eq!(stored.record.status, WorkflowStatus::Success);
//! assert_eq!(stored.journal.len(), 1); // `start`; end nodes do not execute
//! # Ok::<(), nadoo_flow_core::Error>(())
//! # }).unwrap();
//! ```

mod lease;
mod memory;
mod record;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

pub use self::lease::{LEASE_TTL, Lease, LeaseHolder};
pub use self::memory::MemoryStore;
pub use self::record::{
    JournalEntry, Millis, RunFilter, RunRecord, StoredRun, now_millis, to_millis,
};
use crate::context::WorkflowStatus;
use crate::error::Result;

/// A place that keeps runs: records, journals and leases.
///
/// Every method is one durable step: when it returns `Ok`, what it wrote survives the
/// process. Errors name the run id and the store's URL ([`RunStore::url`]).
#[async_trait]
pub trait RunStore: Send + Sync + fmt::Debug {
    /// The URL the store was opened with, credentials removed: what errors and listings name.
    fn url(&self) -> &str;

    /// Adds a new run.
    ///
    /// # Errors
    ///
    /// [`Error::RunExists`](crate::Error::RunExists) when the id is taken.
    async fn create(&self, record: &RunRecord) -> Result<()>;

    /// Appends entries to a run's journal, in order, in one durable write.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownRun`](crate::Error::UnknownRun) when the run is not there.
    async fn append(&self, run_id: &str, entries: &[JournalEntry]) -> Result<()>;

    /// Sets a run's status and error, and its `updated` time.
    async fn set_status(
        &self,
        run_id: &str,
        status: WorkflowStatus,
        error: Option<&str>,
    ) -> Result<()>;

    /// A run's record and journal.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownRun`](crate::Error::UnknownRun) when the run is not there.
    async fn get(&self, run_id: &str) -> Result<StoredRun>;

    /// Records of the runs `filter` selects, newest first.
    async fn list(&self, filter: &RunFilter) -> Result<Vec<RunRecord>>;

    /// Takes or renews the run's lease for `ttl`.
    ///
    /// # Errors
    ///
    /// [`Error::LeaseHeld`](crate::Error::LeaseHeld) while another holder's lease runs;
    /// [`Error::UnknownRun`](crate::Error::UnknownRun).
    async fn lease(&self, run_id: &str, holder: &LeaseHolder, ttl: Duration) -> Result<()>;

    /// Gives the lease up, if `holder` holds it.
    async fn release(&self, run_id: &str, holder: &LeaseHolder) -> Result<()>;

    /// Deletes finished runs (`success` or `failed`) last updated before `before`; returns
    /// how many.
    async fn prune(&self, before: Millis) -> Result<usize>;
}
