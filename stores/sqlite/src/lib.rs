//! A nadoo-flow run store in one SQLite file: `sqlite://PATH`.
//!
//! The file is in WAL mode with `synchronous = NORMAL`: every journal append is one
//! transaction that survives the process being killed at any moment (a power cut may lose the
//! last appends, never corrupt the file). Several processes may share a file; writes wait for
//! each other up to `busy_timeout_ms` (default 5 000).
//!
//! Linked by the facade's `sqlite` feature (on by default), the store registers itself as
//! `sqlite`, so `StoreRegistry::open("sqlite:///var/lib/nadoo/runs.db")` opens it.
//!
//! ```
//! use nadoo_flow_core::run_store::{JournalEntry, RunRecord, now_millis};
//! use nadoo_flow_core::{NodeStatus, RunStore, WorkflowStatus};
//! use nadoo_flow_store_sqlite::SqliteStore;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let dir = tempfile::tempdir().unwrap();
//! let store = SqliteStore::open(dir.path().join("runs.db")).await?;
//! let now = now_millis();
//! store.create(&RunRecord {
//!     run_id: "r1".into(), workflow: "hello".into(), definition: None, fingerprint: 7,
//!     input: Default::default(), status: WorkflowStatus::Running, error: None,
//!     created: now, updated: now,
//! }).await?;
//! store.append("r1", &[JournalEntry {
//!     node: "start".into(), iteration: 0, attempt: 1, status: NodeStatus::Success,
//!     output: serde_json::json!({}), route: None, next: None, globals: Default::default(),
//!     metadata: Default::default(), error: None, finished: now, duration_us: 12, element: None,
//! }]).await?;
//!
//! let run = store.get("r1").await?;
//! assert_eq!(run.record.fingerprint, 7);
//! assert_eq!(run.journal[0].node, "start");
//! # Ok::<(), nadoo_flow_core::Error>(())
//! # }).unwrap();
//! ```

mod schema;
mod store;

pub use self::store::{SqliteConfig, SqliteStore};
