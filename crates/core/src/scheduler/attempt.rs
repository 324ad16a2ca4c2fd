//! One node execution: its attempts, each under a timeout, retried with backoff; a panic
//! becomes the node's failure.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::Either;
use tracing::Instrument;

use super::elements::RunScope;
use super::events::{Events, RunEventKind};
use super::executor::NodeExecutor;
use super::options::MAX_RETRY_BACKOFF;
use super::sub_runs;
use crate::context::{NodeContext, WorkflowContext};
use crate::graph::workflow::NodeSpec;
use crate::result::{NodeResult, panic_message};

/// Limits of one node execution, after node, run and backend settings are combined.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_retries: u32,
    pub(crate) retry_backoff: Duration,
    /// Steps the run has left when the execution starts: what a composite node's executions
    /// may use.
    pub(crate) steps_left: usize,
}

/// How a node execution ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The node returned a successful or interrupting result.
    Done(NodeResult),
    /// A composite node (`map`, `workflow`) returned a successful or interrupting result,
    /// after this many executions inside it: steps of the run.
    Composed(NodeResult, usize),
    /// Every attempt failed; the reason of the last one.
    Failed(String),
    /// The node panicked; its message. Never retried.
    Panicked(String),
}

/// How an attempt calls the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call {
    /// Through the backend's `execute_node`.
    Backend,
    /// `Node::execute` itself, in this process, for a backend whose `execute_node` does just
    /// that: one boxed future fewer per node.
    Direct,
}

/// What `execute_node` of a backend that runs nodes in this process returns for `spec`.
async fn execute_directly(spec: &NodeSpec, node_ctx: &NodeContext) -> crate::Result<NodeResult> {
    Ok(spec.execute(node_ctx).await)
}

/// Runs `node_ctx` on `backend` until an attempt succeeds, the retries run out, or it panics;
/// `node_ctx.attempt` counts the attempts. The context stays where the caller keeps it.
pub(crate) async fn execute<B: NodeExecutor + ?Sized>(
    backend: &B,
    how: Call,
    spec: &NodeSpec,
    header: &WorkflowContext,
    node_ctx: &mut NodeContext,
    limits: Limits,
    scope: &RunScope,
) -> (Outcome, Duration) {
    let events = scope.events.as_deref();
    let started = Instant::now();
    // A node made of other executions (`map`, `workflow`) runs here, not on the backend; the
    // executions inside it, over all its attempts, are steps of the run.
    let composite = spec.composite();
    let inner_steps = AtomicUsize::new(0);
    loop {
        send(events, || RunEventKind::NodeStarted {
            node: node_ctx.node_id.clone(),
            attempt: node_ctx.attempt,
        });
        // One span per backend call, named after the operation; nodes and backends add child
        // spans only. Without a subscriber that wants it, the call is not wrapped at all.
        let span = tracing::info_span!(
            target: "nadoo_flow::backend",
            "execute_node",
            backend = backend.executor_name(),
            workflow = %header.workflow_id,
            node = spec.id(),
            attempt = node_ctx.attempt,
        );
        let call = match (composite, how) {
            (Some(composite), _) => Either::Left(sub_runs::run_composite(
                &**composite,
                backend,
                header,
                node_ctx,
                limits.steps_left,
                &inner_steps,
                scope.elements.as_deref(),
            )),
            (None, Call::Backend) => Either::Left(backend.execute_one(spec, node_ctx, header)),
            (None, Call::Direct) => Either::Right(execute_directly(spec, node_ctx)),
        };
        let call = AssertUnwindSafe(call).catch_unwind();
        let call = if span.is_disabled() {
            Either::Left(call)
        } else {
            Either::Right(call.instrument(span))
        };
        let attempt = match limits.timeout {
            Some(limit) => match tokio::time::timeout(limit, call).await {
                Ok(done) => done,
                Err(_) => Ok(Ok(NodeResult::failed(format!(
                    "timed out after {}",
                    DurationText(limit)
                )))),
            },
            None => call.await,
        };
        let reason = match attempt {
            Err(panic) => {
                let message = format!("panicked: {}", panic_message(panic.as_ref()));
                return (Outcome::Panicked(message), started.elapsed());
            }
            Ok(Ok(result)) if !result.is_failure() => {
                let outcome = match composite {
                    Some(_) => Outcome::Composed(result, inner_steps.load(Ordering::Acquire)),
                    None => Outcome::Done(result),
                };
                return (outcome, started.elapsed());
            }
            Ok(Ok(result)) => result
                .error()
                .unwrap_or("failed without a reason")
                .to_owned(),
            Ok(Err(error)) => error.to_string(),
        };
        if node_ctx.attempt > limits.max_retries {
            return (Outcome::Failed(reason), started.elapsed());
        }
        let delay = backoff(limits.retry_backoff, node_ctx.attempt);
        send(events, || RunEventKind::NodeRetried {
            node: node_ctx.node_id.clone(),
            attempt: node_ctx.attempt + 1,
            error: reason,
            delay,
        });
        tokio::time::sleep(delay).await;
        node_ctx.attempt += 1;
    }
}

/// Sends the event `make` builds if anyone listens (it is not built otherwise); a receiver
/// that went away is not an error.
#[inline]
pub(crate) fn send(events: Option<&Events>, make: impl FnOnce() -> RunEventKind) {
    if let Some(events) = events {
        events.send(make());
    }
}

/// Exponential backoff with jitter: `base * 2^(attempt - 1)`, times a random factor in
/// [0.5, 1.5), at most [`MAX_RETRY_BACKOFF`].
fn backoff(base: Duration, attempt: u32) -> Duration {
    let exponential = base
        .saturating_mul(1u32 << (attempt - 1).min(16))
        .min(MAX_RETRY_BACKOFF);
    exponential
        .mul_f64(0.5 + fastrand::f64())
        .min(MAX_RETRY_BACKOFF)
}

/// A duration as people write it: `2s`, `150ms`.
struct DurationText(Duration);

impl std::fmt::Display for DurationText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.0;
        if d.subsec_nanos() == 0 {
            write!(f, "{}s", d.as_secs())
        } else if d.as_nanos().is_multiple_of(1_000_000) {
            write!(f, "{}ms", d.as_millis())
        } else {
            write!(f, "{d:?}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_millis(100);
        for attempt in 1..=4 {
            let nominal = base * (1 << (attempt - 1));
            let delay = backoff(base, attempt);
            assert!(
                delay >= nominal / 2 && delay < nominal * 3 / 2,
                "{attempt}: {delay:?}"
            );
        }
        assert!(backoff(Duration::from_secs(10), 30) <= MAX_RETRY_BACKOFF);
        assert!(backoff(Duration::MAX, 1) <= MAX_RETRY_BACKOFF);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(DurationText(Duration::from_secs(2)).to_string(), "2s");
        assert_eq!(
            DurationText(Duration::from_millis(150)).to_string(),
            "150ms"
        );
    }
}
