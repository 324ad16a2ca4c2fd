//! What only a file can show: runs outlive the store that wrote them, two processes' stores
//! share a file, a killed writer leaves whole appends, and bad files and URLs are named.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use nadoo_flow_core::run_store::{JournalEntry, RunRecord, now_millis};
use nadoo_flow_core::{Error, NodeStatus, RunStore, StoreRegistry, WorkflowStatus};
use nadoo_flow_store_sqlite::SqliteStore;
use serde_json::json;

/// Set in the child that appends until it is killed.
const CHILD: &str = "NADOO_FLOW_SQLITE_TEST_WRITER";

fn record(run_id: &str) -> RunRecord {
    let now = now_millis();
    RunRecord {
        run_id: run_id.to_owned(),
        workflow: "w".to_owned(),
        definition: None,
        fingerprint: 1,
        input: Default::default(),
        status: WorkflowStatus::Running,
        error: None,
        created: now,
        updated: now,
    }
}

fn entry(node: &str, n: u32) -> JournalEntry {
    JournalEntry {
        node: node.to_owned(),
        iteration: n,
        attempt: 1,
        status: NodeStatus::Success,
        // Big enough that a write spans several pages.
        output: json!({ "text": "x".repeat(3_000), "n": n }),
        route: None,
        next: None,
        globals: Default::default(),
        metadata: Default::default(),
        error: None,
        finished: now_millis(),
        duration_us: 1,
        element: None,
    }
}

#[tokio::test]
async fn runs_outlive_the_store_that_wrote_them() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("nested/dir/runs.db");
    {
        let store = SqliteStore::open(&path)
            .await
            .expect("opens, making the directory");
        store.create(&record("r1")).await.expect("creates");
        store
            .append("r1", &[entry("a", 0), entry("b", 0)])
            .await
            .expect("appends");
        store
            .set_status("r1", WorkflowStatus::Interrupted, None)
            .await
            .expect("sets");
    }
    let store = SqliteStore::open(&path).await.expect("reopens");
    let run = store.get("r1").await.expect("reads");
    assert_eq!(run.record.status, WorkflowStatus::Interrupted);
    assert_eq!(run.journal.len(), 2);
    assert_eq!(run.journal[1].output["n"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_lose_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("runs.db");
    let first = Arc::new(SqliteStore::open(&path).await.expect("opens"));
    let second = Arc::new(SqliteStore::open(&path).await.expect("opens"));
    first.create(&record("shared")).await.expect("creates");
    let writers: Vec<_> = (0..4u32)
        .map(|w| {
            let store = if w % 2 == 0 {
                Arc::clone(&first)
            } else {
                Arc::clone(&second)
            };
            tokio::spawn(async move {
                for i in 0..25 {
                    let one = entry(&format!("w{w}"), i);
                    store
                        .append("shared", &[one.clone(), one])
                        .await
                        .expect("appends");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("a writer");
    }
    let journal = second.get("shared").await.expect("reads").journal;
    assert_eq!(journal.len(), 4 * 25 * 2);
    for pair in journal.chunks(2) {
        assert_eq!(pair[0], pair[1], "an append was split");
    }
}

#[tokio::test]
async fn a_file_that_is_not_a_store_is_named() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "these are not runs, just some text ".repeat(200)).expect("writes");
    let err = SqliteStore::open(&path).await.unwrap_err();
    assert!(matches!(err, Error::Store { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("run store `sqlite://{}` failed: ", path.display())),
        "{text}"
    );
    assert!(text.contains("not a database"), "{text}");
}

#[tokio::test]
async fn a_file_of_another_layout_is_refused() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("runs.db");
    drop(SqliteStore::open(&path).await.expect("opens"));
    // As a later version of the store would leave it.
    rusqlite::Connection::open(&path)
        .and_then(|conn| {
            conn.execute(
                "UPDATE nadoo_flow_meta SET value = '99' WHERE key = 'schema'",
                [],
            )
        })
        .expect("the layout changes");
    let err = SqliteStore::open(&path).await.unwrap_err();
    assert!(matches!(err, Error::Store { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("run store `sqlite://{}` failed: ", path.display())),
        "{text}"
    );
    assert!(text.contains("layout 99"), "{text}");
}

#[tokio::test]
async fn the_file_is_kept_in_wal_mode() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("runs.db");
    let store = SqliteStore::open(&path).await.expect("opens");
    store.create(&record("r1")).await.expect("creates");
    // The mode is a property of the file: another connection sees it.
    let mode: String = rusqlite::Connection::open(&path)
        .and_then(|conn| conn.query_row("PRAGMA journal_mode", [], |row| row.get(0)))
        .expect("reads the mode");
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn a_pruned_run_leaves_no_journal_behind() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = SqliteStore::open(dir.path().join("runs.db"))
        .await
        .expect("opens");
    store.create(&record("r1")).await.expect("creates");
    store
        .append("r1", &[entry("a", 0), entry("b", 0)])
        .await
        .expect("appends");
    store
        .set_status("r1", WorkflowStatus::Success, None)
        .await
        .expect("sets");
    let pruned = store.prune(now_millis() + 1).await.expect("prunes");
    assert_eq!(pruned, 1);
    // A new run under the same id starts with an empty journal.
    store.create(&record("r1")).await.expect("creates again");
    let run = store.get("r1").await.expect("reads");
    assert!(run.journal.is_empty(), "{:?}", run.journal);
}

#[tokio::test]
async fn urls_open_the_store_and_bad_options_are_named() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("runs.db");
    let url = format!("sqlite://{}?busy_timeout_ms=100", path.display());
    let store = StoreRegistry::open(&url).await.expect("opens by URL");
    assert_eq!(store.url(), format!("sqlite://{}", path.display()));

    let err = StoreRegistry::open("sqlite://").await.unwrap_err();
    assert!(
        err.to_string().contains("no file: write sqlite://PATH"),
        "{err}"
    );
    let err = StoreRegistry::open(&format!("sqlite://{}?busy_timeout_ms=soon", path.display()))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("option `busy_timeout_ms`"),
        "{err}"
    );
    let err = StoreRegistry::open(&format!("sqlite://{}?cache=big", path.display()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unknown field `cache`"), "{err}");
}

/// The child: appends batches of three entries until it is killed.
fn write_until_killed(path: &str) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let store = SqliteStore::open(path).await.expect("opens");
        store.create(&record("crash")).await.expect("creates");
        for n in 0.. {
            let batch = [entry("a", n), entry("b", n), entry("c", n)];
            store.append("crash", &batch).await.expect("appends");
        }
    });
}

