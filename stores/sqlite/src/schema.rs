//! The file's tables, made on first open, and the checks that it is ours.

use rusqlite::{Connection, OptionalExtension};

/// The layout this version reads and writes.
pub(crate) const VERSION: &str = "1";

const TABLES: &str = "
CREATE TABLE IF NOT EXISTS nadoo_flow_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    workflow TEXT NOT NULL,
    definition TEXT,
    fingerprint INTEGER NOT NULL,
    input TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    lease TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_created ON runs (created DESC, run_id DESC);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, created DESC);
CREATE TABLE IF NOT EXISTS journal (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
";

/// Sets the connection up (WAL, waits for other writers up to `busy_timeout_ms`) and makes
/// the tables if the file is new. `Err` says what is wrong with the file.
pub(crate) fn prepare(conn: &Connection, busy_timeout_ms: u64) -> Result<(), String> {
    let sqlite = |e: rusqlite::Error| e.to_string();
    conn.busy_timeout(std::time::Duration::from_millis(busy_timeout_ms))
        .map_err(sqlite)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(sqlite)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!(
            "cannot switch the file to WAL mode (it stays in `{mode}`)"
        ));
    }
    conn.execute_batch("PRAGMA synchronous = NORMAL;")
        .map_err(sqlite)?;
    conn.execute_batch(TABLES).map_err(sqlite)?;
    conn.execute(
        "INSERT OR IGNORE INTO nadoo_flow_meta (key, value) VALUES ('schema', ?1)",
        [VERSION],
    )
    .map_err(sqlite)?;
    let version: Option<String> = conn
        .query_row(
            "SELECT value FROM nadoo_flow_meta WHERE key = 'schema'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(sqlite)?;
    match version.as_deref() {
        Some(VERSION) => Ok(()),
        other => Err(format!(
            "its runs are kept in layout {}, which this version (layout {VERSION}) cannot read",
            other.unwrap_or("unknown")
        )),
    }
}
