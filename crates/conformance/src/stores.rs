//! The suite every run store must pass: what it keeps reads back, ids are unique, lists are
//! newest first and filtered, leases exclude, pruning deletes only finished runs, and
//! concurrent writers lose nothing.
//!
//! ```no_run
//! // tests/store_conformance.rs, declared with `harness = false`:
//! use std::sync::Arc;
//! use nadoo_flow_conformance::stores;
//! use nadoo_flow_core::{MemoryStore, RunStore};
//!
//! fn main() -> std::process::ExitCode {
//!     stores::run(|| Box::pin(async { Arc::new(MemoryStore::new()) as Arc<dyn RunStore> }))
//! }
//! ```

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};
use nadoo_flow_core::run_store::{
    JournalEntry, LEASE_TTL, LeaseHolder, RunFilter, RunRecord, now_millis,
};
use nadoo_flow_core::{Error, NodeStatus, RunStore, WorkflowStatus};
use serde_json::{Map, json};

/// Opens a fresh, empty store for one case.
pub type Open =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Arc<dyn RunStore>> + Send>> + Send + Sync>;

type Case = fn(Arc<dyn RunStore>) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        const CASES: &[(&str, Case)] = &[$((stringify!($name), |store| Box::pin($name(store)))),*];
    };
}

cases![
    a_record_reads_back_whole,
    a_taken_id_is_refused,
    appends_read_back_in_order,
    an_unknown_run_is_named,
    status_changes_are_kept,
    lists_are_newest_first_filtered_and_paged,
    a_lease_excludes_others_until_released_or_expired,
    prune_deletes_only_finished_old_runs,
    concurrent_writers_lose_nothing,
];

/// Every case, as test trials named `store::<case>`, each on a store `open` makes.
pub fn trials(
    open: impl Fn() -> Pin<Box<dyn Future<Output = Arc<dyn RunStore>> + Send>> + Send + Sync + 'static,
) -> Vec<Trial> {
    let open: Open = Arc::new(open);
    CASES
        .iter()
        .map(|&(name, case)| {
            let open = Arc::clone(&open);
            Trial::test(format!("store::{name}"), move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .map_err(|e| Failed::from(format!("no runtime: {e}")))?;
                runtime
                    .block_on(async move { case(open().await).await })
                    .map_err(Failed::from)
            })
        })
        .collect()
}

/// Runs the suite with the command line's test arguments.
pub fn run(
    open: impl Fn() -> Pin<Box<dyn Future<Output = Arc<dyn RunStore>> + Send>> + Send + Sync + 'static,
) -> ExitCode {
    libtest_mimic::run(&Arguments::from_args(), trials(open)).exit_code()
}

fn record(run_id: &str, workflow: &str, created: u64) -> RunRecord {
    let mut input = Map::new();
    input.insert("topic".to_owned(), json!("stores"));
    RunRecord {
        run_id: run_id.to_owned(),
        workflow: workflow.to_owned(),
        definition: Some("name = \"w\"\n".to_owned()),
        fingerprint: u64::MAX - 7,
        input,
        status: WorkflowStatus::Running,
        error: None,
        created,
        updated: created,
    }
}

fn entry(node: &str, iteration: u32) -> JournalEntry {
    let mut globals = Map::new();
    globals.insert("seen".to_owned(), json!([node, iteration]));
    JournalEntry {
        node: node.to_owned(),
        iteration,
        attempt: 2,
        status: NodeStatus::Success,
        output: json!({ "node": node, "text": "ünïcødé ✓", "n": 1.5 }),
        route: Some("again".to_owned()),
        next: None,
        globals,
        metadata: Map::new(),
        error: None,
        finished: now_millis(),
        duration_us: 1_234,
        element: None,
    }
}

fn check(condition: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if condition { Ok(()) } else { Err(what()) }
}

fn ok<T>(result: nadoo_flow_core::Result<T>, doing: &str) -> Result<T, String> {
    result.map_err(|e| format!("{doing}: {e}"))
}

async fn a_record_reads_back_whole(store: Arc<dyn RunStore>) -> Result<(), String> {
    let written = record("r1", "w", 1_000);
    ok(store.create(&written).await, "create")?;
    let run = ok(store.get("r1").await, "get")?;
    check(run.record == written, || {
        format!("wrote {written:?}, read {:?}", run.record)
    })?;
    check(run.journal.is_empty(), || {
        format!("a new run has a journal: {:?}", run.journal)
    })
}

