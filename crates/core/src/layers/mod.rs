//! Layers over any backend: each wraps a `Box<dyn Backend>` and is itself a backend.
//!
//! A [`Layer`] makes a [`LayeredBackend`], which writes only what it changes and forwards
//! everything else (runs, workers, checks, capabilities, limits) to what it wraps:
//!
//! - [`MeteredBackend`] counts executions and their durations into [`BackendMetrics`];
//! - [`CachingBackend`] reuses results of cacheable node kinds for equal inputs;
//! - [`ChainedBackend`] passes each node through several backends, output to input;
//! - [`BackendPool`] spreads nodes round-robin over several instances.
//!
//! Engine options given in a backend's configuration (`max_workers`, `timeout`, ...) are
//! applied by a layer too, which the registry adds when any is set.

mod cache;
mod chain;
mod configured;
mod layered;
mod metrics;
mod pool;

pub use self::cache::{CacheLayer, CachingBackend};
pub use self::chain::ChainedBackend;
pub(crate) use self::configured::EngineLayer;
pub use self::layered::{Layer, LayeredBackend};
pub use self::metrics::{BackendMetrics, MeteredBackend, MetricsLayer, MetricsSnapshot};
pub use self::pool::BackendPool;

use crate::backend::Backend;
use crate::error::Result;

/// Runs the workers of `members` at once, until `shutdown` or the first error.
async fn run_workers(
    members: &[Box<dyn Backend>],
    shutdown: crate::CancellationToken,
) -> Result<()> {
    let workers = members.iter().map(|m| m.run_worker(shutdown.clone()));
    futures::future::try_join_all(workers).await.map(drop)
}
