//! `nats://HOST:PORT`: runs kept in JetStream, so that any machine that reaches the server can
//! resume a run whose coordinator died.
//!
//! Records and leases live in a key-value bucket (`run.<id>`, `lease.<id>`, changed with
//! compare-and-set on their revision); each journal append is one message on
//! `<journal_prefix>.<id>` in a stream of its own, acknowledged by the server before the
//! append returns.

use std::collections::HashSet;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use async_nats::jetstream::kv::{self, CreateErrorKind};
use async_nats::jetstream::{self, consumer, stream};
use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use nadoo_flow_core::run_store::{
    JournalEntry, Lease, LeaseHolder, Millis, RunFilter, RunRecord, StoredRun,
};
use nadoo_flow_core::{Error, Result, RunStore, StoreType, StoreUrl, WorkflowStatus, store};
use serde::{Deserialize, Serialize};

use crate::client;
use crate::config::NatsConfig;

/// Options of a NATS run store, from its URL's query:
/// `nats://user:password@host:4222?bucket=runs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NatsStoreConfig {
    /// The key-value bucket of run records and leases. Default: `"nadoo_runs"`.
    pub bucket: String,
    /// The stream of journal entries. Default: `"NADOO_JOURNAL"`.
    pub stream: String,
    /// The prefix of journal subjects. Default: `"nadoo.journal"`.
    pub journal_prefix: String,
    /// Replicas of the bucket and stream in a JetStream cluster. Default: `1`.
    pub replicas: usize,
    /// Limit of connecting and of each request, in milliseconds. Default: `5000`.
    pub request_timeout_ms: u64,
    /// Subjects the server answers the store on, so that a user for the store may subscribe
    /// only there. Default: `"_INBOX"`.
    pub inbox_prefix: String,
}

impl Default for NatsStoreConfig {
    fn default() -> Self {
        NatsStoreConfig {
            bucket: "nadoo_runs".to_owned(),
            stream: "NADOO_JOURNAL".to_owned(),
            journal_prefix: "nadoo.journal".to_owned(),
            replicas: 1,
            request_timeout_ms: 5_000,
            inbox_prefix: "_INBOX".to_owned(),
        }
    }
}

/// Runs kept in NATS JetStream: records and leases in a key-value bucket, journals in a
/// stream.
#[store("nats")]
pub struct NatsStore {
    url: String,
    config: NatsStoreConfig,
    js: jetstream::Context,
    runs: kv::Store,
    journal: stream::Stream,
    /// Runs this store has seen exist, so that appends need not ask.
    known: Mutex<HashSet<String>>,
}

