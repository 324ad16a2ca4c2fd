//! The shared scheduler: runs a workflow on any backend through its `execute_node`.
//!
//! Every backend's [`execute_workflow`](crate::Backend::execute_workflow) comes here by
//! default, so routing, joins, loops, limits, retries, interrupts and events behave the same
//! on `native` as on a distributed backend. What differs is only where `execute_node` runs
//! the node.
//!
//! # Semantics
//!
//! - All static successors (`next`) of a node run, concurrently, at most `max_workers` at a
//!   time. A node whose predecessors run concurrently (a join) runs once, when each of its
//!   incoming edges is resolved: taken, or skipped because its source took another route or
//!   was itself skipped. It sees the outputs of the predecessors that led to it.
//! - A route key selects one route target; a next override, which may name only one of the
//!   node's `next` successors or route targets, wins over static successors.
//! - Routes may loop back. A loop is a set of nodes that reach each other; inside it, an edge
//!   to a node no farther from the start (by breadth-first distance, then id) closes the
//!   loop, whatever order `next` and `routes` were written in. Taking it starts the next
//!   *iteration*. In the first pass a node waits for its forward incoming edges; in a later
//!   iteration, for its edges from inside the loop, so a join inside a loop fires once per
//!   iteration with that iteration's outputs. An edge resolved again before its join is
//!   complete starts a second group of inputs. A join still waiting when nothing else can run
//!   fails the run, naming what it waits for.
//! - Every node execution counts toward the workflow's `max_steps` (by default the number of
//!   nodes plus [`DEFAULT_MAX_STEPS`](crate::DEFAULT_MAX_STEPS)).
//! - Globals are shared by reference; nodes write them only through their results. When two
//!   writes of one key race, the deterministic winner is the node in the later loop
//!   iteration, then the node later in the workflow's topological order. A node's record in
//!   the run is its execution in the latest iteration.
//! - A failing node (after its retries) or a panicking one fails the run at once: in-flight
//!   nodes are dropped and recorded as cancelled. An interrupting node stops new nodes from
//!   starting; once the in-flight ones finish, the run ends as `interrupted` with a
//!   [`Checkpoint`] from which [`Backend::resume`](crate::Backend::resume) continues, on the same workflow only.
//!
//! `tests/model` in the repository is a sequential interpreter of exactly these rules, and a
//! property test holds this scheduler to it on random workflows.

mod attempt;
mod elements;
mod engine_options;
mod events;
mod executor;
mod joins;
mod journal;
mod options;
mod resume;
mod state;
mod stream;
mod sub_runs;
mod tasks;

use std::sync::Arc;

use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};

pub use self::engine_options::EngineOptions;
pub use self::events::{RunEvent, RunEventKind};
pub use self::options::{
    DEFAULT_RETRY_BACKOFF, DEFAULT_WORKERS_PER_CPU, ExecutionOptions, MAX_RETRY_BACKOFF,
    RunOptions, default_max_workers,
};
pub use self::stream::RunStream;
pub use crate::checkpoint::Checkpoint;

use self::attempt::{Call, Limits, send};
use self::elements::RunScope;
use self::events::Events;
pub use self::executor::NodeExecutor;
use self::journal::Journal;
use self::state::State;
use self::tasks::{Finished, Spawn, Tasks};
use crate::context::{Emitter, WorkflowContext, WorkflowStatus};
use crate::error::Result;
use crate::graph::workflow::{NodeRole, Workflow};

/// Runs `workflow` on `backend` and returns the finished context.
///
/// A context with a [`Checkpoint`] (from an interrupted run) is resumed: the interrupted nodes
/// run again, seeing `options`' resume input, and the run goes on from where it stopped.
///
/// # Errors
///
/// [`Error::InvalidCheckpoint`](crate::Error::InvalidCheckpoint) when the context's checkpoint belongs to another workflow.
/// A failing node is not an error: the run ends with status `failed`.
pub async fn run<B: NodeExecutor + ?Sized>(
    backend: &B,
    workflow: &Workflow,
    context: WorkflowContext,
    options: RunOptions,
) -> Result<WorkflowContext> {
    drive(backend, workflow, context, options, |_, _| None).await
}

/// [`run`] for a backend that runs nodes in this process, such as `native`: the scheduler
/// calls each node's [`Node::execute`](crate::Node::execute) itself, as such a backend's
/// `execute_node` would (an `Err` becomes the node's failure), instead of going through
/// `execute_node`. A node that runs alone runs inline; the nodes that run beside others go to
/// a pool of at most `max_workers` tokio tasks, so that CPU-bound nodes use every core. Those
/// see [`NodeContext::has_own_task`](crate::NodeContext::has_own_task).
///
/// Needs a tokio runtime.
///
/// # Errors
///
/// As [`run`].
pub async fn run_on_tasks<B: NodeExecutor + Clone + 'static>(
    backend: &B,
    workflow: &Workflow,
    context: WorkflowContext,
    options: RunOptions,
) -> Result<WorkflowContext> {
    drive(backend, workflow, context, options, |header, scope| {
        Some(tasks::spawner(backend, workflow, header, scope))
    })
    .await
}

