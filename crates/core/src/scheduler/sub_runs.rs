//! What a composite node (`map`, `workflow`) runs inside a run: single node executions and
//! whole workflows, on the run's backend, counted against the run's step limit.

use std::sync::atomic::{AtomicUsize, Ordering};

use futures::future::BoxFuture;
use serde_json::{Map, Value};

use super::attempt::{self, Call, Limits, Outcome};
use super::elements::{ElementLog, RunScope};
use super::executor::NodeExecutor;
use super::{ExecutionOptions, RunOptions};
use crate::context::{NodeContext, WorkflowContext};
use crate::error::Result;
use crate::graph::composite::{Composite, SubRuns};
use crate::graph::workflow::{NodeSpec, Workflow};
use crate::result::NodeResult;

/// A backend seen through `&dyn NodeExecutor`, whatever its type: sub-runs of every depth run
/// on one instance of the scheduler's code.
pub(super) struct Delegate<'a, B: ?Sized>(pub(super) &'a B);

impl<B: NodeExecutor + ?Sized> NodeExecutor for Delegate<'_, B> {
    fn executor_name(&self) -> &str {
        self.0.executor_name()
    }

    fn execute_one<'a>(
        &'a self,
        node: &'a NodeSpec,
        node_context: &'a NodeContext,
        workflow_context: &'a WorkflowContext,
    ) -> BoxFuture<'a, Result<NodeResult>> {
        self.0.execute_one(node, node_context, workflow_context)
    }

    fn execution_limits(&self) -> ExecutionOptions {
        self.0.execution_limits()
    }
}

/// Runs one attempt of the composite node `node_ctx` is the context of, on `backend`; the
/// executions inside it take steps from `budget`, counted in `used` (over all attempts).
#[cold]
pub(super) fn run_composite<'a, B: NodeExecutor + ?Sized>(
    composite: &'a dyn Composite,
    backend: &'a B,
    header: &'a WorkflowContext,
    node_ctx: &'a NodeContext,
    budget: usize,
    used: &'a AtomicUsize,
    elements: Option<&'a ElementLog>,
) -> BoxFuture<'a, Result<NodeResult>> {
    Box::pin(async move {
        let delegate = Delegate(backend);
        let runner = SubRunner {
            executor: &delegate,
            header,
            budget,
            used,
            elements,
            node: node_ctx.node_id.as_str(),
            iteration: node_ctx.iteration,
        };
        Ok(composite
            .run(&runner, node_ctx)
            .await
            .unwrap_or_else(|error| NodeResult::failed(error.to_string())))
    })
}

/// The sub-runs of a composite node.
struct SubRunner<'a> {
    executor: &'a dyn NodeExecutor,
    header: &'a WorkflowContext,
    /// How many steps the run had left when the node started.
    budget: usize,
    /// How many the executions inside it took.
    used: &'a AtomicUsize,
    /// Where a durable run journals the node's elements.
    elements: Option<&'a ElementLog>,
    /// The composite node and its iteration.
    node: &'a str,
    iteration: u32,
}

impl SubRunner<'_> {
    /// Takes `steps` of the budget, or says the run's limit is reached.
    fn take(&self, steps: usize) -> std::result::Result<(), String> {
        let before = self.used.fetch_add(steps, Ordering::AcqRel);
        if before.saturating_add(steps) > self.budget {
            return Err(format!(
                "workflow exceeded max_steps: the executions inside this node need more than \
                 the {} steps the run has left (raise `max_steps`)",
                self.budget
            ));
        }
        Ok(())
    }

    /// The steps left now.
    fn left(&self) -> usize {
        self.budget
            .saturating_sub(self.used.load(Ordering::Acquire))
    }
}

impl SubRuns for SubRunner<'_> {
    fn execute<'b>(
        &'b self,
        node: &'b NodeSpec,
        context: NodeContext,
    ) -> BoxFuture<'b, std::result::Result<NodeResult, String>> {
        Box::pin(async move {
            self.take(1)?;
            let defaults = self.executor.execution_limits();
            let limits = Limits {
                timeout: node.timeout_limit().or(defaults.timeout),
                max_retries: node.retry_limit().unwrap_or(defaults.max_retries),
                retry_backoff: defaults.retry_backoff,
                steps_left: self.left(),
            };
            let mut context = context;
            let (outcome, _) = attempt::execute(
                self.executor,
                Call::Backend,
                node,
                self.header,
                &mut context,
                limits,
                &RunScope::default(),
            )
            .await;
            match outcome {
                Outcome::Done(result) => Ok(result),
                Outcome::Composed(result, steps) => {
                    self.take(steps)?;
                    Ok(result)
                }
                Outcome::Failed(reason) | Outcome::Panicked(reason) => Err(reason),
            }
        })
    }

    fn run<'b>(
        &'b self,
        workflow: &'b Workflow,
        globals: Map<String, Value>,
    ) -> BoxFuture<'b, Result<WorkflowContext>> {
        let context = WorkflowContext::new().with_input(Value::Object(globals));
        self.drive(workflow, context, RunOptions::new())
    }

    fn resume<'b>(
        &'b self,
        workflow: &'b Workflow,
        context: WorkflowContext,
        input: Value,
    ) -> BoxFuture<'b, Result<WorkflowContext>> {
        self.drive(workflow, context, RunOptions::new().resume_with(input))
    }

    fn recorded(&self, index: u32) -> Option<Value> {
        self.elements?.recorded(self.node, self.iteration, index)
    }

    fn record<'b>(
        &'b self,
        index: u32,
        output: &'b Value,
        duration: std::time::Duration,
    ) -> BoxFuture<'b, std::result::Result<(), String>> {
        Box::pin(async move {
            let Some(elements) = self.elements else {
                return Ok(());
            };
            elements
                .record(self.node, self.iteration, index, output, duration)
                .await
                .map_err(|error| format!("the run could not be kept: {error}"))
        })
    }
}

impl SubRunner<'_> {
    /// Runs `workflow` from `context`; its new node executions are taken from the budget.
    fn drive<'b>(
        &'b self,
        workflow: &'b Workflow,
        context: WorkflowContext,
        options: RunOptions,
    ) -> BoxFuture<'b, Result<WorkflowContext>> {
        Box::pin(async move {
            let before = context.execution_path.len();
            let mut done = super::run(self.executor, workflow, context, options).await?;
            let steps = done.execution_path.len().saturating_sub(before);
            if let Err(reason) = self.take(steps) {
                done.status = crate::context::WorkflowStatus::Failed;
                done.error = Some(reason);
            }
            Ok(done)
        })
    }
}
