//! [`SqliteStore`]: the `RunStore` methods as SQL, run on the blocking pool.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use nadoo_flow_core::run_store::{
    JournalEntry, Lease, LeaseHolder, Millis, RunFilter, RunRecord, StoredRun, now_millis,
};
use nadoo_flow_core::{Error, Result, RunStore, StoreType, StoreUrl, WorkflowStatus, store};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::schema;

/// Options of an SQLite store, from its URL's query: `sqlite://runs.db?busy_timeout_ms=10000`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SqliteConfig {
    /// How long a write waits for another process's write to finish, in milliseconds.
    /// Default: 5 000.
    pub busy_timeout_ms: u64,
}

impl Default for SqliteConfig {
    fn default() -> Self {
        SqliteConfig {
            busy_timeout_ms: 5_000,
        }
    }
}

/// Runs kept in an SQLite file, in WAL mode: durable across process crashes, shared by the
/// processes of one machine.
#[store("sqlite")]
pub struct SqliteStore {
    path: PathBuf,
    url: String,
    conn: Arc<Mutex<Connection>>,
    /// Where each run's journal ends, once this store has appended to it: the next append
    /// needs no query to find out. A run is appended to by the one process that holds its
    /// lease; should another have appended meanwhile, the key conflict sends the append to
    /// read where the journal ends after all.
    next_seq: Arc<Mutex<HashMap<String, i64>>>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the store at `path`, making the file and its directory when missing.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] naming the file when it cannot be made, is not an SQLite database, or
    /// holds another layout.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path.as_ref().to_owned(), SqliteConfig::default()).await
    }

    /// [`open`](Self::open) with options.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open).
    pub async fn open_with(path: PathBuf, config: SqliteConfig) -> Result<Self> {
        let url = format!("sqlite://{}", path.display());
        let failed = |message: String| Error::Store {
            store: url.clone(),
            message,
        };
        let opened = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || -> std::result::Result<Connection, String> {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| format!("cannot make directory {}: {e}", dir.display()))?;
                }
                let conn = Connection::open(&path).map_err(|e| e.to_string())?;
                schema::prepare(&conn, config.busy_timeout_ms)?;
                Ok(conn)
            })
            .await
        };
        let conn = match opened {
            Ok(Ok(conn)) => conn,
            Ok(Err(message)) => return Err(failed(message)),
            Err(join) => return Err(failed(format!("opening it stopped: {join}"))),
        };
        Ok(SqliteStore {
            path,
            url,
            conn: Arc::new(Mutex::new(conn)),
            next_seq: Arc::default(),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on the connection, off the async threads; SQLite's errors become
    /// [`Error::Store`] naming this store.
    async fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection, &str) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        // On a multi-threaded runtime the short write runs where the caller is, its worker's
        // other tasks moving to another thread meanwhile: no hand-over to the blocking pool
        // and back for every journal append.
        if let Ok(runtime) = tokio::runtime::Handle::try_current()
            && runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
        {
            return tokio::task::block_in_place(|| {
                let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
                work(&mut conn, &self.url)
            });
        }
        let conn = Arc::clone(&self.conn);
        let url = self.url.clone();
        let failed_url = self.url.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut conn, &url)
        })
        .await
        .unwrap_or_else(|join| {
            Err(Error::Store {
                store: failed_url,
                message: format!("the query stopped: {join}"),
            })
        })
    }
}

/// SQLite's error as the store's.
fn sql(url: &str) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::Store {
        store: url.to_owned(),
        message: e.to_string(),
    }
}

/// A value the store wrote that does not read back.
fn corrupt(url: &str, run_id: &str, what: &str, e: impl fmt::Display) -> Error {
    Error::Store {
        store: url.to_owned(),
        message: format!(
            "run `{run_id}`: its {what} does not read back ({e}); the file is damaged"
        ),
    }
}

fn unknown(url: &str, run_id: &str) -> Error {
    Error::UnknownRun {
        run_id: run_id.to_owned(),
        store: url.to_owned(),
    }
}

