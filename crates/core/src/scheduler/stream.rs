//! A run consumed as a stream of its events, then its result.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::{FusedStream, Stream};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::events::{RunEvent, RunEventKind};
use super::options::RunOptions;
use crate::context::WorkflowContext;
use crate::error::Result;

/// A run as a [`Stream`] of its [`RunEvent`]s, which ends when the run ends; then
/// [`result`](Self::result) gives the finished context. Made by
/// [`Backend::run_stream`](crate::Backend::run_stream).
///
/// The stream drives the run: the run makes progress while the stream is polled, as a future
/// does while it is awaited, and needs no task of its own. Dropping the stream cancels the
/// run. Events arrive in the order they happened; the last one is
/// [`WorkflowFinished`](RunEventKind::WorkflowFinished), unless the run could not start at
/// all (then the stream is empty and `result` gives the error).
#[must_use = "a run stream does nothing unless polled"]
pub struct RunStream<'a> {
    run: Run<'a>,
    events: UnboundedReceiver<RunEvent>,
    /// Set once `WorkflowFinished` was handed out: nothing comes after it.
    finished: bool,
}

/// The run behind a [`RunStream`].
enum Run<'a> {
    /// Still going.
    Going(BoxFuture<'a, Result<WorkflowContext>>),
    /// Returned this (boxed: a finished context is large, a future is a pointer).
    Returned(Box<Result<WorkflowContext>>),
}

impl<'a> RunStream<'a> {
    /// The run `start` makes from `options` with a listener of its own (any sender given with
    /// [`RunOptions::events`] is replaced), as a stream.
    pub fn new(
        options: RunOptions,
        start: impl FnOnce(RunOptions) -> BoxFuture<'a, Result<WorkflowContext>>,
    ) -> Self {
        let (sender, events) = unbounded_channel();
        RunStream {
            run: Run::Going(start(options.events(sender))),
            events,
            finished: false,
        }
    }

    /// Runs to the end, dropping the events not read yet, and returns what the run returned:
    /// the finished context (whatever its status), or the error that kept it from running.
    ///
    /// # Errors
    ///
    /// As [`Backend::run_workflow`](crate::Backend::run_workflow).
    pub async fn result(self) -> Result<WorkflowContext> {
        let RunStream { run, events, .. } = self;
        // Events from now on are dropped as they are sent, instead of piling up unread.
        drop(events);
        match run {
            Run::Going(run) => run.await,
            Run::Returned(result) => *result,
        }
    }

    /// Whether the run returned.
    fn returned(&self) -> bool {
        !matches!(self.run, Run::Going(_))
    }

    /// The event `received`, or nothing once the run's last event was handed out (a node left
    /// running on a task of its own can still send one while it is stopped).
    fn hand_out(&mut self, received: RunEvent) -> Option<RunEvent> {
        if self.finished {
            return None;
        }
        self.finished = matches!(received.kind, RunEventKind::WorkflowFinished { .. });
        Some(received)
    }
}

impl Stream for RunStream<'_> {
    type Item = RunEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<RunEvent>> {
        let this = &mut *self;
        loop {
            // Events already sent come first, in order.
            while let Ok(received) = this.events.try_recv() {
                if let Some(event) = this.hand_out(received) {
                    return Poll::Ready(Some(event));
                }
            }
            let Run::Going(run) = &mut this.run else {
                // The run returned, and sent everything before it did.
                return Poll::Ready(None);
            };
            if let Poll::Ready(result) = run.as_mut().poll(cx) {
                this.run = Run::Returned(Box::new(result));
                continue;
            }
            // Nodes on tasks of their own send events while the run waits: those wake this
            // task too.
            return match this.events.poll_recv(cx) {
                Poll::Ready(Some(received)) => match this.hand_out(received) {
                    Some(event) => Poll::Ready(Some(event)),
                    None => continue,
                },
                Poll::Ready(None) | Poll::Pending => Poll::Pending,
            };
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.returned() && self.events.is_empty() {
            (0, Some(0))
        } else {
            (self.events.len(), None)
        }
    }
}

impl FusedStream for RunStream<'_> {
    fn is_terminated(&self) -> bool {
        self.returned() && (self.finished || self.events.is_empty())
    }
}

impl fmt::Debug for RunStream<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunStream")
            .field("running", &!self.returned())
            .field("pending_events", &self.events.len())
            .finish_non_exhaustive()
    }
}