impl fmt::Debug for NatsStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsStore")
            .field("url", &self.url)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl StoreType for NatsStore {
    type Config = NatsStoreConfig;

    async fn open(url: StoreUrl, config: NatsStoreConfig) -> Result<Self> {
        let mut nats = NatsConfig::default();
        let (credentials, host) = match url.location.rsplit_once('@') {
            Some((credentials, host)) => (Some(credentials), host),
            None => (None, url.location.as_str()),
        };
        if host.is_empty() {
            return Err(Error::InvalidStoreUrl {
                url: url.redacted,
                message: "no server: write nats://HOST:PORT".to_owned(),
            });
        }
        nats.url = format!("nats://{host}");
        match credentials.map(|c| c.split_once(':')) {
            Some(Some((user, password))) => {
                nats.user = Some(user.to_owned());
                nats.password = Some(password.to_owned());
            }
            Some(None) => nats.token = credentials.map(str::to_owned),
            None => {}
        }
        nats.request_timeout = Duration::from_millis(config.request_timeout_ms);
        if config.inbox_prefix.is_empty() || config.inbox_prefix.contains([' ', '*', '>']) {
            return Err(Error::InvalidStoreUrl {
                url: url.redacted,
                message: format!(
                    "inbox_prefix `{}` must be a non-empty subject without spaces, `*` or `>`",
                    config.inbox_prefix
                ),
            });
        }
        nats.inbox_prefix.clone_from(&config.inbox_prefix);
        let failed = |doing: &str, e: &dyn fmt::Display| Error::Store {
            store: url.redacted.clone(),
            message: format!("{doing}: {e}"),
        };
        let (_, js) = client::connect(&nats, "nadoo-flow run store")
            .await
            .map_err(|e| failed("cannot connect", &strip_backend(&e)))?;
        // The bucket's stream is made here, as `create_key_value` would make it, because that
        // call first asks for account details that older servers (Debian's 2.9) answer in a
        // form it does not read.
        js.get_or_create_stream(stream::Config {
            name: format!("KV_{}", config.bucket),
            subjects: vec![format!("$KV.{}.>", config.bucket)],
            max_messages_per_subject: 1,
            storage: stream::StorageType::File,
            num_replicas: config.replicas,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            discard: stream::DiscardPolicy::New,
            ..Default::default()
        })
        .await
        .map_err(|e| failed(&format!("cannot open bucket `{}`", config.bucket), &e))?;
        let runs = js
            .get_key_value(&config.bucket)
            .await
            .map_err(|e| failed(&format!("cannot open bucket `{}`", config.bucket), &e))?;
        let journal = js
            .get_or_create_stream(stream::Config {
                name: config.stream.clone(),
                subjects: vec![format!("{}.>", config.journal_prefix)],
                storage: stream::StorageType::File,
                num_replicas: config.replicas,
                ..Default::default()
            })
            .await
            .map_err(|e| failed(&format!("cannot open stream `{}`", config.stream), &e))?;
        Ok(NatsStore {
            url: url.redacted,
            config,
            js,
            runs,
            journal,
            known: Mutex::default(),
        })
    }
}

/// A connection error without the backend's framing (`backend `nats` failed: `).
fn strip_backend(error: &Error) -> String {
    match error {
        Error::Backend { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

/// A run id as a key or subject token: letters, digits, `-` and `_` stay; every other byte
/// becomes `=XX`.
fn token(run_id: &str) -> String {
    let mut out = String::with_capacity(run_id.len());
    for byte in run_id.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("={byte:02X}"));
        }
    }
    out
}

impl NatsStore {
    fn failed(&self, doing: impl fmt::Display, e: impl fmt::Display) -> Error {
        Error::Store {
            store: self.url.clone(),
            message: format!("{doing}: {e}"),
        }
    }

    fn unknown(&self, run_id: &str) -> Error {
        Error::UnknownRun {
            run_id: run_id.to_owned(),
            store: self.url.clone(),
        }
    }

    fn subject(&self, run_id: &str) -> String {
        format!("{}.{}", self.config.journal_prefix, token(run_id))
    }

    /// The run's record and its revision.
    async fn record(&self, run_id: &str) -> Result<(RunRecord, u64)> {
        let entry = self
            .runs
            .entry(format!("run.{}", token(run_id)))
            .await
            .map_err(|e| self.failed(format_args!("cannot read run `{run_id}`"), e))?
            .filter(|e| e.operation == kv::Operation::Put)
            .ok_or_else(|| self.unknown(run_id))?;
        let record = serde_json::from_slice(&entry.value)
            .map_err(|e| self.failed(format_args!("run `{run_id}` does not read back"), e))?;
        Ok((record, entry.revision))
    }