fn status_text(status: WorkflowStatus) -> &'static str {
    status.as_str()
}

fn parse_status(url: &str, run_id: &str, text: &str) -> Result<WorkflowStatus> {
    serde_json::from_value(Value::String(text.to_owned()))
        .map_err(|e| corrupt(url, run_id, "status", e))
}

/// A `runs` row as read: every column but the lease.
type Row = (
    String,
    String,
    Option<String>,
    i64,
    String,
    String,
    Option<String>,
    i64,
    i64,
);

const RECORD_COLUMNS: &str =
    "run_id, workflow, definition, fingerprint, input, status, error, created, updated";

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

fn record(url: &str, row: Row) -> Result<RunRecord> {
    let (run_id, workflow, definition, fingerprint, input, status, error, created, updated) = row;
    let input = serde_json::from_str(&input).map_err(|e| corrupt(url, &run_id, "input", e))?;
    let status = parse_status(url, &run_id, &status)?;
    Ok(RunRecord {
        workflow,
        definition,
        // Kept as the same 64 bits.
        fingerprint: fingerprint.cast_unsigned(),
        input,
        status,
        error,
        created: created.cast_unsigned(),
        updated: updated.cast_unsigned(),
        run_id,
    })
}

/// A run's lease, if one was taken; [`Error::UnknownRun`] when the run is not there.
fn read_lease(conn: &Connection, url: &str, run_id: &str) -> Result<Option<Lease>> {
    let text: Option<String> = conn
        .query_row(
            "SELECT lease FROM runs WHERE run_id = ?1",
            [run_id],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql(url))?
        .ok_or_else(|| unknown(url, run_id))?;
    text.map(|text| serde_json::from_str(&text).map_err(|e| corrupt(url, run_id, "lease", e)))
        .transpose()
}

/// The sequence number after the last entry of a run's journal.
fn journal_end(conn: &Connection, url: &str, run_id: &str) -> Result<i64> {
    conn.prepare_cached("SELECT COALESCE(MAX(seq) + 1, 0) FROM journal WHERE run_id = ?1")
        .and_then(|mut query| query.query_row([run_id], |row| row.get(0)))
        .map_err(sql(url))
}

/// Whether an insert met an existing key: another writer appended to the same run.
fn is_conflict(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::ConstraintViolation
    )
}

