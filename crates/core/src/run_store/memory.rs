//! `memory://`: runs kept in this process, for tests and for programs that only want
//! interrupt and resume without a file.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use super::RunStore;
use super::lease::{Lease, LeaseHolder};
use super::record::{JournalEntry, Millis, RunFilter, RunRecord, StoredRun, now_millis};
use crate::context::WorkflowStatus;
use crate::error::{Error, Result};

/// A run store in this process's memory: gone with the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    runs: Mutex<HashMap<String, (StoredRun, Option<Lease>)>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn runs(&self) -> MutexGuard<'_, HashMap<String, (StoredRun, Option<Lease>)>> {
        self.runs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn unknown(&self, run_id: &str) -> Error {
        Error::UnknownRun {
            run_id: run_id.to_owned(),
            store: self.url().to_owned(),
        }
    }
}

#[async_trait]
impl RunStore for MemoryStore {
    fn url(&self) -> &str {
        "memory://"
    }

    async fn create(&self, record: &RunRecord) -> Result<()> {
        let mut runs = self.runs();
        if let Some((existing, _)) = runs.get(&record.run_id) {
            return Err(Error::RunExists {
                run_id: record.run_id.clone(),
                store: self.url().to_owned(),
                status: existing.record.status.as_str().to_owned(),
            });
        }
        let run = StoredRun {
            record: record.clone(),
            journal: Vec::new(),
        };
        runs.insert(record.run_id.clone(), (run, None));
        Ok(())
    }

    async fn append(&self, run_id: &str, entries: &[JournalEntry]) -> Result<()> {
        let mut runs = self.runs();
        let (run, _) = runs.get_mut(run_id).ok_or_else(|| self.unknown(run_id))?;
        run.journal.extend_from_slice(entries);
        run.record.updated = now_millis();
        Ok(())
    }

    async fn set_status(
        &self,
        run_id: &str,
        status: WorkflowStatus,
        error: Option<&str>,
    ) -> Result<()> {
        let mut runs = self.runs();
        let (run, _) = runs.get_mut(run_id).ok_or_else(|| self.unknown(run_id))?;
        run.record.status = status;
        run.record.error = error.map(str::to_owned);
        run.record.updated = now_millis();
        Ok(())
    }

    async fn get(&self, run_id: &str) -> Result<StoredRun> {
        let runs = self.runs();
        let (run, _) = runs.get(run_id).ok_or_else(|| self.unknown(run_id))?;
        Ok(run.clone())
    }

    async fn list(&self, filter: &RunFilter) -> Result<Vec<RunRecord>> {
        let runs = self.runs();
        let records: Vec<RunRecord> = runs
            .values()
            .map(|(run, _)| &run.record)
            .filter(|record| filter.matches(record))
            .cloned()
            .collect();
        Ok(filter.page_of(records))
    }

    async fn lease(&self, run_id: &str, holder: &LeaseHolder, ttl: Duration) -> Result<()> {
        let mut runs = self.runs();
        let (_, lease) = runs.get_mut(run_id).ok_or_else(|| self.unknown(run_id))?;
        if let Some(current) = lease
            && let Err(expires_in) = current.may_be_taken_by(holder)
        {
            return Err(Error::LeaseHeld {
                run_id: run_id.to_owned(),
                holder: current.holder.to_string(),
                expires_in,
            });
        }
        *lease = Some(Lease::new(holder.clone(), ttl));
        Ok(())
    }

    async fn release(&self, run_id: &str, holder: &LeaseHolder) -> Result<()> {
        let mut runs = self.runs();
        if let Some((_, lease)) = runs.get_mut(run_id)
            && lease.as_ref().is_some_and(|l| l.holder == *holder)
        {
            *lease = None;
        }
        Ok(())
    }

    async fn prune(&self, before: Millis) -> Result<usize> {
        let mut runs = self.runs();
        let count = runs.len();
        runs.retain(|_, (run, _)| !(run.record.is_finished() && run.record.updated < before));
        Ok(count - runs.len())
    }
}
