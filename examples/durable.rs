//! Run: `cargo run --example durable`
//!
//! A durable run: kept in an SQLite file, stopped in the middle (here by dropping it, as a
//! crash would), and finished by `resume_run` without running again what had finished. Each
//! node that charges a card uses its idempotency key, so that a repeat is harmless.

#![allow(clippy::print_stdout, reason = "an example prints what happens")]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nadoo_flow::{
    BackendRegistry, BoxError, Node, NodeContext, NodeResult, NodeSpec, RunOptions, RunStore,
    StoreRegistry, Workflow, WorkflowContext, WorkflowStatus, async_trait,
};
use serde_json::json;

/// Charges a card once per idempotency key, as a payment API that drops repeats would.
#[derive(Debug)]
struct Charge {
    charged: Arc<Mutex<BTreeSet<String>>>,
    /// Wait this long first (the run is dropped while the second charge waits).
    delay: Duration,
}

#[async_trait]
impl Node for Charge {
    async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
        tokio::time::sleep(self.delay).await;
        let key = ctx
            .idempotency_key()
            .ok_or("a durable run gives every node a key")?;
        let first_time = self
            .charged
            .lock()
            .map_err(|_| "poisoned")?
            .insert(key.clone());
        println!(
            "  {} ({key}): {}",
            ctx.node_id,
            if first_time {
                "charged"
            } else {
                "already charged"
            }
        );
        Ok(NodeResult::ok(json!({ "charged": key })))
    }
}

fn workflow(charged: &Arc<Mutex<BTreeSet<String>>>) -> Result<Workflow, nadoo_flow::Error> {
    let charge = |id: &str, ms: u64| {
        NodeSpec::new(
            id,
            Charge {
                charged: Arc::clone(charged),
                delay: Duration::from_millis(ms),
            },
        )
    };
    Workflow::builder("checkout")
        .node(NodeSpec::start("start").next("deposit"))
        .node(charge("deposit", 10).next("balance"))
        .node(charge("balance", 500).next("done"))
        .node(NodeSpec::end("done"))
        .build()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("nadoo-flow-durable-{}", std::process::id()));
    let store: Arc<dyn RunStore> =
        StoreRegistry::open(&format!("sqlite://{}", dir.join("runs.db").display())).await?;
    let backend = BackendRegistry::create("native", ())?;
    let charged = Arc::new(Mutex::new(BTreeSet::new()));
    let workflow = workflow(&charged)?;

    println!("first process: starts the run and dies while `balance` runs");
    let run = backend.run_workflow(
        &workflow,
        WorkflowContext::new(),
        RunOptions::new()
            .store(Arc::clone(&store))
            .run_id("order-42"),
    );
    let died = tokio::time::timeout(Duration::from_millis(200), run).await;
    assert!(died.is_err(), "the run was stopped before it ended");
    let journal = store.get("order-42").await?.journal;
    println!(
        "journaled before the crash: {:?}",
        journal.iter().map(|e| &e.node).collect::<Vec<_>>()
    );

    println!("second process: resumes it");
    let done = backend
        .run_workflow(
            &workflow,
            WorkflowContext::new(),
            RunOptions::new()
                .store(Arc::clone(&store))
                .resume_run("order-42"),
        )
        .await?;
    assert_eq!(done.status, WorkflowStatus::Success);
    println!(
        "{} after resume; {} charges",
        done.status.as_str(),
        charged.lock().map_err(|_| "poisoned")?.len()
    );
    assert_eq!(charged.lock().map_err(|_| "poisoned")?.len(), 2);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
