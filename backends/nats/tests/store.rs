//! The NATS run store passes the run store suite against a real `nats-server -js`, each case
//! in a bucket and stream of its own; and durable runs resume from it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use libtest_mimic::{Arguments, Trial};
use nadoo_flow_conformance::stores;
use nadoo_flow_core::{RunStore, StoreRegistry};
use nadoo_flow_nats::testing::NatsServer;

static SERVER: OnceLock<NatsServer> = OnceLock::new();
static CASES: AtomicUsize = AtomicUsize::new(0);

fn url() -> String {
    SERVER.get_or_init(NatsServer::start).url()
}

fn main() -> std::process::ExitCode {
    let mut trials = stores::trials(|| {
        Box::pin(async {
            let n = CASES.fetch_add(1, Ordering::SeqCst);
            let url = format!(
                "{}?bucket=runs_{n}&stream=JOURNAL_{n}&journal_prefix=journal{n}",
                url()
            );
            StoreRegistry::open(&url).await.expect("the store opens")
        })
    });
    trials.push(Trial::test("nats::credentials_never_reach_an_error", || {
        let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
        runtime.block_on(async {
            let err = StoreRegistry::open("nats://alice:s3cret-pw@127.0.0.1:1?request_timeout_ms=300")
                .await
                .map(|_| ())
                .unwrap_err()
                .to_string();
            if err.contains("s3cret-pw") {
                return Err(format!("the password leaked: {err}").into());
            }
            if !err.starts_with("run store `nats://alice:***@127.0.0.1:1?request_timeout_ms=300` failed: cannot connect") {
                return Err(format!("unexpected error: {err}").into());
            }
            Ok(())
        })
    }));
    trials.push(Trial::test(
        "nats::a_run_resumes_from_another_store_instance",
        || {
            let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
            runtime.block_on(resumes()).map_err(Into::into)
        },
    ));
    libtest_mimic::run(&Arguments::from_args(), trials).exit_code()
}

/// A run interrupted through one store instance is resumed through another, as a second
/// coordinator machine would.
async fn resumes() -> Result<(), String> {
    use nadoo_flow_core::{BackendRegistry, RunOptions, Workflow, WorkflowContext, WorkflowStatus};
    use nadoo_flow_native as _;
    let workflow = Workflow::from_toml(
        "ask.toml",
        r#"
        name = "ask"
        [[nodes]]
        id = "start"
        kind = "start"
        next = ["ask"]
        [[nodes]]
        id = "ask"
        kind = "interrupt"
        config = { prompt = "ok?" }
        "#,
    )
    .map_err(|e| e.to_string())?;
    let store_url = format!(
        "{}?bucket=resume&stream=RESUME&journal_prefix=resume",
        url()
    );
    let backend = BackendRegistry::create("native", ()).map_err(|e| e.to_string())?;
    let first: Arc<dyn RunStore> = StoreRegistry::open(&store_url)
        .await
        .map_err(|e| e.to_string())?;
    let stopped = backend
        .run_workflow(
            &workflow,
            WorkflowContext::new(),
            RunOptions::new().store(first).run_id("ask-1"),
        )
        .await
        .map_err(|e| e.to_string())?;
    if stopped.status != WorkflowStatus::Interrupted {
        return Err(format!("expected interrupted, got {:?}", stopped.status));
    }
    let second: Arc<dyn RunStore> = StoreRegistry::open(&store_url)
        .await
        .map_err(|e| e.to_string())?;
    let done = backend
        .run_workflow(
            &workflow,
            WorkflowContext::new(),
            RunOptions::new()
                .store(Arc::clone(&second))
                .resume_run("ask-1")
                .resume_with(serde_json::json!({ "ok": true })),
        )
        .await
        .map_err(|e| e.to_string())?;
    if done.status != WorkflowStatus::Success
        || done.output("ask") != Some(&serde_json::json!({ "ok": true }))
    {
        return Err(format!(
            "resume gave {:?} {:?}",
            done.status,
            done.output("ask")
        ));
    }
    let stored = second.get("ask-1").await.map_err(|e| e.to_string())?;
    if stored.journal.len() != 3 || stored.record.status != WorkflowStatus::Success {
        return Err(format!(
            "stored {:?} with {} entries",
            stored.record.status,
            stored.journal.len()
        ));
    }
    Ok(())
}
