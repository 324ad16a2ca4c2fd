//! The SQLite run store passes the run store suite, each case on a new file.

use std::sync::Arc;

use nadoo_flow_conformance::stores;
use nadoo_flow_core::RunStore;
use nadoo_flow_store_sqlite::SqliteStore;

fn main() -> std::process::ExitCode {
    stores::run(|| {
        Box::pin(async {
            // Kept for the whole test process; the system's temp cleaning removes it.
            let dir = tempfile::tempdir().expect("a temp dir").keep();
            let store = SqliteStore::open(dir.join("runs.db"))
                .await
                .expect("a new store opens");
            Arc::new(store) as Arc<dyn RunStore>
        })
    })
}