#[test]
fn a_writer_killed_mid_append_leaves_only_whole_appends() {
    if let Ok(path) = std::env::var(CHILD) {
        write_until_killed(&path);
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("runs.db");
    for round in 0..5u64 {
        let _ = std::fs::remove_file(&path);
        let mut child = Command::new(std::env::current_exe().expect("this test binary"))
            .args([
                "--exact",
                "a_writer_killed_mid_append_leaves_only_whole_appends",
                "--nocapture",
            ])
            .env(CHILD, &path)
            .stdout(Stdio::null())
            .spawn()
            .expect("the writer starts");
        std::thread::sleep(Duration::from_millis(300 + round * 37));
        child.kill().expect("killed");
        child.wait().expect("reaped");

        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let journal = runtime.block_on(async {
            let store = SqliteStore::open(&path)
                .await
                .expect("the file reopens after the kill");
            store
                .get("crash")
                .await
                .expect("the run reads back")
                .journal
        });
        assert!(
            journal.len() >= 3,
            "round {round}: the writer wrote nothing in time"
        );
        assert_eq!(
            journal.len() % 3,
            0,
            "round {round}: a partial append: {}",
            journal.len()
        );
        for (i, batch) in journal.chunks(3).enumerate() {
            let nodes: Vec<&str> = batch.iter().map(|e| e.node.as_str()).collect();
            assert_eq!(nodes, ["a", "b", "c"], "round {round}, batch {i}");
            assert!(batch.iter().all(|e| e.iteration as usize == i));
        }
    }
}

#[tokio::test]
async fn an_append_to_a_run_another_store_pruned_is_refused() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("runs.db");
    let writer = SqliteStore::open(&path).await.expect("opens");
    let pruner = SqliteStore::open(&path).await.expect("opens");
    writer.create(&record("r1")).await.expect("creates");
    writer
        .append("r1", &[entry("a", 0)])
        .await
        .expect("appends");
    pruner
        .set_status("r1", WorkflowStatus::Success, None)
        .await
        .expect("finishes");
    assert_eq!(pruner.prune(now_millis() + 1).await.expect("prunes"), 1);

    let err = writer.append("r1", &[entry("b", 0)]).await.unwrap_err();
    assert!(matches!(err, Error::UnknownRun { .. }), "{err}");
    writer
        .create(&record("r1"))
        .await
        .expect("the id is free again");
    assert!(writer.get("r1").await.expect("reads").journal.is_empty());
}