    /// Changes the run's record with `change`, retrying when another writer got there first.
    async fn change(&self, run_id: &str, change: impl Fn(&mut RunRecord)) -> Result<()> {
        for _ in 0..16 {
            let (mut record, revision) = self.record(run_id).await?;
            change(&mut record);
            let value = serde_json::to_vec(&record).map_err(|e| self.failed("cannot write", e))?;
            match self
                .runs
                .update(format!("run.{}", token(run_id)), value.into(), revision)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => continue,
                Err(e) => return Err(self.failed(format_args!("cannot write run `{run_id}`"), e)),
            }
        }
        Err(self.failed(
            format_args!("cannot write run `{run_id}`"),
            "too many writers at once",
        ))
    }

    async fn journal_of(&self, run_id: &str) -> Result<Vec<JournalEntry>> {
        let subject = self.subject(run_id);
        let journal = self.journal.clone();
        let info = journal
            .info_with_subjects(&subject)
            .await
            .map_err(|e| self.failed("cannot read the journal", e))?;
        let count = info
            .try_collect::<std::collections::HashMap<String, usize>>()
            .await
            .map_err(|e| self.failed("cannot read the journal", e))?
            .get(&subject)
            .copied()
            .unwrap_or(0);
        let mut entries = Vec::new();
        if count == 0 {
            return Ok(entries);
        }
        let consumer = journal
            .create_consumer(consumer::pull::OrderedConfig {
                filter_subject: subject,
                ..Default::default()
            })
            .await
            .map_err(|e| self.failed("cannot read the journal", e))?;
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| self.failed("cannot read the journal", e))?;
        for _ in 0..count {
            let message = tokio::time::timeout(self.timeout(), messages.next())
                .await
                .map_err(|_| self.failed("cannot read the journal", "no answer in time"))?
                .ok_or_else(|| self.failed("cannot read the journal", "it ended early"))?
                .map_err(|e| self.failed("cannot read the journal", e))?;
            let batch: Vec<JournalEntry> =
                serde_json::from_slice(&message.payload).map_err(|e| {
                    self.failed(
                        format_args!("the journal of run `{run_id}` does not read back"),
                        e,
                    )
                })?;
            entries.extend(batch);
        }
        Ok(entries)
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(self.config.request_timeout_ms)
    }

    async fn lease_entry(&self, run_id: &str) -> Result<Option<(Lease, u64)>> {
        let entry = self
            .runs
            .entry(format!("lease.{}", token(run_id)))
            .await
            .map_err(|e| self.failed(format_args!("cannot read the lease of run `{run_id}`"), e))?;
        match entry.filter(|e| e.operation == kv::Operation::Put) {
            None => Ok(None),
            Some(entry) => {
                let lease = serde_json::from_slice(&entry.value)
                    .map_err(|e| self.failed("a lease does not read back", e))?;
                Ok(Some((lease, entry.revision)))
            }
        }
    }
}

#[async_trait]
impl RunStore for NatsStore {
    fn url(&self) -> &str {
        &self.url
    }

    async fn create(&self, record: &RunRecord) -> Result<()> {
        let value = serde_json::to_vec(record).map_err(|e| self.failed("cannot write", e))?;
        match self
            .runs
            .create(format!("run.{}", token(&record.run_id)), value.into())
            .await
        {
            Ok(_) => {}
            Err(e) if e.kind() == CreateErrorKind::AlreadyExists => {
                let (existing, _) = self.record(&record.run_id).await?;
                return Err(Error::RunExists {
                    run_id: record.run_id.clone(),
                    store: self.url.clone(),
                    status: existing.status.as_str().to_owned(),
                });
            }
            Err(e) => {
                return Err(self.failed(format_args!("cannot create run `{}`", record.run_id), e));
            }
        }
        // A journal left by a pruned run of the same id is not this run's.
        self.journal
            .purge()
            .filter(self.subject(&record.run_id))
            .await
            .map_err(|e| self.failed("cannot clear the journal", e))?;
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(record.run_id.clone());
        Ok(())
    }

    async fn append(&self, run_id: &str, entries: &[JournalEntry]) -> Result<()> {
        let known = self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(run_id);
        if !known {
            self.record(run_id).await?;
            self.known
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(run_id.to_owned());
        }
        if entries.is_empty() {
            return Ok(());
        }
        // One message per append: the entries are kept all together or not at all.
        let payload = serde_json::to_vec(entries).map_err(|e| self.failed("cannot write", e))?;
        let ack = self
            .js
            .publish(self.subject(run_id), Bytes::from(payload))
            .await
            .map_err(|e| self.failed(format_args!("cannot append to run `{run_id}`"), e))?;
        ack.await.map_err(|e| {
            self.failed(
                format_args!("the append to run `{run_id}` was not acknowledged"),
                e,
            )
        })?;
        Ok(())
    }

