//! Layers over any backend: each wraps a `Box<dyn Backend>` and is itself a backend.
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
mod metrics;
mod pool;

pub use self::cache::CachingBackend;
pub use self::chain::ChainedBackend;
pub(crate) use self::configured::Configured;
pub use self::metrics::{BackendMetrics, MeteredBackend, MetricsSnapshot};
pub use self::pool::BackendPool;
