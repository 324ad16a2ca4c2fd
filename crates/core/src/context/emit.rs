//! A node's own events: what [`NodeContext::emit`] sends, and where it goes.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::NodeContext;
use crate::node_id::NodeId;

/// Where a node's own events go: the run's event stream, which the scheduler implements.
pub(crate) trait NodeEventSink: Send + Sync {
    /// Sends the event `name` of `node`, with `data`.
    fn node_event(&self, node: &NodeId, name: String, data: Value);
}

/// A node execution's way to the run's listener; empty when nobody listens, or where the
/// context was read from JSON (on a remote worker).
///
/// One thin pointer, shared by every node of a run: every context carries one, and a
/// context is moved several times per node execution.
#[derive(Clone, Default)]
pub(crate) struct Emitter(Option<Arc<Box<dyn NodeEventSink>>>);

impl Emitter {
    pub(crate) fn new(sink: Box<dyn NodeEventSink>) -> Self {
        Emitter(Some(Arc::new(sink)))
    }
}

impl fmt::Debug for Emitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Emitter(listened)"
        } else {
            "Emitter(none)"
        })
    }
}

/// Not part of what a context holds: two contexts that differ only in their listener are
/// equal.
impl PartialEq for Emitter {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl NodeContext {
    /// Sends an event of the node's own into the run's event stream: progress, a token of an
    /// answer being written. It arrives as a
    /// [`RunEventKind::NodeEvent`](crate::scheduler::RunEventKind::NodeEvent) with this
    /// node's id, after the node's `NodeStarted` and before its `NodeFinished`, in the order
    /// the node sent it.
    ///
    /// When nobody listens to the run, this does nothing: `name` and `data` are not even
    /// converted. A node whose event data is costly to build can ask
    /// [`has_event_listener`](Self::has_event_listener) first.
    ///
    /// Events are dropped where nobody can receive them: on the worker processes of a
    /// distributed backend (`nats`), whose contexts cross the network without their listener,
    /// and after the node returned (from a task it left running).
    ///
    /// ```
    /// use nadoo_flow_core::{async_trait, BoxError, Node, NodeContext, NodeResult};
    /// use serde_json::json;
    ///
    /// #[derive(Debug)]
    /// struct Summarize;
    ///
    /// #[async_trait]
    /// impl Node for Summarize {
    ///     async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
    ///         let mut summary = String::new();
    ///         for token in ["Rust ", "is ", "fast."] {
    ///             ctx.emit("token", token);
    ///             summary.push_str(token);
    ///         }
    ///         ctx.emit("progress", json!({ "done": 3, "of": 3 }));
    ///         Ok(NodeResult::ok(json!({ "summary": summary })))
    ///     }
    /// }
    /// # let ctx = NodeContext::new("summarize", Default::default());
    /// # assert!(!ctx.has_event_listener());
    /// # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # let done = runtime.block_on(Summarize.execute(&ctx)).unwrap();
    /// # assert_eq!(done.output(), &json!({ "summary": "Rust is fast." }));
    /// ```
    #[inline]
    pub fn emit(&self, name: impl Into<String>, data: impl Into<Value>) {
        if let Some(sink) = &self.emitter.0 {
            sink.node_event(&self.node_id, name.into(), data.into());
        }
    }

    /// Whether events sent with [`emit`](Self::emit) reach anyone.
    #[inline]
    pub fn has_event_listener(&self) -> bool {
        self.emitter.0.is_some()
    }

    /// Sends this execution's own events to `emitter`.
    pub(crate) fn set_emitter(&mut self, emitter: Emitter) {
        self.emitter = emitter;
    }

    /// Lets go of the listener, once the execution is over: a finished run's contexts must not
    /// keep its event channel open.
    pub(crate) fn drop_emitter(&mut self) {
        if self.emitter.0.is_some() {
            self.emitter = Emitter::default();
        }
    }
}

/// One event a node emitted with [`NodeContext::emit`], as a recorder keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeEvent {
    /// The event's name.
    pub name: String,
    /// Its data.
    #[serde(default)]
    pub data: Value,
}

/// The events a node emits while it runs somewhere nobody listens (a distributed backend's
/// worker), kept in order, so that they can be sent on with its result and emitted where
/// the run is consumed. Made by [`NodeContext::record_events`].
///
/// ```
/// use nadoo_flow_core::{NodeContext, NodeInput};
///
/// let mut context = NodeContext::new("draft", NodeInput::default());
/// let recorder = context.record_events();
/// context.emit("token", "Hel");
/// context.emit("token", "lo");
/// let events = recorder.take();
/// assert_eq!(events.len(), 2);
/// assert_eq!(events[1].data, "lo");
/// assert!(recorder.take().is_empty());
/// ```
#[derive(Clone, Default)]
pub struct EventRecorder(Arc<Mutex<Vec<NodeEvent>>>);

impl EventRecorder {
    /// The events recorded so far, oldest first; the recorder is left empty.
    pub fn take(&self) -> Vec<NodeEvent> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl fmt::Debug for EventRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let events = self.0.lock().unwrap_or_else(PoisonError::into_inner).len();
        write!(f, "EventRecorder({events} events)")
    }
}

impl NodeEventSink for EventRecorder {
    fn node_event(&self, _node: &NodeId, name: String, data: Value) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(NodeEvent { name, data });
    }
}

impl NodeContext {
    /// Keeps the events this execution emits in the returned recorder, in place of wherever
    /// they went: for backends that run the node away from whoever listens, and send the
    /// events on with the result.
    pub fn record_events(&mut self) -> EventRecorder {
        let recorder = EventRecorder::default();
        self.emitter = Emitter::new(Box::new(recorder.clone()));
        recorder
    }
}