    async fn set_status(
        &self,
        run_id: &str,
        status: WorkflowStatus,
        error: Option<&str>,
    ) -> Result<()> {
        let now = nadoo_flow_core::run_store::now_millis();
        self.change(run_id, |record| {
            record.status = status;
            record.error = error.map(str::to_owned);
            record.updated = now;
        })
        .await
    }

    async fn get(&self, run_id: &str) -> Result<StoredRun> {
        let (mut record, _) = self.record(run_id).await?;
        let journal = self.journal_of(run_id).await?;
        if let Some(last) = journal.last() {
            record.updated = record.updated.max(last.finished);
        }
        Ok(StoredRun { record, journal })
    }

    async fn list(&self, filter: &RunFilter) -> Result<Vec<RunRecord>> {
        let keys: Vec<String> = match self.runs.keys().await {
            Ok(keys) => keys
                .try_collect()
                .await
                .map_err(|e| self.failed("cannot list runs", e))?,
            Err(e) => return Err(self.failed("cannot list runs", e)),
        };
        let mut records = Vec::new();
        for key in keys.iter().filter(|k| k.starts_with("run.")) {
            let Some(entry) = self
                .runs
                .get(key.as_str())
                .await
                .map_err(|e| self.failed("cannot list runs", e))?
            else {
                continue;
            };
            let record: RunRecord = serde_json::from_slice(&entry)
                .map_err(|e| self.failed(format_args!("`{key}` does not read back"), e))?;
            if filter.matches(&record) {
                records.push(record);
            }
        }
        Ok(filter.page_of(records))
    }

    async fn lease(&self, run_id: &str, holder: &LeaseHolder, ttl: Duration) -> Result<()> {
        self.record(run_id).await?;
        let key = format!("lease.{}", token(run_id));
        for _ in 0..16 {
            let current = self.lease_entry(run_id).await?;
            if let Some((lease, _)) = &current
                && let Err(expires_in) = lease.may_be_taken_by(holder)
            {
                return Err(Error::LeaseHeld {
                    run_id: run_id.to_owned(),
                    holder: lease.holder.to_string(),
                    expires_in,
                });
            }
            let value: Bytes = serde_json::to_vec(&Lease::new(holder.clone(), ttl))
                .map_err(|e| self.failed("cannot write", e))?
                .into();
            let written = match current {
                Some((_, revision)) => self
                    .runs
                    .update(&key, value, revision)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.kind() == kv::UpdateErrorKind::WrongLastRevision),
                None => self
                    .runs
                    .create(&key, value)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.kind() == CreateErrorKind::AlreadyExists),
            };
            match written {
                Ok(()) => return Ok(()),
                // Another holder got there first: look again.
                Err(true) => continue,
                Err(false) => {
                    return Err(self.failed(
                        format_args!("cannot lease run `{run_id}`"),
                        "the server refused the write",
                    ));
                }
            }
        }
        Err(self.failed(
            format_args!("cannot lease run `{run_id}`"),
            "too many holders at once",
        ))
    }

    async fn release(&self, run_id: &str, holder: &LeaseHolder) -> Result<()> {
        if let Some((lease, revision)) = self.lease_entry(run_id).await?
            && lease.holder == *holder
        {
            // Someone who took it meanwhile keeps it.
            let _ = self
                .runs
                .delete_expect_revision(format!("lease.{}", token(run_id)), Some(revision))
                .await;
        }
        Ok(())
    }

    async fn prune(&self, before: Millis) -> Result<usize> {
        let finished = self
            .list(&RunFilter::new())
            .await?
            .into_iter()
            .filter(|r| r.is_finished() && r.updated < before);
        let mut pruned = 0;
        for record in finished {
            let id = token(&record.run_id);
            self.runs.purge(format!("run.{id}")).await.map_err(|e| {
                self.failed(format_args!("cannot prune run `{}`", record.run_id), e)
            })?;
            let _ = self.runs.purge(format!("lease.{id}")).await;
            self.journal
                .purge()
                .filter(self.subject(&record.run_id))
                .await
                .map_err(|e| {
                    self.failed(format_args!("cannot prune run `{}`", record.run_id), e)
                })?;
            self.known
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&record.run_id);
            pruned += 1;
        }
        Ok(pruned)
    }
}