async fn a_taken_id_is_refused(store: Arc<dyn RunStore>) -> Result<(), String> {
    ok(store.create(&record("r1", "w", 1)).await, "create")?;
    match store.create(&record("r1", "other", 2)).await {
        Err(Error::RunExists { run_id, status, .. }) => {
            check(run_id == "r1" && status == "running", || {
                format!("RunExists names `{run_id}` with status `{status}`")
            })?;
        }
        other => return Err(format!("a second create of `r1` gave {other:?}")),
    }
    let run = ok(store.get("r1").await, "get")?;
    check(run.record.workflow == "w", || {
        "the refused create overwrote the run".to_owned()
    })
}

async fn appends_read_back_in_order(store: Arc<dyn RunStore>) -> Result<(), String> {
    ok(store.create(&record("r1", "w", 1)).await, "create")?;
    let first = [entry("a", 0), entry("b", 0)];
    let second = [entry("a", 1)];
    ok(store.append("r1", &first).await, "append")?;
    ok(store.append("r1", &[]).await, "append nothing")?;
    ok(store.append("r1", &second).await, "append")?;
    let run = ok(store.get("r1").await, "get")?;
    let expected: Vec<JournalEntry> = first.into_iter().chain(second).collect();
    check(run.journal == expected, || {
        format!("appended {expected:?}, read {:?}", run.journal)
    })?;
    check(run.record.updated >= run.record.created, || {
        "updated went back".to_owned()
    })
}

async fn an_unknown_run_is_named(store: Arc<dyn RunStore>) -> Result<(), String> {
    let holder = LeaseHolder::this_process();
    let results = [
        ("get", store.get("ghost").await.map(|_| ())),
        ("append", store.append("ghost", &[entry("a", 0)]).await),
        (
            "set_status",
            store
                .set_status("ghost", WorkflowStatus::Failed, None)
                .await,
        ),
        ("lease", store.lease("ghost", &holder, LEASE_TTL).await),
    ];
    for (call, result) in results {
        match result {
            Err(Error::UnknownRun { run_id, store: url }) if run_id == "ghost" => {
                check(url == store.url(), || {
                    format!("{call}: names store `{url}`")
                })?;
            }
            other => return Err(format!("{call} of an unknown run gave {other:?}")),
        }
    }
    Ok(())
}

async fn status_changes_are_kept(store: Arc<dyn RunStore>) -> Result<(), String> {
    ok(store.create(&record("r1", "w", 1)).await, "create")?;
    ok(
        store
            .set_status("r1", WorkflowStatus::Failed, Some("node `x` failed"))
            .await,
        "set_status",
    )?;
    let run = ok(store.get("r1").await, "get")?;
    check(
        run.record.status == WorkflowStatus::Failed
            && run.record.error.as_deref() == Some("node `x` failed")
            && run.record.is_finished(),
        || format!("read {:?}", run.record),
    )?;
    ok(
        store
            .set_status("r1", WorkflowStatus::Interrupted, None)
            .await,
        "set_status",
    )?;
    let run = ok(store.get("r1").await, "get")?;
    check(
        run.record.status == WorkflowStatus::Interrupted && run.record.error.is_none(),
        || format!("read {:?}", run.record),
    )
}

async fn lists_are_newest_first_filtered_and_paged(store: Arc<dyn RunStore>) -> Result<(), String> {
    for (id, workflow, created) in [
        ("a", "w1", 10),
        ("b", "w2", 30),
        ("c", "w1", 20),
        ("d", "w1", 30),
    ] {
        ok(store.create(&record(id, workflow, created)).await, "create")?;
    }
    ok(
        store.set_status("c", WorkflowStatus::Success, None).await,
        "set_status",
    )?;
    let ids = |records: Vec<RunRecord>| records.into_iter().map(|r| r.run_id).collect::<Vec<_>>();
    let all = ids(ok(store.list(&RunFilter::new()).await, "list")?);
    check(all == ["d", "b", "c", "a"], || {
        format!("newest first (ties by id, descending): {all:?}")
    })?;
    let w1 = ids(ok(
        store.list(&RunFilter::new().workflow("w1")).await,
        "list",
    )?);
    check(w1 == ["d", "c", "a"], || format!("workflow w1: {w1:?}"))?;
    let done = ids(ok(
        store
            .list(&RunFilter::new().status(WorkflowStatus::Success))
            .await,
        "list",
    )?);
    check(done == ["c"], || format!("status success: {done:?}"))?;
    let page = ids(ok(store.list(&RunFilter::new().page(1, 2)).await, "list")?);
    check(page == ["b", "c"], || {
        format!("offset 1, limit 2: {page:?}")
    })?;
    let past = ids(ok(store.list(&RunFilter::new().page(9, 2)).await, "list")?);
    check(past.is_empty(), || format!("past the end: {past:?}"))
}

