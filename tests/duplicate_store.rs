//! Two run stores registered under one name make every store registry call fail, naming both
//! sites.

use nadoo_flow::run_store::{JournalEntry, LeaseHolder, Millis, RunFilter, RunRecord, StoredRun};
use nadoo_flow::{
    Error, MemoryStore, Result, RunStore, StoreRegistry, StoreType, StoreUrl, WorkflowStatus,
    async_trait,
};

/// The first twin.
#[nadoo_flow::store("twin")]
#[derive(Debug, Default)]
struct One(MemoryStore);

/// The second twin.
#[nadoo_flow::store("twin")]
#[derive(Debug, Default)]
struct Two(MemoryStore);

/// Both twins keep runs in memory.
macro_rules! in_memory {
    ($($twin:ident),*) => {$(
        impl StoreType for $twin {
            type Config = ();
            async fn open(_: StoreUrl, (): ()) -> Result<Self> {
                Ok($twin::default())
            }
        }

        #[async_trait]
        impl RunStore for $twin {
            fn url(&self) -> &str {
                "twin://"
            }
            async fn create(&self, r: &RunRecord) -> Result<()> {
                self.0.create(r).await
            }
            async fn append(&self, id: &str, e: &[JournalEntry]) -> Result<()> {
                self.0.append(id, e).await
            }
            async fn set_status(&self, id: &str, s: WorkflowStatus, e: Option<&str>) -> Result<()> {
                self.0.set_status(id, s, e).await
            }
            async fn get(&self, id: &str) -> Result<StoredRun> {
                self.0.get(id).await
            }
            async fn list(&self, f: &RunFilter) -> Result<Vec<RunRecord>> {
                self.0.list(f).await
            }
            async fn lease(&self, id: &str, h: &LeaseHolder, t: std::time::Duration) -> Result<()> {
                self.0.lease(id, h, t).await
            }
            async fn release(&self, id: &str, h: &LeaseHolder) -> Result<()> {
                self.0.release(id, h).await
            }
            async fn prune(&self, b: Millis) -> Result<usize> {
                self.0.prune(b).await
            }
        }
    )*};
}

in_memory!(One, Two);

/// The lines of this file where the two registrations are written, found in its own text.
fn registration_lines() -> Vec<u32> {
    let attribute = ["#[nadoo_flow::store(", "\"twin\")]"].concat();
    include_str!("duplicate_store.rs")
        .lines()
        .zip(1..)
        .filter(|(line, _)| line.trim() == attribute)
        .map(|(_, number)| number)
        .collect()
}

fn assert_duplicate<T>(result: Result<T>) {
    let Err(err) = result else {
        panic!("a duplicate name fails every call");
    };
    let Error::DuplicateStore { name, sites } = &err else {
        panic!("expected DuplicateStore, got {err}");
    };
    assert_eq!(*name, "twin");
    let lines: Vec<u32> = sites.iter().map(|s| s.line).collect();
    assert_eq!(lines, registration_lines());
    assert_eq!(lines.len(), 2);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        err.to_string(),
        format!(
            "run store `twin` is registered more than once: by crate nadoo-flow {version} at \
             tests/duplicate_store.rs:{} and by crate nadoo-flow {version} at \
             tests/duplicate_store.rs:{}; store names must be unique among linked crates",
            lines[0], lines[1]
        )
    );
}

#[tokio::test]
async fn every_store_registry_call_reports_the_duplicate() {
    assert_duplicate(StoreRegistry::list());
    assert_duplicate(StoreRegistry::names());
    assert_duplicate(StoreRegistry::get("memory"));
    assert_duplicate(StoreRegistry::open("twin://").await);
    assert_duplicate(StoreRegistry::open("memory://").await);
}
