//! Counting node executions and their durations, per backend.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hdrhistogram::Histogram;
use serde::Serialize;

use super::{Layer, LayeredBackend};
use crate::backend::Backend;
use crate::context::{NodeContext, WorkflowContext};
use crate::error::Result;
use crate::graph::workflow::NodeSpec;
use crate::result::NodeResult;

/// Execution statistics of one backend at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Node executions recorded.
    pub total: u64,
    /// Of those, successful ones.
    pub successful: u64,
    /// Of those, failed ones (a failed result or a backend error).
    pub failed: u64,
    /// `successful / total`, or 0 with no executions.
    pub success_rate: f64,
    /// The mean duration.
    pub avg_duration: Duration,
    /// The median duration (within 0.1 %).
    pub p50: Duration,
    /// The 99th percentile duration (within 0.1 %).
    pub p99: Duration,
}

#[derive(Debug)]
struct Stats {
    successful: u64,
    failed: u64,
    total_duration: Duration,
    micros: Histogram<u64>,
}

impl Stats {
    fn new() -> Self {
        Stats {
            successful: 0,
            failed: 0,
            total_duration: Duration::ZERO,
            // Microseconds from 1 to one hour, three significant digits.
            micros: Histogram::new_with_bounds(1, 3_600_000_000, 3)
                .expect("constant histogram bounds are valid"),
        }
    }

    fn snapshot(&self) -> MetricsSnapshot {
        let total = self.successful + self.failed;
        let micros = |q: f64| Duration::from_micros(self.micros.value_at_quantile(q));
        MetricsSnapshot {
            total,
            successful: self.successful,
            failed: self.failed,
            success_rate: if total == 0 {
                0.0
            } else {
                self.successful as f64 / total as f64
            },
            avg_duration: if total == 0 {
                Duration::ZERO
            } else {
                self.total_duration / u32::try_from(total).unwrap_or(u32::MAX)
            },
            p50: micros(0.5),
            p99: micros(0.99),
        }
    }
}

/// Execution metrics of any number of backends, shared by the [`MeteredBackend`]s that record
/// into it. Cheap to clone: clones share the same numbers.
///
/// With the `metrics` feature, every recorded execution is also reported through the
/// [`metrics`](https://docs.rs/metrics) facade as the counter
/// `nadoo_flow_node_executions_total{backend, outcome}` and the histogram
/// `nadoo_flow_node_duration_seconds{backend}`.
///
/// ```
/// use std::time::Duration;
/// use nadoo_flow_core::BackendMetrics;
///
/// let metrics = BackendMetrics::new();
/// metrics.record_execution("native", Duration::from_millis(10), true);
/// metrics.record_execution("native", Duration::from_millis(30), false);
/// let stats = metrics.get_stats("native").unwrap();
/// assert_eq!((stats.total, stats.successful, stats.failed), (2, 1, 1));
/// assert_eq!(stats.success_rate, 0.5);
/// assert_eq!(stats.avg_duration, Duration::from_millis(20));
/// assert!(metrics.get_stats("nats").is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct BackendMetrics {
    stats: Arc<Mutex<BTreeMap<String, Stats>>>,
}

impl BackendMetrics {
    /// No executions recorded yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one node execution of `backend`.
    pub fn record_execution(&self, backend: &str, duration: Duration, success: bool) {
        let mut all = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        let stats = all.entry(backend.to_owned()).or_insert_with(Stats::new);
        if success {
            stats.successful += 1;
        } else {
            stats.failed += 1;
        }
        stats.total_duration += duration;
        let micros = u64::try_from(duration.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        stats.micros.saturating_record(micros);
        drop(all);
        #[cfg(feature = "metrics")]
        {
            let outcome = if success { "success" } else { "failure" };
            metrics::counter!(
                "nadoo_flow_node_executions_total",
                "backend" => backend.to_owned(),
                "outcome" => outcome
            )
            .increment(1);
            metrics::histogram!("nadoo_flow_node_duration_seconds", "backend" => backend.to_owned())
                .record(duration.as_secs_f64());
        }
    }

    /// The statistics of `backend`, if it recorded anything.
    pub fn get_stats(&self, backend: &str) -> Option<MetricsSnapshot> {
        let all = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        all.get(backend).map(Stats::snapshot)
    }

    /// The statistics of every backend, by name.
    pub fn snapshot(&self) -> BTreeMap<String, MetricsSnapshot> {
        let all = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        all.iter()
            .map(|(name, stats)| (name.clone(), stats.snapshot()))
            .collect()
    }
}

/// Records every node execution of the backend it wraps into a [`BackendMetrics`].
///
/// ```
/// use nadoo_flow_core::{Backend, BackendMetrics, BackendRegistry, MeteredBackend, NodeContext};
/// use nadoo_flow_core::{NodeSpec, WorkflowContext};
/// use serde_json::json;
/// # use nadoo_flow_native as _;
/// # fn main() -> nadoo_flow_core::Result<()> {
/// let metrics = BackendMetrics::new();
/// let backend = MeteredBackend::new(BackendRegistry::create("native", ())?, metrics.clone());
/// let ok = NodeSpec::from_kind("ok", "set", json!({}))?;
/// let bad = NodeSpec::from_kind("bad", "fail", json!({ "message": "no" }))?;
/// let runtime = tokio::runtime::Runtime::new().expect("a runtime");
/// for node in [&ok, &ok, &bad] {
///     let context = NodeContext::new(node.id(), Default::default());
///     runtime.block_on(backend.execute_node(node, &context, &WorkflowContext::new()))?;
/// }
/// let stats = metrics.get_stats("native").expect("recorded");
/// assert_eq!((stats.total, stats.successful, stats.failed), (3, 2, 1));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct MeteredBackend {
    inner: Box<dyn Backend>,
    metrics: BackendMetrics,
}

impl MeteredBackend {
    /// Records the executions of `inner` into `metrics`.
    pub fn new(inner: Box<dyn Backend>, metrics: BackendMetrics) -> Self {
        MeteredBackend { inner, metrics }
    }

    /// The metrics this layer records into.
    pub fn metrics(&self) -> &BackendMetrics {
        &self.metrics
    }
}

/// The [`Layer`] that wraps a backend in a [`MeteredBackend`] recording into `metrics`.
#[derive(Debug, Clone, Default)]
pub struct MetricsLayer {
    metrics: BackendMetrics,
}

impl MetricsLayer {
    /// Records into `metrics`.
    pub fn new(metrics: BackendMetrics) -> Self {
        MetricsLayer { metrics }
    }
}

impl Layer for MetricsLayer {
    fn layer(&self, inner: Box<dyn Backend>) -> Box<dyn Backend> {
        Box::new(MeteredBackend::new(inner, self.metrics.clone()))
    }
}

#[async_trait]
impl LayeredBackend for MeteredBackend {
    const WRAPS_NODES: bool = true;

    fn inner(&self) -> &dyn Backend {
        self.inner.as_ref()
    }

    async fn execute_node(
        &self,
        node: &NodeSpec,
        node_context: &NodeContext,
        workflow_context: &WorkflowContext,
    ) -> Result<NodeResult> {
        let started = Instant::now();
        let result = self
            .inner
            .execute_node(node, node_context, workflow_context)
            .await;
        let success = matches!(&result, Ok(r) if r.is_success());
        self.metrics
            .record_execution(self.inner.name(), started.elapsed(), success);
        result
    }
}
