//! Concurrent node executions on tokio tasks, for backends that run nodes in this process.
//!
//! The default way (every backend) keeps concurrent executions as futures of the scheduler's
//! own task; a backend that runs nodes in-process then spawns a task inside `execute_node`
//! for each of them, copies the node's context into it and hands the result back through the
//! future. Here the scheduler instead keeps a pool of *runner* tasks, at most `max_workers`,
//! fed from one queue: a runner takes a node, runs it, hands it back with its result and takes
//! the next, or waits for one. At most `max_workers` nodes run at once, as with one task per
//! node, and a node that waits holds up only its own runner; but a fan-out of ten thousand
//! nodes spawns a few dozen tasks instead of ten thousand.
//!
//! A node travels boxed: the scheduler's thread allocates it, runners move only the pointer,
//! and the scheduler's thread frees it again once it has read the result.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::task::AbortOnDropHandle;

use super::attempt::{self, Call, Limits, Outcome};
use super::events::RunEvent;
use super::executor::NodeExecutor;
use crate::context::{NodeContext, WorkflowContext};
use crate::graph::workflow::Workflow;

/// A finished node execution: node position, iteration, its context, outcome and duration.
pub(crate) type Finished = (usize, u32, (NodeContext, Outcome, Duration));

/// Starts a runner task over the run's queue; made by [`spawner`] for one backend type.
pub(crate) type Spawn = Box<dyn Fn(Arc<Queue>) -> tokio::task::JoinHandle<()> + Send + Sync>;

/// One node execution, from the scheduler to a runner and back.
pub(crate) struct Launch {
    index: usize,
    iteration: u32,
    node_ctx: NodeContext,
    limits: Limits,
    /// Set by the runner: how the execution ended, and how long it took.
    result: Option<(Outcome, Duration)>,
}

/// The nodes waiting for a runner; shared by the scheduler and its runners.
pub(crate) struct Queue {
    waiting: Mutex<VecDeque<Box<Launch>>>,
    /// One permit per waiting node.
    queued: Semaphore,
    /// Set once a node interrupted or failed the run: no runner starts another node.
    halted: AtomicBool,
    done: UnboundedSender<Box<Launch>>,
}

impl Queue {
    fn waiting(&self) -> std::sync::MutexGuard<'_, VecDeque<Box<Launch>>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next node, once one waits; `None` once the run stops.
    async fn take(&self) -> Option<Box<Launch>> {
        loop {
            if self.halted.load(Ordering::Acquire) {
                return None;
            }
            let permit = self.queued.acquire().await.ok()?;
            if self.halted.load(Ordering::Acquire) {
                return None;
            }
            permit.forget();
            // Empty only when the scheduler took the node back in between.
            if let Some(launch) = self.waiting().pop_front() {
                return Some(launch);
            }
        }
    }
}

/// The spawner of runners for a backend that can be copied onto tasks.
pub(crate) fn spawner<B: NodeExecutor + Clone + 'static>(
    backend: &B,
    workflow: &Workflow,
    header: Arc<WorkflowContext>,
    events: Option<UnboundedSender<RunEvent>>,
) -> Spawn {
    let shared = Arc::new((backend.clone(), workflow.clone(), header, events));
    Box::new(move |queue: Arc<Queue>| {
        let shared = Arc::clone(&shared);
        // Runners live as long as the run: the scheduler aborts them when it is done.
        tokio::spawn(async move {
            let (backend, workflow, header, events) = &*shared;
            while let Some(launch) = queue.take().await {
                let mut report = Report {
                    launch: Some(launch),
                    done: &queue.done,
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
                // An interrupting or failing node stops the run: the nodes still waiting must
                // not start, even before the scheduler has seen this result.
                let stops = match &outcome {
                    Outcome::Done(result) => result.is_interrupt(),
                    Outcome::Failed(_) | Outcome::Panicked(_) => true,
                };
                if stops {
                    queue.halted.store(true, Ordering::Release);
                }
                report.send(outcome, duration);
                // A runner that finds node after node ready must still let the other tasks
                // of its thread run.
                tokio::task::coop::consume_budget().await;
            }
        })
    })
}

/// Hands a node back to the scheduler with its result, and with a failure when its runner
/// ends without one (aborted, or the runtime shut down), so that no node is waited for
/// forever.
struct Report<'q> {
    launch: Option<Box<Launch>>,
    done: &'q UnboundedSender<Box<Launch>>,
}

