//! Random workflows — fan-outs, joins, routes, loops under a step limit, failures and
//! retries — give the same statuses, outputs and executions on `native` (multi-thread and
//! current-thread runtimes, whatever order edges and nodes are written in) as on the
//! reference model in `tests/model`.
//!
//! `PROPTEST_CASES` sets how many workflows are tried (default 2 000).

mod model;

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::LazyLock;
use std::time::Duration;

use model::{Behaviour, Desc, Outcome, Role};
use nadoo_flow::{
    BackendRegistry, BoxError, Node, NodeContext, NodeResult, NodeSpec, NodeStatus, RunOptions,
    Workflow, WorkflowContext, WorkflowStatus, async_trait,
};
use proptest::prelude::*;
use serde_json::Value;

/// A generated node: does what [`model::decide`] says.
#[derive(Debug)]
struct Generated(Desc);

#[async_trait]
impl Node for Generated {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        if self.0.behaviour.salt.is_multiple_of(2) {
            tokio::task::yield_now().await;
        }
        let inputs: BTreeMap<String, Value> = ctx
            .input
            .outputs
            .iter()
            .map(|(id, output)| (id.to_string(), output.clone()))
            .collect();
        let (output, route, next) = model::decide(&self.0, &inputs, ctx.attempt)?;
        let n = output["n"].clone();
        let mut result = NodeResult::ok(output).with_global(format!("g_{}", self.0.id), n);
        if let Some(route) = route {
            result = result.with_route(route);
        }
        if let Some(next) = next {
            result = result.with_next(next);
        }
        Ok(result)
    }
}

/// The raw numbers one node is made from.
#[derive(Debug, Clone)]
struct RawNode {
    next: Vec<usize>,
    routes: Vec<usize>,
    end: bool,
    limit: i64,
    salt: usize,
    fail_first: u32,
    retries: u32,
    next_override: Option<usize>,
}

fn raw_node() -> impl Strategy<Value = RawNode> {
    (
        prop::collection::vec(0usize..64, 0..3),
        prop::collection::vec(0usize..64, 0..4),
        prop::bool::weighted(0.12),
        1i64..24,
        0usize..6,
        prop_oneof![20 => Just(0u32), 1 => 1u32..3],
        0u32..2,
        prop::option::weighted(0.2, 0usize..64),
    )
        .prop_map(
            |(next, routes, end, limit, salt, fail_first, retries, next_override)| RawNode {
                next,
                routes,
                end,
                limit,
                salt,
                fail_first,
                retries,
                next_override,
            },
        )
}

/// A workflow of up to 11 nodes; `n0` is the start, `next` edges only go to later nodes.
fn descs(raw: Vec<RawNode>) -> Vec<Desc> {
    let n = raw.len();
    raw.into_iter()
        .enumerate()
        .map(|(i, r)| {
            let role = match (i, r.end) {
                (0, _) => Role::Start,
                (_, true) => Role::End,
                _ => Role::Task,
            };
            let mut next = Vec::new();
            let mut routes = BTreeMap::new();
            if role != Role::End && i + 1 < n {
                for x in &r.next {
                    let target = format!("n{}", i + 1 + x % (n - i - 1));
                    if !next.contains(&target) {
                        next.push(target);
                    }
                }
            }
            // The last node has no routes: they could only lead back, and its loops would
            // never end.
            if role == Role::Task && i + 1 < n {
                for (j, x) in r.routes.iter().enumerate() {
                    // The first route leads on, so that loops end once `n` passes `limit`.
                    let target = match j {
                        0 => i + 1 + x % (n - i - 1),
                        // Loops may lead back anywhere but to the start, whose output would
                        // reset `n` and keep them going.
                        _ => 1 + x % (n - 1),
                    };
                    routes.insert(format!("r{j}"), format!("n{target}"));
                }
            }
            Desc {
                id: format!("n{i}"),
                role,
                next,
                routes,
                behaviour: Behaviour {
                    limit: r.limit,
                    salt: r.salt,
                    fail_first: r.fail_first,
                    retries: r.retries,
                    next_override: r.next_override.map(|x| format!("n{}", x % n)),
                },
            }
        })
        .collect()
}

