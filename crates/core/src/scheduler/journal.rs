//! Durable runs: the run's record and journal in a [`RunStore`], written ahead of every
//! successor, and the replay of a journal that rebuilds a run's position on resume.

use std::sync::Arc;

use serde_json::Value;
use tokio_util::task::AbortOnDropHandle;

use super::attempt::Outcome;
use super::elements::ElementLog;
use super::options::Durable;
use super::state::{Activation, State};
use crate::context::{NodeStatus, WorkflowStatus};
use crate::error::{Error, Result};
use crate::graph::workflow::Workflow;
use crate::result::NodeResult;
use crate::run_store::{JournalEntry, LEASE_TTL, LeaseHolder, RunRecord, RunStore, now_millis};

/// The store a durable run writes to, and the lease it holds while it runs.
pub(super) struct Journal {
    store: Arc<dyn RunStore>,
    run_id: String,
    holder: LeaseHolder,
    /// Renews the lease every third of its life while the run goes on.
    _renewal: AbortOnDropHandle<()>,
    /// Whether the lease was given up.
    released: bool,
}

impl Drop for Journal {
    /// A run dropped before it ended (its caller gave up on it) gives its lease up, so that
    /// it can be resumed at once; a process that dies leaves it to expire, or to be taken over
    /// on the same host once the process is seen gone.
    fn drop(&mut self) {
        if self.released {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (store, run_id, holder) = (
                Arc::clone(&self.store),
                self.run_id.clone(),
                self.holder.clone(),
            );
            runtime.spawn(async move { store.release(&run_id, &holder).await });
        }
    }
}

/// A run opened in its store: the journal to write, and the failure of a run whose journal
/// already ends in one.
pub(super) type Opened = (Option<Journal>, Option<String>);

impl Journal {
    /// Starts the run in the store, or continues the stored one `resume_run` names, replaying
    /// its journal into `state`; `resume` is the input for the nodes that interrupted it.
    /// Without a store only the run's id is set.
    pub(super) async fn open(
        durable: &Durable,
        workflow: &Workflow,
        state: &mut State<'_>,
        resume: Option<&Value>,
    ) -> Result<Opened> {
        let Some(store) = &durable.store else {
            if durable.resume {
                return Err(Error::Store {
                    store: "none".to_owned(),
                    message: format!(
                        "resuming run `{}` needs the run store it is kept in (RunOptions::store)",
                        durable.run_id.as_deref().unwrap_or_default()
                    ),
                });
            }
            if let Some(run_id) = &durable.run_id {
                state.ctx.workflow_id.clone_from(run_id);
            }
            return Ok((None, None));
        };
        let holder = LeaseHolder::this_process();
        let mut failure = None;
        if durable.resume {
            let run_id = durable.run_id.clone().unwrap_or_default();
            let stored = store.get(&run_id).await?;
            let record = &stored.record;
            if record.is_finished() {
                return Err(Error::RunFinished {
                    run_id,
                    status: record.status.as_str().to_owned(),
                });
            }
            if record.workflow != workflow.name() || record.fingerprint != workflow.fingerprint() {
                return Err(Error::InvalidCheckpoint {
                    workflow: workflow.name().to_owned(),
                    reason: format!(
                        "run `{run_id}` was started on {}, and the workflow's nodes or edges \
                         have changed since",
                        if record.workflow == workflow.name() {
                            "another version of it".to_owned()
                        } else {
                            format!("workflow `{}`", record.workflow)
                        }
                    ),
                });
            }
            store.lease(&run_id, &holder, LEASE_TTL).await?;
            state.elements = Some(Arc::new(ElementLog::new(Arc::clone(store), run_id.clone())));
            state.ctx.globals = Arc::new(stored.record.input);
            state.run_id = Some(Arc::from(run_id.as_str()));
            state.ctx.workflow_id = run_id.clone();
            failure = state.replay(&run_id, stored.journal, resume)?;
            store
                .set_status(&run_id, WorkflowStatus::Running, None)
                .await?;
        } else {
            let run_id = durable
                .run_id
                .clone()
                .unwrap_or_else(|| state.ctx.workflow_id.clone());
            let now = now_millis();
            let record = RunRecord {
                run_id: run_id.clone(),
                workflow: workflow.name().to_owned(),
                definition: durable.definition.clone(),
                fingerprint: workflow.fingerprint(),
                input: (*state.ctx.globals).clone(),
                status: WorkflowStatus::Running,
                error: None,
                created: now,
                updated: now,
            };
            store.create(&record).await?;
            store.lease(&run_id, &holder, LEASE_TTL).await?;
            state.elements = Some(Arc::new(ElementLog::new(Arc::clone(store), run_id.clone())));
            state.run_id = Some(Arc::from(run_id.as_str()));
            state.ctx.workflow_id = run_id;
        }
        state.journal = Some(Vec::new());
        let run_id = state.ctx.workflow_id.clone();
        let renewal = {
            let (store, run_id, holder) = (Arc::clone(store), run_id.clone(), holder.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(LEASE_TTL / 3).await;
                    if let Err(error) = store.lease(&run_id, &holder, LEASE_TTL).await {
                        tracing::warn!(run = %run_id, %error, "cannot renew the run's lease");
                    }
                }
            })
        };
        let journal = Journal {
            store: Arc::clone(store),
            run_id,
            holder,
            _renewal: AbortOnDropHandle::new(renewal),
            released: false,
        };
        Ok((Some(journal), failure))
    }

    /// Writes the completions recorded since the last write, in one append.
    pub(super) async fn flush(&self, state: &mut State<'_>) -> Result<()> {
        let Some(pending) = state.journal.as_mut().filter(|p| !p.is_empty()) else {
            return Ok(());
        };
        let entries = std::mem::take(pending);
        let recorded = state.recorded;
        self.store.append(&self.run_id, &entries).await?;
        state.durable = recorded;
        Ok(())
    }

    /// The run's failure when the store cannot be written.
    pub(super) fn failure(&self, error: &Error) -> String {
        format!("the run could not be kept: {error}")
    }

    /// Writes what is left and the run's final status, and gives the lease up.
    pub(super) async fn close(mut self, state: &mut State<'_>) -> Result<()> {
        self.flush(state).await?;
        self.store
            .set_status(&self.run_id, state.ctx.status, state.ctx.error.as_deref())
            .await?;
        self.store.release(&self.run_id, &self.holder).await?;
        self.released = true;
        Ok(())
    }
}

