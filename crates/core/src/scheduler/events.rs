//! What a run reports while it proceeds.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use crate::context::{NodeEventSink, NodeStatus, WorkflowStatus};
use crate::node_id::NodeId;

/// One thing that happened in a run: the run's id and what happened.
///
/// Received from [`Backend::run_stream`](crate::Backend::run_stream), or from the sender
/// given with [`RunOptions::events`](super::RunOptions::events), as it happens.
///
/// Serialized as one flat object, ready for server-sent events or a line of JSON: the run id,
/// an `event` tag, then the fields of the [`RunEventKind`]. Durations are numbers of
/// milliseconds, with microseconds as fractions (`duration_ms`, `delay_ms`):
///
/// ```json
/// {"run_id":"3f6c…","event":"node_finished","node":"draft","status":"success","duration_ms":12.5}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RunEvent {
    /// The run: its context's `workflow_id`, the id given with
    /// [`RunOptions::run_id`](super::RunOptions::run_id), or the stored run's id.
    pub run_id: Arc<str>,
    /// What happened.
    #[serde(flatten)]
    pub kind: RunEventKind,
}

impl RunEvent {
    /// An event of run `run_id`.
    pub fn new(run_id: impl Into<Arc<str>>, kind: RunEventKind) -> Self {
        RunEvent {
            run_id: run_id.into(),
            kind,
        }
    }

    /// The node the event is about, if any.
    pub fn node(&self) -> Option<&str> {
        self.kind.node()
    }
}

/// What happened in a run; the `kind` of a [`RunEvent`].
///
/// For each node execution the order is: `NodeStarted`, then the node's own `NodeEvent`s and
/// any number of `NodeRetried` + `NodeStarted` pairs, then `NodeFinished` or `NodeFailed`. A
/// node that does not run because its route was not taken gets one `NodeSkipped`.
/// `WorkflowFinished` is last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunEventKind {
    /// An attempt of a node started.
    NodeStarted {
        /// The node.
        node: NodeId,
        /// The attempt, counting from 1.
        attempt: u32,
    },
    /// An event a node sent of its own while it ran, with
    /// [`NodeContext::emit`](crate::NodeContext::emit): progress, a token of an answer being
    /// written. It comes after the node's `NodeStarted` and before its `NodeFinished`.
    NodeEvent {
        /// The node.
        node: NodeId,
        /// What the node called it (`progress`, `token`).
        name: String,
        /// What the node sent with it.
        data: Value,
    },
    /// An attempt failed and the node will be tried again after `delay`.
    NodeRetried {
        /// The node.
        node: NodeId,
        /// The attempt that comes next.
        attempt: u32,
        /// Why the previous attempt failed.
        error: String,
        /// How long the scheduler waits before it (`delay_ms` in JSON).
        #[serde(rename = "delay_ms", with = "millis")]
        delay: Duration,
    },
    /// A node finished with success, or by interrupting the run.
    NodeFinished {
        /// The node.
        node: NodeId,
        /// `success` or `interrupted`.
        status: NodeStatus,
        /// How long all attempts took (`duration_ms` in JSON).
        #[serde(rename = "duration_ms", with = "millis")]
        duration: Duration,
    },
    /// A node failed for good (after its retries), or was cancelled.
    NodeFailed {
        /// The node.
        node: NodeId,
        /// Why.
        error: String,
        /// How long all attempts took (`duration_ms` in JSON); `None` for a node cancelled
        /// while it ran.
        #[serde(
            rename = "duration_ms",
            with = "millis_or_none",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        duration: Option<Duration>,
    },
    /// A node will not run in this pass: the route leading to it was not taken.
    NodeSkipped {
        /// The node.
        node: NodeId,
    },
    /// The run ended.
    WorkflowFinished {
        /// How it ended.
        status: WorkflowStatus,
        /// Why it failed, if it did.
        error: Option<String>,
    },
}

impl RunEventKind {
    /// The node the event is about, if any.
    pub fn node(&self) -> Option<&str> {
        match self {
            RunEventKind::NodeStarted { node, .. }
            | RunEventKind::NodeEvent { node, .. }
            | RunEventKind::NodeRetried { node, .. }
            | RunEventKind::NodeFinished { node, .. }
            | RunEventKind::NodeFailed { node, .. }
            | RunEventKind::NodeSkipped { node } => Some(node),
            RunEventKind::WorkflowFinished { .. } => None,
        }
    }
}