/// The workflow of `nodes`, with each node's `next` and the node order reversed when
/// `reversed`; `None` when it does not validate.
fn workflow(nodes: &[Desc], max_steps: usize, reversed: bool) -> Option<Workflow> {
    let mut builder = Workflow::builder("generated").max_steps(max_steps);
    let mut specs: Vec<NodeSpec> = nodes
        .iter()
        .map(|d| {
            let mut spec = match d.role {
                Role::Start => NodeSpec::start(d.id.as_str()),
                Role::End => NodeSpec::end(d.id.as_str()),
                Role::Task => {
                    NodeSpec::new(d.id.as_str(), Generated(d.clone())).retries(d.behaviour.retries)
                }
            };
            let mut next = d.next.clone();
            if reversed {
                next.reverse();
            }
            for target in next {
                spec = spec.next(target);
            }
            for (key, target) in &d.routes {
                spec = spec.route(key.as_str(), target.as_str());
            }
            spec
        })
        .collect();
    if reversed {
        specs.reverse();
    }
    for spec in specs {
        builder = builder.node(spec);
    }
    builder.build().ok()
}

static MULTI_THREAD: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
});

fn execute(runtime: &tokio::runtime::Runtime, workflow: &Workflow, workers: usize) -> Outcome {
    let backend = BackendRegistry::create("native", ()).expect("native is linked");
    let options = RunOptions::new()
        .max_workers(NonZeroUsize::new(workers).expect("positive"))
        .retry_backoff(Duration::ZERO);
    let done = runtime
        .block_on(backend.run_workflow(workflow, WorkflowContext::new(), options))
        .expect("runs");
    outcome(&done)
}

fn outcome(done: &WorkflowContext) -> Outcome {
    let mut executions: Vec<String> = done
        .execution_path
        .iter()
        .map(|id| id.to_string())
        .collect();
    executions.sort();
    Outcome {
        status: match done.status {
            WorkflowStatus::Success => "success",
            WorkflowStatus::Failed => "failed",
            other => panic!("unexpected status {other:?}"),
        },
        executions,
        outputs: done
            .outputs()
            .into_iter()
            .map(|(id, output)| (id.to_owned(), output.clone()))
            .collect(),
        skipped: done
            .node_contexts
            .iter()
            .filter(|(_, ctx)| ctx.status == NodeStatus::Skipped)
            .map(|(id, _)| id.to_string())
            .collect(),
        globals: done
            .globals
            .iter()
            .filter(|(key, _)| key.starts_with("g_"))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
        why: "",
        ambiguous: Default::default(),
    }
}

fn agree(expected: &Outcome, got: &Outcome, how: &str) -> Result<(), TestCaseError> {
    if expected.status == "failed" {
        // Fail-fast: which in-flight nodes finished before the run stopped depends on timing.
        prop_assert_eq!(got.status, "failed", "{}: {:?}", how, got);
    } else {
        // Outputs the model cannot tell (see `Outcome::ambiguous`) are left out.
        let told = |outcome: &Outcome| {
            let mut told = outcome.clone();
            told.ambiguous.clear();
            for id in &expected.ambiguous {
                told.outputs.remove(id);
                told.globals.remove(&format!("g_{id}"));
            }
            told
        };
        prop_assert_eq!(told(expected), told(got), "{}", how);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(2_000),
        max_global_rejects: 100_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn native_runs_agree_with_the_model(
        raw in prop::collection::vec(raw_node(), 2..14),
        max_steps in 20usize..80,
        workers in 1usize..4,
    ) {
        let nodes = descs(raw);
        let wf = workflow(&nodes, max_steps, false);
        prop_assume!(wf.is_some());
        let wf = wf.expect("checked");
        let expected = model::run(&nodes, max_steps);

        agree(&expected, &execute(&MULTI_THREAD, &wf, workers), "multi-thread")?;
        let current = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        agree(&expected, &execute(&current, &wf, workers), "current-thread")?;
        let reversed = workflow(&nodes, max_steps, true).expect("the same graph validates");
        prop_assert_eq!(reversed.fingerprint(), wf.fingerprint());
        agree(&expected, &execute(&MULTI_THREAD, &reversed, workers), "reversed")?;
    }
}