/// Where the nodes that run concurrently with others are while they run.
enum InFlight<F> {
    /// Futures of the scheduler's own task.
    Here(FuturesUnordered<F>),
    /// Tasks of their own.
    Tasks(Tasks),
}

impl<F: std::future::Future<Output = Finished>> InFlight<F> {
    fn len(&self) -> usize {
        match self {
            InFlight::Here(futures) => futures.len(),
            InFlight::Tasks(tasks) => tasks.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    async fn next(&mut self) -> Option<Finished> {
        match self {
            InFlight::Here(futures) => futures.next().await,
            InFlight::Tasks(tasks) => tasks.next().await,
        }
    }

    /// A node that has finished already, if any, without waiting.
    fn try_next(&mut self) -> Option<Finished> {
        match self {
            InFlight::Here(futures) => futures.next().now_or_never().flatten(),
            InFlight::Tasks(tasks) => tasks.try_next(),
        }
    }
}

/// Takes back the nodes handed to runner tasks that have not started, once the run stops:
/// they go back to the ready queue (and so into an interrupted run's checkpoint), and are
/// not recorded as cancelled when the run fails.
fn recall<F>(in_flight: &mut InFlight<F>, state: &mut State<'_>) {
    if let InFlight::Tasks(tasks) = in_flight {
        for (index, iteration, node_ctx) in tasks.recall().into_iter().rev() {
            state.unlaunch(index, iteration, node_ctx);
        }
    }
}

/// The scheduler's loop; `spawner` says whether concurrent nodes get tasks of their own, and
/// with them whether nodes are called directly.
async fn drive<B: NodeExecutor + ?Sized>(
    backend: &B,
    workflow: &Workflow,
    context: WorkflowContext,
    options: RunOptions,
    spawner: impl FnOnce(Arc<WorkflowContext>, RunScope) -> Option<Spawn>,
) -> Result<WorkflowContext> {
    let limits = options.resolve(backend.execution_limits());
    let mut state = State::new(workflow, context);
    state.debug = limits.debug;
    match state.ctx.checkpoint.take() {
        Some(checkpoint) => state.restore(checkpoint, options.resume.clone())?,
        None => state.begin(),
    }
    let (journal, replayed_failure) = Journal::open(
        &options.durable,
        workflow,
        &mut state,
        options.resume.as_ref(),
    )
    .await?;
    let mut replayed_failure = replayed_failure;
    // The run's id is known now (a stored run's, or the context's): every event carries it.
    let events = options
        .events
        .as_ref()
        .map(|sender| Arc::new(Events::new(sender.clone(), &state.ctx.workflow_id)));
    if let Some(events) = &events {
        state.emitter = Emitter::new(Box::new(Events::clone(events)));
    }
    state.events.clone_from(&events);
    let scope = RunScope {
        events: state.events.clone(),
        elements: state.elements.clone(),
    };
    let scope = &scope;
    let events = events.as_deref();
    state.ctx.status = WorkflowStatus::Running;
    state.ctx.error = None;

    // What `execute_node` sees of the run: its id and the globals it started with.
    let header = Arc::new(WorkflowContext {
        workflow_id: state.ctx.workflow_id.clone(),
        globals: Arc::clone(&state.ctx.globals),
        node_contexts: Default::default(),
        execution_path: Vec::new(),
        status: WorkflowStatus::Running,
        error: None,
        checkpoint: None,
    });
    let cancel = options.cancel.clone();
    let max_workers = limits.max_workers.get();

    // How many nodes may be handed over at once. Futures of this task all run; of the nodes
    // handed to runner tasks at most `max_workers` run (there are no more runners), and as
    // many again wait in their queue, so that a runner done with one node finds the next
    // instead of sleeping until this task has seen the result.
    let (mut in_flight, how, handed_over) = match spawner(Arc::clone(&header), scope.clone()) {
        Some(spawn) => (
            InFlight::Tasks(Tasks::new(spawn, max_workers)),
            Call::Direct,
            max_workers.saturating_mul(2),
        ),
        None => (
            InFlight::Here(FuturesUnordered::new()),
            Call::Backend,
            max_workers,
        ),
    };
    let header = &*header;
    let failure: Option<String> = 'run: loop {
        if let Some(reason) = replayed_failure.take() {
            break Some(reason);
        }
        while !state.stopping && in_flight.len() < handed_over {
            // Write ahead: what finished is durable before anything after it starts. Nodes
            // that became ready earlier (siblings of a fan-out) start without waiting.
            if let Some(journal) = &journal
                && state.ready.front().is_some_and(|a| a.needs > state.durable)
                && let Err(error) = journal.flush(&mut state).await
            {
                break 'run Some(journal.failure(&error));
            }
            let Some(activation) = state.next_ready() else {
                break;
            };
            let index = activation.node;
            let spec = &workflow.nodes()[index];
            if spec.role() == NodeRole::End {
                continue;
            }
            if state.steps >= workflow.max_steps() {
                break 'run Some(step_limit(workflow));
            }
            state.steps += 1;
            let iteration = activation.iteration;
            let concurrent = !in_flight.is_empty() || !state.ready.is_empty();
            let mut node_ctx = state.node_context(activation, concurrent);
            state.running[index] += 1;
            let node_limits = Limits {
                timeout: spec.timeout_limit().or(limits.timeout),
                max_retries: spec.retry_limit().unwrap_or(limits.max_retries),
                retry_backoff: limits.retry_backoff,
                steps_left: workflow.max_steps() - state.steps,
            };
            if !concurrent {
                // The only node that can run now: a linear segment runs inline, without the
                // bookkeeping of concurrent execution.
                let execution = attempt::execute(
                    backend,
                    how,
                    spec,
                    header,
                    &mut node_ctx,
                    node_limits,
                    scope,
                );
                let (outcome, duration) = match &cancel {
                    None => execution.await,
                    Some(token) => tokio::select! {
                        biased;
                        () = token.cancelled() => break 'run Some("run cancelled".to_owned()),
                        done = execution => done,
                    },
                };
                if let Err(reason) = state.finish(index, iteration, node_ctx, outcome, duration) {
                    break 'run Some(reason);
                }
                continue;
            }
            match &mut in_flight {
                InFlight::Here(futures) => futures.push(async move {
                    let mut node_ctx = node_ctx;
                    let (outcome, duration) = attempt::execute(
                        backend,
                        how,
                        spec,
                        header,
                        &mut node_ctx,
                        node_limits,
                        scope,
                    )
                    .await;
                    (index, iteration, (node_ctx, outcome, duration))
                }),
                InFlight::Tasks(tasks) => {
                    node_ctx.set_own_task();
                    tasks.launch(index, iteration, node_ctx, node_limits);
                }
            }
        }
        if in_flight.is_empty() {
            if state.stopping {
                break None;
            }
            if !state.ready.is_empty() || state.flush_deferred() {
                continue;
            }
            break state.stalled_join();
        }
        // Before waiting, what has finished is written: a crash now loses no finished node.
        if let Some(journal) = &journal
            && let Err(error) = journal.flush(&mut state).await
        {
            break Some(journal.failure(&error));
        }
        let next = match &cancel {
            None => in_flight.next().await,
            Some(token) => tokio::select! {
                biased;
                () = token.cancelled() => break Some("run cancelled".to_owned()),
                next = in_flight.next() => next,
            },
        };
        // In a durable run, every node that has finished by now is recorded before anything
        // new starts, so that they are journaled in one write. (Other runs hand the runners
        // their next node at once.)
        let mut next = next;
        while let Some((index, iteration, (node_ctx, outcome, duration))) = next {
            let finished = state.finish(index, iteration, node_ctx, outcome, duration);
            if finished.is_err() || state.stopping {
                recall(&mut in_flight, &mut state);
            }
            if let Err(reason) = finished {
                break 'run Some(reason);
            }
            next = if journal.is_some() {
                in_flight.try_next()
            } else {
                None
            };
        }
    };
    recall(&mut in_flight, &mut state);
    drop(in_flight);

    match failure {
        Some(reason) => {
            state.cancel_running(&reason);
            state.ctx.status = WorkflowStatus::Failed;
            state.ctx.error = Some(reason);
        }
        None if state.stopping => {
            state.ctx.checkpoint = Some(state.checkpoint());
            state.ctx.status = WorkflowStatus::Interrupted;
        }
        None => state.ctx.status = WorkflowStatus::Success,
    }
    if let Some(journal) = journal {
        journal.close(&mut state).await?;
    }
    send(events, || RunEventKind::WorkflowFinished {
        status: state.ctx.status,
        error: state.ctx.error.clone(),
    });
    Ok(state.ctx)
}

/// The failure of a run that reached its workflow's step limit.
fn step_limit(workflow: &Workflow) -> String {
    let limit = workflow.max_steps();
    if workflow.has_loops() {
        format!(
            "workflow exceeded max_steps: {limit} node executions; its routes form loops, and \
             one may never end (raise `max_steps` if it should run longer)"
        )
    } else {
        format!(
            "workflow exceeded max_steps: {limit} node executions; it has no loops, so the \
             limit is lower than its {} nodes need (raise `max_steps`)",
            workflow.nodes().len()
        )
    }
}
