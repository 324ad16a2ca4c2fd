//! Engine options every backend honours, and per-run options.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::EngineOptions;
use super::events::RunEvent;
use crate::run_store::RunStore;

/// The default delay before the first retry; it doubles with every further attempt.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(100);

/// Nodes allowed to run at once per CPU when nothing else is configured. Nodes are async
/// tasks that mostly wait (on models, APIs, queues), so a fan-out should not queue behind the
/// number of cores; CPU-bound nodes still share the runtime's worker threads.
pub const DEFAULT_WORKERS_PER_CPU: usize = 32;

/// The longest delay between two attempts.
pub const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(30);

/// Engine options a backend is configured with, honoured by the shared scheduler.
///
/// A backend returns its own from [`Backend::execution_options`](crate::Backend::execution_options);
/// [`RunOptions`] override them for one run, and a node's own `timeout` and `retries` override
/// both.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecutionOptions {
    /// Upper bound on nodes running at once. Default: [`DEFAULT_WORKERS_PER_CPU`] per CPU.
    pub max_workers: NonZeroUsize,
    /// Time limit of each node attempt. Default: none.
    pub timeout: Option<Duration>,
    /// Retries after a failed attempt. Default: 0.
    pub max_retries: u32,
    /// Delay before the first retry, doubled for each further one, with jitter. Default: 100 ms.
    pub retry_backoff: Duration,
    /// Log every node execution at `info` level. Default: `false`.
    pub debug: bool,
    /// Reuse the results of cacheable node kinds for equal inputs. Default: `false`.
    pub enable_caching: bool,
}

impl Default for ExecutionOptions {
    fn default() -> Self {
        ExecutionOptions {
            max_workers: default_max_workers(),
            timeout: None,
            max_retries: 0,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            debug: false,
            enable_caching: false,
        }
    }
}

/// [`DEFAULT_WORKERS_PER_CPU`] times the number of CPUs.
///
/// The number of CPUs is read once per process: finding it reads the cgroup's CPU quota from
/// files, which would otherwise cost every run several system calls.
pub fn default_max_workers() -> NonZeroUsize {
    static DEFAULT: std::sync::OnceLock<NonZeroUsize> = std::sync::OnceLock::new();
    *DEFAULT.get_or_init(|| {
        std::thread::available_parallelism()
            .unwrap_or(NonZeroUsize::MIN)
            .saturating_mul(NonZeroUsize::new(DEFAULT_WORKERS_PER_CPU).unwrap_or(NonZeroUsize::MIN))
    })
}

/// Options of one run: overrides of the backend's [`ExecutionOptions`], an event stream, a
/// cancel handle, and the input of a resumed run.
///
/// ```
/// use nadoo_flow_core::{CancellationToken, RunOptions};
///
/// let (events, mut receiver) = tokio::sync::mpsc::unbounded_channel();
/// let cancel = CancellationToken::new();
/// let options = RunOptions::new()
///     .max_retries(2)
///     .events(events)
///     .cancel_on(cancel.clone());
/// # let _ = (options, receiver.try_recv());
/// ```
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub(crate) engine: EngineOptions,
    pub(crate) retry_backoff: Option<Duration>,
    pub(crate) events: Option<UnboundedSender<RunEvent>>,
    pub(crate) cancel: Option<CancellationToken>,
    pub(crate) resume: Option<Value>,
    pub(crate) durable: Durable,
}

/// Where and how a run is kept: its store, its id, and whether it continues a stored run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Durable {
    pub(crate) store: Option<Arc<dyn RunStore>>,
    pub(crate) run_id: Option<String>,
    pub(crate) resume: bool,
    pub(crate) definition: Option<String>,
}

impl RunOptions {
    /// Options that change nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `max_workers` nodes run at once.
    #[must_use]
    pub fn max_workers(mut self, max_workers: NonZeroUsize) -> Self {
        self.engine = self.engine.max_workers(max_workers);
        self
    }

    /// Each node attempt may take at most `timeout`, unless the node sets its own.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.engine = self.engine.timeout(timeout);
        self
    }

    /// A failed node is retried up to `max_retries` times, unless the node sets its own.
    #[must_use]
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.engine = self.engine.max_retries(max_retries);
        self
    }

    /// Any engine options at once, over the backend's: what is set here wins.
    #[must_use]
    pub fn engine(mut self, engine: EngineOptions) -> Self {
        self.engine = engine.or(self.engine);
        self
    }

    /// The delay before the first retry; it doubles for each further one.
    #[must_use]
    pub fn retry_backoff(mut self, backoff: Duration) -> Self {
        self.retry_backoff = Some(backoff);
        self
    }

    /// Sends every [`RunEvent`] of the run to `events` as it happens.
    #[must_use]
    pub fn events(mut self, events: UnboundedSender<RunEvent>) -> Self {
        self.events = Some(events);
        self
    }

    /// Cancelling `token` stops the run: in-flight nodes are dropped at once and the run ends
    /// as `failed` with the error `run cancelled`.
    #[must_use]
    pub fn cancel_on(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// The input handed to the interrupted node when an interrupted run is resumed; it sees it
    /// as [`NodeContext::resume`](crate::NodeContext::resume).
    #[must_use]
    pub fn resume_with(mut self, input: Value) -> Self {
        self.resume = Some(input);
        self
    }

    /// Keeps the run in `store`: its record and a journal of node completions, each durable
    /// before any successor starts, so that [`resume_run`](Self::resume_run) can continue it
    /// after its process died. Nodes see the run's id and an idempotency key in their context
    /// ([`NodeContext::idempotency_key`](crate::NodeContext::idempotency_key)).
    ///
    /// Without a store nothing is written and nothing is paid.
    #[must_use]
    pub fn store(mut self, store: Arc<dyn RunStore>) -> Self {
        self.durable.store = Some(store);
        self
    }

    /// Names the run (its context's `workflow_id`). With a store, an id the store already
    /// holds is refused ([`Error::RunExists`](crate::Error::RunExists)).
    #[must_use]
    pub fn run_id(mut self, run_id: impl Into<String>) -> Self {
        self.durable.run_id = Some(run_id.into());
        self
    }

    /// The workflow's definition (its TOML text), kept in the run's record so that the run
    /// can be resumed by its id alone; the CLI gives the file it ran.
    #[must_use]
    pub fn definition(mut self, toml: impl Into<String>) -> Self {
        self.durable.definition = Some(toml.into());
        self
    }

    /// Continues the stored run `run_id` (of the [`store`](Self::store)) instead of starting
    /// one: its journal is replayed, so no journaled node runs again; nodes that were running
    /// when its process died run again; interrupted nodes run again with
    /// [`resume_with`](Self::resume_with)'s input. The context given to the run is ignored:
    /// the stored input is used.
    ///
    /// Refused when the run finished ([`Error::RunFinished`](crate::Error::RunFinished)),
    /// when another process holds it ([`Error::LeaseHeld`](crate::Error::LeaseHeld)), or when
    /// the workflow is not the one it ran ([`Error::InvalidCheckpoint`](crate::Error::InvalidCheckpoint)).
    #[must_use]
    pub fn resume_run(mut self, run_id: impl Into<String>) -> Self {
        self.durable.run_id = Some(run_id.into());
        self.durable.resume = true;
        self
    }

    /// These options applied over a backend's.
    pub(crate) fn resolve(&self, backend: ExecutionOptions) -> ExecutionOptions {
        let mut resolved = self.engine.apply(backend);
        if let Some(backoff) = self.retry_backoff {
            resolved.retry_backoff = backoff;
        }
        resolved
    }
}