impl State<'_> {
    /// Replays a stored run's journal from the start: each entry finishes the node it names
    /// with its recorded result, as if it had just run, so that routing, joins, loops and
    /// globals end where the run left them. Returns the run's failure when the journal ends
    /// in one; `resume` goes to the nodes left interrupted.
    pub(super) fn replay(
        &mut self,
        run_id: &str,
        entries: Vec<JournalEntry>,
        resume: Option<&Value>,
    ) -> Result<Option<String>> {
        // Replayed nodes are neither journaled again nor announced as events.
        let journal = self.journal.take();
        let events = self.events.take();
        let mut failure = None;
        for entry in entries {
            if entry.element.is_some() {
                // An element of a composite node: kept for the node, which has not finished
                // (its own entry comes later, if at all). It was a step of the run.
                self.steps += 1;
                if let Some(elements) = &self.elements {
                    elements.replayed(entry);
                }
                continue;
            }
            if self.stopping {
                // An interrupted run was resumed: its interrupted nodes ran again.
                self.reopen(None);
            }
            let node = self.workflow.position(&entry.node).ok_or_else(|| {
                self.replay_error(
                    run_id,
                    format!(
                        "names node `{}`, which this workflow does not have",
                        entry.node
                    ),
                )
            })?;
            let activation = self.replayed(node, entry.iteration).ok_or_else(|| {
                self.replay_error(
                    run_id,
                    format!(
                        "records node `{}` (iteration {}) finishing where this workflow does not run it",
                        entry.node, entry.iteration
                    ),
                )
            })?;
            self.steps += 1;
            self.running[node] += 1;
            let mut node_ctx = self.node_context(activation, false);
            node_ctx.attempt = entry.attempt;
            let duration = entry.duration();
            let iteration = entry.iteration;
            let outcome = match entry.status {
                NodeStatus::Failed => Outcome::Failed(entry.error.unwrap_or_default()),
                _ => Outcome::Done(result_of(entry)),
            };
            if let Err(reason) = self.finish(node, iteration, node_ctx, outcome, duration) {
                failure = Some(reason);
                break;
            }
        }
        if failure.is_none() && self.stopping {
            self.reopen(resume);
        }
        self.journal = journal;
        self.events = events;
        Ok(failure)
    }

    /// Takes node `node` of `iteration` off the ready queue, where its journaled run found
    /// it; skips of loop exits that the run made while idle are made again when needed.
    fn replayed(&mut self, node: usize, iteration: u32) -> Option<Activation> {
        loop {
            let found = self
                .ready
                .iter()
                .position(|a| a.node == node && a.iteration == iteration);
            if let Some(position) = found {
                return self.ready.remove(position);
            }
            if !self.flush_deferred() {
                return None;
            }
        }
    }

    /// Puts the interrupted nodes back at the head of the queue, to run again with `resume`.
    fn reopen(&mut self, resume: Option<&Value>) {
        for (node, inputs, iteration) in std::mem::take(&mut self.interrupted).into_iter().rev() {
            self.ready.push_front(Activation {
                node,
                inputs,
                iteration,
                resume: resume.cloned().map(Box::new),
                needs: 0,
            });
        }
        self.stopping = false;
    }

    fn replay_error(&self, run_id: &str, what: String) -> Error {
        Error::InvalidCheckpoint {
            workflow: self.workflow.name().to_owned(),
            reason: format!("the journal of run `{run_id}` {what}"),
        }
    }
}

/// The result a journal entry records.
fn result_of(entry: JournalEntry) -> NodeResult {
    let mut result = NodeResult::ok(entry.output);
    if let Some(route) = entry.route {
        result = result.with_route(route);
    }
    if let Some(next) = entry.next {
        result = result.with_next(next);
    }
    if !entry.globals.is_empty() {
        result = result.with_globals(entry.globals);
    }
    for (key, value) in entry.metadata {
        result = result.with_metadata(key, value);
    }
    if entry.status == NodeStatus::Interrupted {
        result = result.interrupted();
    }
    result
}
