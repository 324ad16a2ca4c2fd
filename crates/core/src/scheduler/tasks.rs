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
//!
//! Both ways are a locked queue and a wake-up only for whoever sleeps on the other side: a
//! runner that finds a node waiting takes it without being woken, and the scheduler takes
//! every result that came in since it last looked in one go, so a wide fan-out costs few
//! wake-ups per node.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::Duration;

use futures::task::AtomicWaker;
use tokio::sync::Notify;
use tokio_util::task::AbortOnDropHandle;

use super::attempt::{self, Call, Limits, Outcome};
use super::elements::RunScope;
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

/// The nodes waiting for a runner, and the finished ones waiting for the scheduler; shared by
/// the scheduler and its runners.
pub(crate) struct Queue {
    waiting: Mutex<VecDeque<Box<Launch>>>,
    /// Wakes a runner that found no node waiting.
    launched: Notify,
    /// Runners looking for a node, awake.
    searching: AtomicUsize,
    /// Set once a node interrupted or failed the run: no runner starts another node.
    halted: AtomicBool,
    #[expect(
        clippy::vec_box,
        reason = "a node travels as one pointer between threads, allocated and freed by the scheduler"
    )]
    finished: Mutex<Vec<Box<Launch>>>,
    /// Wakes the scheduler once a node finished while it waited.
    scheduler: AtomicWaker,
}

/// Locks `mutex`; a runner that panicked while holding it left whole values behind (every
/// critical section only pushes or pops), so poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Queue {
    fn halted(&self) -> bool {
        self.halted.load(Ordering::Acquire)
    }

    /// The next node, once one waits; `None` once the run stops.
    ///
    /// While a runner looks it counts as searching; the scheduler wakes a sleeping runner only
    /// when none is, and a runner that takes a node and leaves others waiting with nobody
    /// searching wakes the next: every waiting node has a runner on its way, and a burst of
    /// cheap nodes is taken by the runners already awake.
    async fn take(&self) -> Option<Box<Launch>> {
        self.searching.fetch_add(1, Ordering::SeqCst);
        loop {
            if self.halted() {
                self.searching.fetch_sub(1, Ordering::SeqCst);
                return None;
            }
            let (launch, more) = {
                let mut waiting = lock(&self.waiting);
                let launch = waiting.pop_front();
                (launch, !waiting.is_empty())
            };
            if let Some(launch) = launch {
                let searching = self.searching.fetch_sub(1, Ordering::SeqCst);
                if more && searching == 1 {
                    self.launched.notify_one();
                }
                return Some(launch);
            }
            // Registered before no longer counting as searching and looking again, so a node
            // launched in between is seen or wakes this runner.
            let launched = self.launched.notified();
            tokio::pin!(launched);
            launched.as_mut().enable();
            self.searching.fetch_sub(1, Ordering::SeqCst);
            if self.halted() {
                return None;
            }
            if lock(&self.waiting).is_empty() {
                launched.await;
            }
            self.searching.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Hands a finished node back to the scheduler.
    fn finish(&self, launch: Box<Launch>) {
        lock(&self.finished).push(launch);
        self.scheduler.wake();
    }
}

/// The spawner of runners for a backend that can be copied onto tasks.
pub(crate) fn spawner<B: NodeExecutor + Clone + 'static>(
    backend: &B,
    workflow: &Workflow,
    header: Arc<WorkflowContext>,
    scope: RunScope,
) -> Spawn {
    let shared = Arc::new((backend.clone(), workflow.clone(), header, scope));
    Box::new(move |queue: Arc<Queue>| {
        let shared = Arc::clone(&shared);
        // Runners live as long as the run: the scheduler aborts them when it is done.
        tokio::spawn(async move {
            let (backend, workflow, header, scope) = &*shared;
            while let Some(launch) = queue.take().await {
                let mut report = Report {
                    launch: Some(launch),
                    queue: &queue,
                };
                let Some(launch) = report.launch.as_mut() else {
                    break;
                };
                let spec = &workflow.nodes()[launch.index];
                let (outcome, duration) = attempt::execute(
                    backend,
                    Call::Direct,
                    spec,
                    header,
                    &mut launch.node_ctx,
                    launch.limits,
                    scope,
                )
                .await;
                // An interrupting or failing node stops the run: the nodes still waiting must
                // not start, even before the scheduler has seen this result.
                let stops = match &outcome {
                    Outcome::Done(result) | Outcome::Composed(result, _) => result.is_interrupt(),
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
    queue: &'q Queue,
}

impl Report<'_> {
    fn send(&mut self, outcome: Outcome, duration: Duration) {
        if let Some(mut launch) = self.launch.take() {
            launch.result = Some((outcome, duration));
            self.queue.finish(launch);
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
    /// Finished nodes taken from the queue and not yet handed to the scheduler's loop.
    #[expect(
        clippy::vec_box,
        reason = "a node travels as one pointer between threads, allocated and freed by the scheduler"
    )]
    finished: Vec<Box<Launch>>,
    runners: Vec<AbortOnDropHandle<()>>,
    max_runners: usize,
    len: usize,
}

impl Tasks {
    /// At most `max_runners` runners, made by `spawn`.
    pub(crate) fn new(spawn: Spawn, max_runners: usize) -> Self {
        let queue = Arc::new(Queue {
            waiting: Mutex::new(VecDeque::new()),
            launched: Notify::new(),
            searching: AtomicUsize::new(0),
            halted: AtomicBool::new(false),
            finished: Mutex::new(Vec::new()),
            scheduler: AtomicWaker::new(),
        });
        Tasks {
            spawn,
            queue,
            finished: Vec::new(),
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
        lock(&self.queue.waiting).push_back(launch);
        if self.queue.searching.load(Ordering::SeqCst) == 0 {
            self.queue.launched.notify_one();
        }
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
        let waiting: Vec<Box<Launch>> = lock(&self.queue.waiting).drain(..).collect();
        // Runners waiting for a node see the halt and stop.
        self.queue.launched.notify_waiters();
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
        let launch = poll_fn(|cx| {
            if let Some(launch) = self.finished.pop() {
                return Poll::Ready(launch);
            }
            // Registered before looking, so a node finishing in between wakes this task.
            self.queue.scheduler.register(cx.waker());
            match self.take_finished() {
                Some(launch) => Poll::Ready(launch),
                None => Poll::Pending,
            }
        })
        .await;
        Some(self.hand_back(launch))
    }

    /// A node that has finished already, without waiting for one.
    pub(crate) fn try_next(&mut self) -> Option<Finished> {
        if self.len == 0 {
            return None;
        }
        let launch = match self.finished.pop() {
            Some(launch) => launch,
            None => self.take_finished()?,
        };
        Some(self.hand_back(launch))
    }

    /// Takes every node that finished since the last look, and returns the oldest.
    fn take_finished(&mut self) -> Option<Box<Launch>> {
        std::mem::swap(&mut self.finished, &mut lock(&self.queue.finished));
        // Oldest last, so that `pop` hands them over in the order they finished.
        self.finished.reverse();
        self.finished.pop()
    }

    fn hand_back(&mut self, launch: Box<Launch>) -> Finished {
        self.len -= 1;
        let (outcome, duration) = launch
            .result
            .unwrap_or_else(|| (Outcome::Failed(LOST.to_owned()), Duration::ZERO));
        (
            launch.index,
            launch.iteration,
            (launch.node_ctx, outcome, duration),
        )
    }
}
