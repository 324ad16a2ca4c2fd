//! The in-memory run store passes the run store suite.

use std::sync::Arc;

use nadoo_flow::{MemoryStore, RunStore};
use nadoo_flow_conformance::stores;

fn main() -> std::process::ExitCode {
    stores::run(|| Box::pin(async { Arc::new(MemoryStore::new()) as Arc<dyn RunStore> }))
}