async fn a_lease_excludes_others_until_released_or_expired(
    store: Arc<dyn RunStore>,
) -> Result<(), String> {
    ok(store.create(&record("r1", "w", 1)).await, "create")?;
    let me = LeaseHolder::this_process();
    let other = LeaseHolder {
        token: "other".to_owned(),
        ..LeaseHolder::this_process()
    };
    ok(store.lease("r1", &me, LEASE_TTL).await, "lease")?;
    ok(store.lease("r1", &me, LEASE_TTL).await, "renew")?;
    match store.lease("r1", &other, LEASE_TTL).await {
        Err(Error::LeaseHeld {
            run_id, expires_in, ..
        }) => check(
            run_id == "r1" && expires_in > Duration::from_secs(20),
            || format!("LeaseHeld names `{run_id}`, expiring in {expires_in:?}"),
        )?,
        other => return Err(format!("a second holder's lease gave {other:?}")),
    }
    ok(store.release("r1", &other).await, "release by a non-holder")?;
    check(store.lease("r1", &other, LEASE_TTL).await.is_err(), || {
        "a release by someone else freed the lease".to_owned()
    })?;
    ok(store.release("r1", &me).await, "release")?;
    ok(
        store.lease("r1", &other, Duration::ZERO).await,
        "lease after release",
    )?;
    // Expired at once: anyone may take it.
    ok(
        store.lease("r1", &me, LEASE_TTL).await,
        "lease after expiry",
    )
}

async fn prune_deletes_only_finished_old_runs(store: Arc<dyn RunStore>) -> Result<(), String> {
    for id in [
        "old-done",
        "old-failed",
        "old-running",
        "old-waiting",
        "new-done",
    ] {
        ok(store.create(&record(id, "w", 1)).await, "create")?;
        ok(store.append(id, &[entry("a", 0)]).await, "append")?;
    }
    ok(
        store
            .set_status("old-done", WorkflowStatus::Success, None)
            .await,
        "status",
    )?;
    ok(
        store
            .set_status("old-failed", WorkflowStatus::Failed, Some("x"))
            .await,
        "status",
    )?;
    ok(
        store
            .set_status("old-waiting", WorkflowStatus::Interrupted, None)
            .await,
        "status",
    )?;
    let cutoff = now_millis() + 1;
    tokio::time::sleep(Duration::from_millis(5)).await;
    ok(
        store
            .set_status("new-done", WorkflowStatus::Success, None)
            .await,
        "status",
    )?;
    let pruned = ok(store.prune(cutoff).await, "prune")?;
    check(pruned == 2, || {
        format!("pruned {pruned}, expected the 2 old finished runs")
    })?;
    let left: BTreeSet<String> = ok(store.list(&RunFilter::new()).await, "list")?
        .into_iter()
        .map(|r| r.run_id)
        .collect();
    let expected: BTreeSet<String> = ["new-done", "old-running", "old-waiting"]
        .map(String::from)
        .into();
    check(left == expected, || format!("left {left:?}"))?;
    check(
        matches!(store.get("old-done").await, Err(Error::UnknownRun { .. })),
        || "a pruned run still reads back".to_owned(),
    )
}

async fn concurrent_writers_lose_nothing(store: Arc<dyn RunStore>) -> Result<(), String> {
    ok(store.create(&record("shared", "w", 1)).await, "create")?;
    let writers: Vec<_> = (0..8u32)
        .map(|writer| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let own = format!("own-{writer}");
                store.create(&record(&own, "w", 2)).await?;
                for i in 0..20u32 {
                    let one = entry(&format!("w{writer}"), i);
                    let pair = [one.clone(), one];
                    store.append("shared", &pair).await?;
                    store.append(&own, &pair[..1]).await?;
                }
                Ok::<(), Error>(())
            })
        })
        .collect();
    for writer in writers {
        ok(
            writer
                .await
                .map_err(|e| Error::Store {
                    store: "test".into(),
                    message: e.to_string(),
                })
                .and_then(|r| r),
            "writer",
        )?;
    }
    let shared = ok(store.get("shared").await, "get")?.journal;
    check(shared.len() == 8 * 20 * 2, || {
        format!("{} entries in the shared run", shared.len())
    })?;
    // Each append's two entries stay side by side.
    for pair in shared.chunks(2) {
        check(pair[0] == pair[1], || {
            format!("an append was split: {pair:?}")
        })?;
    }
    for writer in 0..8 {
        let own = ok(store.get(&format!("own-{writer}")).await, "get")?.journal;
        let iterations: Vec<u32> = own.iter().map(|e| e.iteration).collect();
        check(iterations == (0..20).collect::<Vec<_>>(), || {
            format!("writer {writer}'s own journal: {iterations:?}")
        })?;
    }
    Ok(())
}
