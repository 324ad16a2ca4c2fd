//! Concurrent node executions on tokio tasks, for backends that run nodes in this process.
//!
//! The default way (every backend) keeps concurrent executions as futures of the scheduler's
//! own task; a backend that runs nodes in-process then spawns a task inside `execute_node`
//! for each of them, copies the node's context into it and hands the result back through the
//! future. Here the scheduler instead keeps a pool of *runner* tasks, at most `max_workers`,
//! fed from one queue: a runner takes a node, runs it, sends back the result and takes the
//! next. At most `max_workers` nodes run at once, as with one task per node, and a node that
//! waits holds up only its own runner; but a fan-out of ten thousand nodes spawns a few dozen
//! tasks instead of ten thousand, and a finished node costs one message.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::task::AbortOnDropHandle;

use super::attempt::{self, Call, Limits, Outcome};
use super::events::RunEvent;
use crate::backend::Backend;
use crate::context::{NodeContext, WorkflowContext};
use crate::workflow::Workflow;

/// A finished node execution: node position, iteration, its context, outcome and duration.
pub(crate) type Finished = (usize, u32, (NodeContext, Outcome, Duration));

/// Starts a runner task over the run's queue; made by [`spawner`] for one backend type.
pub(crate) type Spawn = Box<dyn Fn(Arc<Queue>) -> tokio::task::JoinHandle<()> + Send + Sync>;

/// One node execution waiting for a runner.
pub(crate) struct Launch {
    index: usize,
    epoch: u32,
    node_ctx: NodeContext,
    limits: Limits,
}

/// The nodes waiting for a runner, and how many runners there are; shared by the scheduler
/// and its runners.
pub(crate) struct Queue {
    state: Mutex<QueueState>,
    done: UnboundedSender<Finished>,
}

struct QueueState {
    waiting: VecDeque<Launch>,
    /// Runner tasks alive.
    runners: usize,
    /// Of those, the ones running a node.
    executing: usize,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The spawner of runners for a backend that can be copied onto tasks.
pub(crate) fn spawner<B: Backend + Clone + 'static>(
    backend: &B,
    workflow: &Workflow,
    header: Arc<WorkflowContext>,
    events: Option<UnboundedSender<RunEvent>>,
) -> Spawn {
    let shared = Arc::new((backend.clone(), workflow.clone(), header, events));
    Box::new(move |queue: Arc<Queue>| {
        let shared = Arc::clone(&shared);
        // Made before the task: a runner dropped before it first runs still retires.
        let mut runner = Runner {
            queue,
            executing: false,
            retired: false,
        };
        tokio::spawn(async move {
            let (backend, workflow, header, events) = &*shared;
            while let Some(launch) = runner.next() {
                let mut report = Report {
                    launch: Some(launch),
                    done: &runner.queue.done,
                };
                let Some(launch) = report.launch.as_mut() else {
                    break;
                };
                let spec = &workflow.nodes()[launch.index];
                // Boxed, once per node, on the runner's own thread: it keeps the runner small.
                let (outcome, duration) = Box::pin(attempt::execute(
                    backend,
                    Call::Direct,
                    spec,
                    header,
                    &mut launch.node_ctx,
                    launch.limits,
                    events.as_ref(),
                ))
                .await;
                report.send(outcome, duration);
                // A runner that finds node after node ready must still let the other tasks
                // of its thread run.
                tokio::task::coop::consume_budget().await;
            }
        })
    })
}

/// A runner's hold on the queue.
struct Runner {
    queue: Arc<Queue>,
    /// Whether it runs a node now.
    executing: bool,
    /// Whether it found the queue empty and stopped.
    retired: bool,
}

impl Runner {
    /// The next node, after the one it ran; `None` retires the runner, in the same critical
    /// section in which the scheduler adds nodes, so that no node is left without a runner.
    fn next(&mut self) -> Option<Launch> {
        let mut state = self.queue.lock();
        if self.executing {
            state.executing -= 1;
        }
        let next = state.waiting.pop_front();
        self.executing = next.is_some();
        if self.executing {
            state.executing += 1;
        } else {
            state.runners -= 1;
            self.retired = true;
        }
        next
    }
}

/// A runner dropped before it retired (aborted, or the runtime shut down) leaves the count.
impl Drop for Runner {
    fn drop(&mut self) {
        if !self.retired {
            let mut state = self.queue.lock();
            state.runners -= 1;
            if self.executing {
                state.executing -= 1;
            }
        }
    }
}

/// Sends a node's result to the scheduler, and a failure when its runner ends without one,
/// so that no node is waited for forever.
struct Report<'q> {
    launch: Option<Launch>,
    done: &'q UnboundedSender<Finished>,
}

impl Report<'_> {
    fn send(&mut self, outcome: Outcome, duration: Duration) {
        if let Some(launch) = self.launch.take() {
            // The scheduler may be gone (the run was dropped or has failed): nobody waits.
            let _ = self.done.send((
                launch.index,
                launch.epoch,
                (launch.node_ctx, outcome, duration),
            ));
        }
    }
}

impl Drop for Report<'_> {
    fn drop(&mut self) {
        if self.launch.is_some() {
            self.send(
                Outcome::Failed("the node's task ended without a result".to_owned()),
                Duration::ZERO,
            );
        }
    }
}

/// The scheduler's side: nodes handed to runners and not yet reported. Dropping it aborts
/// the runners, and with them the nodes they run.
pub(crate) struct Tasks {
    spawn: Spawn,
    queue: Arc<Queue>,
    finished: UnboundedReceiver<Finished>,
    runners: Vec<AbortOnDropHandle<()>>,
    max_runners: usize,
    len: usize,
}

impl Tasks {
    /// At most `max_runners` runners, made by `spawn`.
    pub(crate) fn new(spawn: Spawn, max_runners: usize) -> Self {
        let (done, finished) = unbounded_channel();
        let queue = Arc::new(Queue {
            state: Mutex::new(QueueState {
                waiting: VecDeque::new(),
                runners: 0,
                executing: 0,
            }),
            done,
        });
        Tasks {
            spawn,
            queue,
            finished,
            runners: Vec::new(),
            max_runners: max_runners.max(1),
            len: 0,
        }
    }

    /// How many nodes were handed over and have not reported yet.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Hands node `index` (iteration `epoch`) to a runner, starting one if all are busy.
    pub(crate) fn launch(
        &mut self,
        index: usize,
        epoch: u32,
        node_ctx: NodeContext,
        limits: Limits,
    ) {
        let start_runner = {
            let mut state = self.queue.lock();
            state.waiting.push_back(Launch {
                index,
                epoch,
                node_ctx,
                limits,
            });
            // Runners not running a node will take the waiting ones; start one more when they
            // are too few.
            let free = state.runners - state.executing;
            let needed = state.runners < self.max_runners && free < state.waiting.len();
            if needed {
                state.runners += 1;
            }
            needed
        };
        self.len += 1;
        if start_runner {
            if self.runners.len() >= 2 * self.max_runners {
                self.runners.retain(|runner| !runner.is_finished());
            }
            let runner = (self.spawn)(Arc::clone(&self.queue));
            self.runners.push(AbortOnDropHandle::new(runner));
        }
    }

    /// The next node to finish; `None` when none was handed over.
    pub(crate) async fn next(&mut self) -> Option<Finished> {
        if self.len == 0 {
            return None;
        }
        let finished = self.finished.recv().await?;
        self.len -= 1;
        Some(finished)
    }
}