impl Report<'_> {
    fn send(&mut self, outcome: Outcome, duration: Duration) {
        if let Some(mut launch) = self.launch.take() {
            launch.result = Some((outcome, duration));
            // The scheduler may be gone (the run was dropped or has failed): nobody waits.
            let _ = self.done.send(launch);
        }
    }
}

impl Drop for Report<'_> {
    fn drop(&mut self) {
        if self.launch.is_some() {
            self.send(Outcome::Failed(LOST.to_owned()), Duration::ZERO);
        }
    }
}

/// Why a node whose runner ended without a result failed.
const LOST: &str = "the node's task ended without a result";

/// The scheduler's side: nodes handed to runners and not yet back. Dropping it aborts the
/// runners, and with them the nodes they run.
pub(crate) struct Tasks {
    spawn: Spawn,
    queue: Arc<Queue>,
    finished: UnboundedReceiver<Box<Launch>>,
    runners: Vec<AbortOnDropHandle<()>>,
    max_runners: usize,
    len: usize,
}

impl Tasks {
    /// At most `max_runners` runners, made by `spawn`.
    pub(crate) fn new(spawn: Spawn, max_runners: usize) -> Self {
        let (done, finished) = unbounded_channel();
        let queue = Arc::new(Queue {
            waiting: Mutex::new(VecDeque::new()),
            queued: Semaphore::new(0),
            halted: AtomicBool::new(false),
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

    /// How many nodes were handed over and are not back yet.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Hands node `index` (iteration `iteration`) to the runners, starting one more while there
    /// are fewer runners than nodes handed over (and fewer than `max_runners`): runners never
    /// stop during the run, so every node handed over finds one as soon as one is free.
    pub(crate) fn launch(
        &mut self,
        index: usize,
        iteration: u32,
        node_ctx: NodeContext,
        limits: Limits,
    ) {
        let launch = Box::new(Launch {
            index,
            iteration,
            node_ctx,
            limits,
            result: None,
        });
        self.queue.waiting().push_back(launch);
        self.queue.queued.add_permits(1);
        self.len += 1;
        if self.runners.len() < self.len && self.runners.len() < self.max_runners {
            let runner = (self.spawn)(Arc::clone(&self.queue));
            self.runners.push(AbortOnDropHandle::new(runner));
        }
    }

    /// Stops the runners from starting more nodes and takes back the ones that have not
    /// started, oldest first: node position, iteration, context.
    pub(crate) fn recall(&mut self) -> Vec<(usize, u32, NodeContext)> {
        self.queue.halted.store(true, Ordering::Release);
        let waiting: Vec<Box<Launch>> = self.queue.waiting().drain(..).collect();
        for _ in &waiting {
            // A runner holding the permit finds the queue empty and stops.
            if let Ok(permit) = self.queue.queued.try_acquire() {
                permit.forget();
            }
        }
        self.len -= waiting.len();
        waiting
            .into_iter()
            .map(|launch| (launch.index, launch.iteration, launch.node_ctx))
            .collect()
    }

    /// The next node to finish; `None` when none was handed over.
    pub(crate) async fn next(&mut self) -> Option<Finished> {
        if self.len == 0 {
            return None;
        }
        let launch = *self.finished.recv().await?;
        self.len -= 1;
        let (outcome, duration) = launch
            .result
            .unwrap_or_else(|| (Outcome::Failed(LOST.to_owned()), Duration::ZERO));
        Some((
            launch.index,
            launch.iteration,
            (launch.node_ctx, outcome, duration),
        ))
    }
}
