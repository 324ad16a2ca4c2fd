//! The shared scheduler: runs a workflow on any backend through its `execute_node`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use tracing::Instrument;

use crate::backend::Backend;
use crate::context::{NodeContext, NodeInput, NodeStatus, WorkflowContext, WorkflowStatus};
use crate::result::NodeResult;
use crate::workflow::{NodeRole, Workflow};

/// Runs `workflow` on `backend` from its start node and returns the finished context.
///
/// Node executions go through [`Backend::execute_node`]; this function decides which node runs
/// next, what it sees, and when the run ends:
///
/// - every static successor of a node runs, each with the outputs of the node that led to it;
/// - a route key selects the node's route target, and an explicit next override wins over
///   static successors;
/// - end nodes are never executed;
/// - a failing node ends the run as `failed`, an interrupting node as `interrupted`;
/// - more than [`Workflow::max_steps`] node executions end the run as `failed`.
pub async fn run<B: Backend + ?Sized>(
    backend: &B,
    workflow: &Workflow,
    mut ctx: WorkflowContext,
) -> WorkflowContext {
    ctx.status = WorkflowStatus::Running;
    if !workflow.input().is_empty() {
        let globals = Arc::make_mut(&mut ctx.globals);
        for (key, value) in workflow.input() {
            globals.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }

    let start = workflow.position(workflow.start().id()).unwrap_or_default();
    // Each entry: a node to run and the node whose result activated it.
    let mut queue: VecDeque<(usize, Option<usize>)> = VecDeque::from([(start, None)]);
    let mut steps = 0usize;
    while let Some((index, from)) = queue.pop_front() {
        let spec = &workflow.nodes()[index];
        if spec.role() == NodeRole::End {
            continue;
        }
        steps += 1;
        if steps > workflow.max_steps() {
            fail(
                &mut ctx,
                format!(
                    "workflow exceeded max_steps: {} node executions; a route loop may never end",
                    workflow.max_steps()
                ),
            );
            break;
        }

        let mut input = NodeInput::new(Arc::clone(&ctx.globals));
        if let Some(from) = from {
            let from_id = workflow.nodes()[from].id();
            if let Some(output) = ctx.output(from_id) {
                input.outputs.insert(from_id.to_owned(), output.clone());
            }
        }
        let mut node_ctx = NodeContext::new(spec.id(), input);
        node_ctx.status = NodeStatus::Running;

        let span = tracing::debug_span!(
            target: "nadoo_flow::backend",
            "execute_node",
            backend = backend.name(),
            workflow = %ctx.workflow_id,
            step = spec.id(),
            attempt = node_ctx.attempt,
        );
        let started = Instant::now();
        let result = backend
            .execute_node(spec, &node_ctx, &ctx)
            .instrument(span)
            .await
            .unwrap_or_else(|error| NodeResult::failed(error.to_string()));
        node_ctx.duration = Some(started.elapsed());

        let NodeResult {
            success,
            output,
            route,
            next,
            interrupt,
            error,
            globals,
            metadata,
        } = result;
        node_ctx.metadata = metadata;
        if !globals.is_empty() {
            Arc::make_mut(&mut ctx.globals).extend(globals);
        }
        let id = spec.id().to_owned();
        let outcome = if interrupt {
            node_ctx.status = NodeStatus::Interrupted;
            node_ctx.output = Some(output);
            Outcome::Interrupted
        } else if success {
            node_ctx.status = NodeStatus::Success;
            node_ctx.output = Some(output);
            Outcome::Continue
        } else {
            let reason = error.unwrap_or_else(|| "failed without a reason".to_owned());
            node_ctx.status = NodeStatus::Failed;
            node_ctx.error = Some(reason.clone());
            Outcome::Failed(format!("node `{id}` failed: {reason}"))
        };
        ctx.node_contexts.insert(id.clone(), node_ctx);
        ctx.execution_path.push(id.clone());

        match outcome {
            Outcome::Interrupted => {
                ctx.status = WorkflowStatus::Interrupted;
                break;
            }
            Outcome::Failed(reason) => {
                fail(&mut ctx, reason);
                break;
            }
            Outcome::Continue => {}
        }

        match successors(workflow, index, route.as_deref(), next.as_deref()) {
            Ok(targets) => queue.extend(targets.into_iter().map(|t| (t, Some(index)))),
            Err(reason) => {
                if let Some(node_ctx) = ctx.node_contexts.get_mut(&id) {
                    node_ctx.status = NodeStatus::Failed;
                    node_ctx.error = Some(reason.clone());
                }
                fail(&mut ctx, format!("node `{id}` failed: {reason}"));
                break;
            }
        }
    }
    if ctx.status == WorkflowStatus::Running {
        ctx.status = WorkflowStatus::Success;
    }
    ctx
}

enum Outcome {
    Continue,
    Interrupted,
    Failed(String),
}

fn fail(ctx: &mut WorkflowContext, reason: String) {
    ctx.status = WorkflowStatus::Failed;
    ctx.error = Some(reason);
}

/// The nodes that run after node `index` returned `route` and `next`.
fn successors(
    workflow: &Workflow,
    index: usize,
    route: Option<&str>,
    next: Option<&str>,
) -> Result<Vec<usize>, String> {
    let spec = &workflow.nodes()[index];
    let resolve = |id: &str| workflow.position(id);
    if let Some(key) = route
        && !spec.routes().is_empty()
    {
        let target = spec.routes().get(key).ok_or_else(|| {
            let keys: Vec<&str> = spec.routes().keys().map(String::as_str).collect();
            format!(
                "returned route `{key}`, which has no target (routes: {})",
                keys.join(", ")
            )
        })?;
        // Route targets were checked when the workflow was built.
        return Ok(resolve(target).into_iter().collect());
    }
    if let Some(id) = next {
        return resolve(id)
            .map(|t| vec![t])
            .ok_or_else(|| format!("chose next node `{id}`, which is not a node"));
    }
    Ok(spec
        .next_ids()
        .iter()
        .filter_map(|id| resolve(id))
        .collect())
}