fn exists(conn: &Connection, url: &str, run_id: &str) -> Result<bool> {
    conn.query_row("SELECT 1 FROM runs WHERE run_id = ?1", [run_id], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
        .map_err(sql(url))
}

impl StoreType for SqliteStore {
    type Config = SqliteConfig;

    async fn open(url: StoreUrl, config: SqliteConfig) -> Result<Self> {
        if url.location.is_empty() {
            return Err(Error::InvalidStoreUrl {
                url: url.redacted,
                message: "no file: write sqlite://PATH, such as sqlite://runs.db or \
                          sqlite:///var/lib/nadoo/runs.db"
                    .to_owned(),
            });
        }
        SqliteStore::open_with(PathBuf::from(url.location), config).await
    }
}

#[async_trait]
impl RunStore for SqliteStore {
    fn url(&self) -> &str {
        &self.url
    }

    async fn create(&self, record: &RunRecord) -> Result<()> {
        let record = record.clone();
        self.with(move |conn, url| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql(url))?;
            let existing: Option<String> = tx
                .query_row(
                    "SELECT status FROM runs WHERE run_id = ?1",
                    [&record.run_id],
                    |row| row.get(0),
                )
                .optional()
                .map_err(sql(url))?;
            if let Some(status) = existing {
                return Err(Error::RunExists {
                    run_id: record.run_id,
                    store: url.to_owned(),
                    status,
                });
            }
            let input = serde_json::to_string(&record.input)
                .map_err(|e| corrupt(url, &record.run_id, "input", e))?;
            // Entries a pruned run of the same id may have left are not this run's.
            tx.execute("DELETE FROM journal WHERE run_id = ?1", [&record.run_id])
                .map_err(sql(url))?;
            tx.execute(
                &format!("INSERT INTO runs ({RECORD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                params![
                    record.run_id,
                    record.workflow,
                    record.definition,
                    record.fingerprint.cast_signed(),
                    input,
                    status_text(record.status),
                    record.error,
                    record.created.cast_signed(),
                    record.updated.cast_signed(),
                ],
            )
            .map_err(sql(url))?;
            tx.commit().map_err(sql(url))
        })
        .await
    }

    async fn append(&self, run_id: &str, entries: &[JournalEntry]) -> Result<()> {
        let run_id = run_id.to_owned();
        let mut texts = Vec::with_capacity(entries.len());
        for entry in entries {
            texts.push(
                serde_json::to_string(entry)
                    .map_err(|e| corrupt(&self.url, &run_id, "journal entry", e))?,
            );
        }
        let next_seq = Arc::clone(&self.next_seq);
        self.with(move |conn, url| {
            // One transaction: the entries are kept all together or not at all.
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql(url))?;
            let cached = next_seq
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&run_id)
                .copied();
            let mut next = match cached {
                Some(next) => next,
                None => {
                    if !exists(&tx, url, &run_id)? {
                        return Err(unknown(url, &run_id));
                    }
                    journal_end(&tx, url, &run_id)?
                }
            };
            {
                let mut insert = tx
                    // Only while the run exists: another store on the file may have pruned it.
                    .prepare_cached(
                        "INSERT INTO journal (run_id, seq, entry) SELECT ?1, ?2, ?3
                         WHERE EXISTS (SELECT 1 FROM runs WHERE run_id = ?1)",
                    )
                    .map_err(sql(url))?;
                for text in &texts {
                    let inserted = match insert.execute(params![run_id, next, text]) {
                        Ok(inserted) => inserted,
                        Err(e) if is_conflict(&e) => {
                            next = journal_end(&tx, url, &run_id)?;
                            insert
                                .execute(params![run_id, next, text])
                                .map_err(sql(url))?
                        }
                        Err(e) => return Err(sql(url)(e)),
                    };
                    if inserted == 0 {
                        next_seq
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .remove(&run_id);
                        return Err(unknown(url, &run_id));
                    }
                    next += 1;
                }
            }
            tx.commit().map_err(sql(url))?;
            next_seq
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(run_id, next);
            Ok(())
        })
        .await
    }

    async fn set_status(
        &self,
        run_id: &str,
        status: WorkflowStatus,
        error: Option<&str>,
    ) -> Result<()> {
        if matches!(status, WorkflowStatus::Success | WorkflowStatus::Failed) {
            // A finished run gets no more appends: its position need not be remembered.
            self.next_seq
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(run_id);
        }
        let (run_id, error) = (run_id.to_owned(), error.map(str::to_owned));
        self.with(move |conn, url| {
            let changed = conn
                .execute(
                    "UPDATE runs SET status = ?2, error = ?3, updated = ?4 WHERE run_id = ?1",
                    params![
                        run_id,
                        status_text(status),
                        error,
                        now_millis().cast_signed()
                    ],
                )
                .map_err(sql(url))?;
            if changed == 0 {
                return Err(unknown(url, &run_id));
            }
            Ok(())
        })
        .await
    }

    async fn get(&self, run_id: &str) -> Result<StoredRun> {
        let run_id = run_id.to_owned();
        self.with(move |conn, url| {
            let tx = conn.transaction().map_err(sql(url))?;
            let row = tx
                .query_row(
                    &format!("SELECT {RECORD_COLUMNS} FROM runs WHERE run_id = ?1"),
                    [&run_id],
                    read_row,
                )
                .optional()
                .map_err(sql(url))?
                .ok_or_else(|| unknown(url, &run_id))?;
            let record = record(url, row)?;
            let mut query = tx
                .prepare("SELECT entry FROM journal WHERE run_id = ?1 ORDER BY seq")
                .map_err(sql(url))?;
            let texts = query
                .query_map([&run_id], |row| row.get::<_, String>(0))
                .map_err(sql(url))?
                .collect::<rusqlite::Result<Vec<String>>>()
                .map_err(sql(url))?;
            let journal = texts
                .iter()
                .map(|text| {
                    serde_json::from_str(text)
                        .map_err(|e| corrupt(url, &run_id, "journal entry", e))
                })
                .collect::<Result<Vec<JournalEntry>>>()?;
            let mut record = record;
            // Appends do not touch the record: it changed last with its newest entry.
            if let Some(last) = journal.last() {
                record.updated = record.updated.max(last.finished);
            }
            Ok(StoredRun { record, journal })
        })
        .await
    }

    async fn list(&self, filter: &RunFilter) -> Result<Vec<RunRecord>> {
        let filter = filter.clone();
        self.with(move |conn, url| {
            let limit = filter
                .limit
                .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
            let offset = i64::try_from(filter.offset).unwrap_or(i64::MAX);
            let mut query = conn
                .prepare_cached(&format!(
                    "SELECT {RECORD_COLUMNS} FROM runs
                     WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR workflow = ?2)
                     ORDER BY created DESC, run_id DESC LIMIT ?3 OFFSET ?4"
                ))
                .map_err(sql(url))?;
            let rows = query
                .query_map(
                    params![
                        filter.status.map(status_text),
                        filter.workflow,
                        limit,
                        offset
                    ],
                    read_row,
                )
                .map_err(sql(url))?
                .collect::<rusqlite::Result<Vec<Row>>>()
                .map_err(sql(url))?;
            rows.into_iter().map(|row| record(url, row)).collect()
        })
        .await
    }

    async fn lease(&self, run_id: &str, holder: &LeaseHolder, ttl: Duration) -> Result<()> {
        let (run_id, holder) = (run_id.to_owned(), holder.clone());
        self.with(move |conn, url| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql(url))?;
            if let Some(lease) = read_lease(&tx, url, &run_id)?
                && let Err(expires_in) = lease.may_be_taken_by(&holder)
            {
                return Err(Error::LeaseHeld {
                    run_id,
                    holder: lease.holder.to_string(),
                    expires_in,
                });
            }
            let lease = serde_json::to_string(&Lease::new(holder, ttl))
                .map_err(|e| corrupt(url, &run_id, "lease", e))?;
            tx.execute(
                "UPDATE runs SET lease = ?2 WHERE run_id = ?1",
                params![run_id, lease],
            )
            .map_err(sql(url))?;
            tx.commit().map_err(sql(url))
        })
        .await
    }

    async fn release(&self, run_id: &str, holder: &LeaseHolder) -> Result<()> {
        let (run_id, holder) = (run_id.to_owned(), holder.clone());
        self.with(move |conn, url| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql(url))?;
            // A run that is gone, or a lease that does not read, holds nothing to give up.
            let held = read_lease(&tx, url, &run_id).ok().flatten();
            if held.is_some_and(|lease| lease.holder == holder) {
                tx.execute("UPDATE runs SET lease = NULL WHERE run_id = ?1", [&run_id])
                    .map_err(sql(url))?;
            }
            tx.commit().map_err(sql(url))
        })
        .await
    }

    async fn prune(&self, before: Millis) -> Result<usize> {
        let next_seq = Arc::clone(&self.next_seq);
        self.with(move |conn, url| {
            next_seq
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql(url))?;
            let finished = "SELECT run_id FROM runs
                 WHERE status IN ('success', 'failed') AND updated < ?1";
            tx.execute(
                &format!("DELETE FROM journal WHERE run_id IN ({finished})"),
                [before.cast_signed()],
            )
            .map_err(sql(url))?;
            let pruned = tx
                .execute(
                    "DELETE FROM runs WHERE status IN ('success', 'failed') AND updated < ?1",
                    [before.cast_signed()],
                )
                .map_err(sql(url))?;
            tx.commit().map_err(sql(url))?;
            Ok(pruned)
        })
        .await
    }
}