/// Durations as numbers of milliseconds, with microseconds as fractions: `12.5` is 12 500 µs.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(duration: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(to_millis(*duration))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        from_millis(f64::deserialize(d)?).map_err(serde::de::Error::custom)
    }

    pub(super) fn to_millis(duration: Duration) -> f64 {
        // Whole microseconds: exact in an f64 for longer than any run lasts.
        u64::try_from(duration.as_micros()).unwrap_or(u64::MAX) as f64 / 1000.0
    }

    pub(super) fn from_millis(ms: f64) -> Result<Duration, String> {
        if !ms.is_finite() || ms < 0.0 {
            return Err(format!(
                "expected a non-negative number of milliseconds, found {ms}"
            ));
        }
        let micros = (ms * 1000.0).round();
        if micros >= u64::MAX as f64 {
            return Ok(Duration::MAX);
        }
        // Finite, non-negative and below `u64::MAX`: the cast is exact.
        Ok(Duration::from_micros(micros as u64))
    }
}

/// [`millis`] for a duration that may be missing.
mod millis_or_none {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        duration: &Option<Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match duration {
            Some(duration) => s.serialize_f64(super::millis::to_millis(*duration)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<f64>::deserialize(d)?
            .map(super::millis::from_millis)
            .transpose()
            .map_err(serde::de::Error::custom)
    }
}

/// Where a run's events go: the listener's channel, and the run's id that every event carries.
/// Made once per run, and only when someone listens.
#[derive(Debug, Clone)]
pub(crate) struct Events {
    sender: UnboundedSender<RunEvent>,
    run_id: Arc<str>,
}

impl Events {
    pub(crate) fn new(sender: UnboundedSender<RunEvent>, run_id: &str) -> Self {
        Events {
            sender,
            run_id: Arc::from(run_id),
        }
    }

    /// Sends `kind` as an event of the run; a receiver that went away is not an error.
    pub(crate) fn send(&self, kind: RunEventKind) {
        let _ = self.sender.send(RunEvent {
            run_id: Arc::clone(&self.run_id),
            kind,
        });
    }
}

/// A node's own events go into the run's stream, in order among the scheduler's.
impl NodeEventSink for Events {
    fn node_event(&self, node: &NodeId, name: String, data: Value) {
        self.send(RunEventKind::NodeEvent {
            node: node.clone(),
            name,
            data,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_are_flat_objects_with_the_run_id_and_durations_in_milliseconds() {
        let event = RunEvent::new(
            "run-1",
            RunEventKind::NodeFinished {
                node: "a".into(),
                status: NodeStatus::Success,
                duration: Duration::from_micros(12_500),
            },
        );
        let value = serde_json::to_value(&event).expect("serializes");
        assert_eq!(
            value,
            json!({"run_id": "run-1", "event": "node_finished", "node": "a",
                   "status": "success", "duration_ms": 12.5})
        );
        let back: RunEvent = serde_json::from_value(value).expect("deserializes");
        assert_eq!(back, event);

        let retried = RunEvent::new(
            "run-1",
            RunEventKind::NodeRetried {
                node: "a".into(),
                attempt: 2,
                error: "503".into(),
                delay: Duration::from_millis(100),
            },
        );
        let value = serde_json::to_value(&retried).expect("serializes");
        assert_eq!(value["delay_ms"], json!(100.0));
        assert_eq!(
            serde_json::from_value::<RunEvent>(value).expect("deserializes"),
            retried
        );
    }

    #[test]
    fn a_failure_without_a_duration_has_none_and_bad_durations_are_refused() {
        let cancelled = RunEvent::new(
            "r",
            RunEventKind::NodeFailed {
                node: "a".into(),
                error: "cancelled".into(),
                duration: None,
            },
        );
        let value = serde_json::to_value(&cancelled).expect("serializes");
        assert_eq!(
            value,
            json!({"run_id": "r", "event": "node_failed", "node": "a", "error": "cancelled"})
        );
        assert_eq!(
            serde_json::from_value::<RunEvent>(value).expect("deserializes"),
            cancelled
        );
        let negative = json!({"run_id": "r", "event": "node_retried", "node": "a",
                              "attempt": 2, "error": "x", "delay_ms": -1});
        let error = serde_json::from_value::<RunEvent>(negative).unwrap_err();
        assert!(error.to_string().contains("non-negative"), "{error}");
    }
}
