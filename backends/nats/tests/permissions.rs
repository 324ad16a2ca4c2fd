//! The least-privilege permissions of the crate README, on a real `nats-server -js` started
//! with them: workflows run with the `worker` user for the worker and the `coordinator` user
//! for the coordinator, the `runs` user keeps runs in the `nats://` store, and each user is
//! refused what its role has no need of.
//!
//! The server's `authorization` block is the README's, read from the README itself (renamed
//! for other names as the README says), so the documentation and this test cannot drift.

use std::sync::Arc;
use std::time::Duration;

use async_nats::{Event, ServerError};
use nadoo_flow_conformance::kinds::{forget_holds, holding, started};
use nadoo_flow_core::run_store::{RunFilter, now_millis};
use nadoo_flow_core::{
    Backend, BackendType, CancellationToken, Error, NodeSpec, RunOptions, RunStore, StoreRegistry,
    Workflow, WorkflowContext, WorkflowStatus,
};
use nadoo_flow_nats::testing::NatsServer;
use nadoo_flow_nats::{NatsBackend, NatsConfig};
use serde_json::json;
use tokio::sync::mpsc;

/// The crate README, whose section "Least-privilege permissions" holds the block under test.
const README: &str = include_str!("../README.md");

/// The users of the block and their passwords, given to the server as the variables the block
/// reads them from.
const WORKER: (&str, &str) = ("worker", "worker-pw");
const COORDINATOR: (&str, &str) = ("coordinator", "coordinator-pw");
const RUNS: (&str, &str) = ("runs", "runs-pw");

/// The `authorization { ... }` block of the README's "Least-privilege permissions" section,
/// as written there.
fn documented_block() -> &'static str {
    let (_, section) = README
        .split_once("## Least-privilege permissions")
        .expect("the README has a section \"Least-privilege permissions\"");
    let (_, fenced) = section
        .split_once("```conf\n")
        .expect("the section has a ```conf block");
    let (block, _) = fenced.split_once("```").expect("the block is closed");
    assert!(
        block.trim_start().starts_with("authorization {"),
        "the block is an authorization block:\n{block}"
    );
    block
}

/// The JetStream names of the backend's configuration.
struct Names {
    stream: &'static str,
    prefix: &'static str,
    consumer: &'static str,
}

const DEFAULTS: Names = Names {
    stream: "NADOO_TASKS",
    prefix: "nadoo",
    consumer: "nadoo-workers",
};

/// `block` for other names, as the README says: `NADOO_TASKS` becomes the stream (and
/// `NADOO_TASKS_RESULTS` its result stream), `nadoo` in the task, result and cancellation
/// subjects the prefix, and `nadoo-workers` the consumer.
fn renamed(block: &str, names: &Names) -> String {
    let Names {
        stream,
        prefix,
        consumer,
    } = names;
    let renamed = block
        .replace("NADOO_TASKS", stream)
        .replace("nadoo-workers", consumer)
        .replace("nadoo.tasks", &format!("{prefix}.tasks"))
        .replace("nadoo.results.", &format!("{prefix}.results."))
        .replace("nadoo.cancel.", &format!("{prefix}.cancel."));
    for default in [
        "NADOO_TASKS",
        "nadoo-workers",
        "nadoo.tasks",
        "nadoo.results",
        "nadoo.cancel",
    ] {
        assert!(
            !renamed.contains(default),
            "`{default}` left in:\n{renamed}"
        );
    }
    renamed
}

/// A server whose configuration is `block`, after the passwords it reads.
fn server(block: &str) -> NatsServer {
    NatsServer::start_with(&format!(
        "NADOO_WORKER_PASSWORD: \"{}\"\nNADOO_COORDINATOR_PASSWORD: \"{}\"\nNADOO_RUNS_PASSWORD: \"{}\"\n{block}",
        WORKER.1, COORDINATOR.1, RUNS.1
    ))
}

/// The backend's configuration for `names`, connecting as `user`.
fn config(server: &NatsServer, (user, password): (&str, &str), names: &Names) -> NatsConfig {
    // Workers take their replies under their own inbox prefix, as the README says.
    let inbox = if user == WORKER.0 {
        "_INBOX_workers"
    } else {
        "_INBOX"
    };
    serde_json::from_value(json!({
        "inbox_prefix": inbox,
        "url": server.url(),
        "user": user,
        "password": password,
        "stream": names.stream,
        "subject_prefix": names.prefix,
        "consumer": names.consumer,
        "request_timeout": "2s",
        "result_timeout": "30s",
    }))
    .expect("a valid configuration")
}

/// A worker serving in this process, as `config` says, until the token is cancelled.
fn worker(
    config: &NatsConfig,
) -> (
    CancellationToken,
    tokio::task::JoinHandle<nadoo_flow_core::Result<()>>,
) {
    let shutdown = CancellationToken::new();
    let (config, stop) = (config.clone(), shutdown.clone());
    let handle = tokio::spawn(async move { nadoo_flow_nats::worker::run(&config, stop).await });
    (shutdown, handle)
}

/// A plain client connected as `user`, and the errors the server sends it.
async fn client(
    server: &NatsServer,
    (user, password): (&str, &str),
) -> (async_nats::Client, mpsc::UnboundedReceiver<String>) {
    let (errors, received) = mpsc::unbounded_channel();
    let inbox = if user == WORKER.0 {
        "_INBOX_workers"
    } else {
        "_INBOX"
    };
    let client = async_nats::ConnectOptions::with_user_and_password(user.into(), password.into())
        .custom_inbox_prefix(inbox)
        .event_callback(move |event| {
            let errors = errors.clone();
            async move {
                if let Event::ServerError(ServerError::Other(error)) = event {
                    let _ = errors.send(error);
                }
            }
        })
        .connect(server.url())
        .await
        .expect("connects");
    (client, received)
}

/// Waits (at most 5 s) until the server has refused each of `expected`, such as
/// `Publish to "nadoo.tasks"`, and returns every error it sent.
async fn refused(errors: &mut mpsc::UnboundedReceiver<String>, expected: &[String]) -> Vec<String> {
    let mut seen = Vec::new();
    let all = |seen: &[String]| {
        expected.iter().all(|what| {
            seen.iter()
                .any(|e| *e == format!("Permissions Violation for {what}"))
        })
    };
    let waited = tokio::time::timeout(Duration::from_secs(5), async {
        while !all(&seen) {
            match errors.recv().await {
                Some(error) => seen.push(error),
                None => break,
            }
        }
    })
    .await;
    assert!(
        waited.is_ok() && all(&seen),
        "the server refused only {seen:?}, not all of {expected:?}"
    );
    seen
}

/// Waits until the streams of `names` exist (a coordinator makes them at its first node
/// execution), asking with `js`.
async fn streams_made(js: &async_nats::jetstream::Context, names: &Names) {
    while js.get_stream(names.stream).await.is_err()
        || js
            .get_stream(format!("{}_RESULTS", names.stream))
            .await
            .is_err()
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Three `set` nodes at once, joined by a fourth.
fn fan_out() -> Workflow {
    let mut builder = Workflow::builder("fan-out");
    let mut start = NodeSpec::start("start");
    for (id, value) in [("a", 1), ("b", 2), ("c", 3)] {
        start = start.next(id);
        builder = builder.node(
            NodeSpec::from_kind(id, "set", json!({ "values": { id: value } }))
                .expect("valid")
                .next("join"),
        );
    }
    builder
        .node(start)
        .node(
            NodeSpec::from_kind("join", "set", json!({ "values": { "joined": true } }))
                .expect("valid")
                .next("end"),
        )
        .node(NodeSpec::end("end"))
        .build()
        .expect("valid")
}

/// Runs the fan-out as the coordinator with `options`, with a worker started once the
/// coordinator has made the streams (workers may not make them), and checks it succeeded.
async fn run_fan_out(server: &NatsServer, names: &Names, options: RunOptions) {
    let coordinator =
        NatsBackend::from_config(config(server, COORDINATOR, names)).expect("a valid config");
    let (inspector, _) = client(server, COORDINATOR).await;
    let js = async_nats::jetstream::new(inspector);
    let workflow = fan_out();
    let run = coordinator.run_workflow(&workflow, WorkflowContext::new(), options);
    tokio::pin!(run);
    let mut serving = None;
    // A run that fails before it has made the streams fails without a worker.
    let done = tokio::select! {
        done = &mut run => done,
        () = streams_made(&js, names) => {
            serving = Some(worker(&config(server, WORKER, names)));
            run.await
        }
    };
    let done = done.expect("runs");
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    for (id, value) in [("a", 1), ("b", 2), ("c", 3)] {
        assert_eq!(done.output(id), Some(&json!({ id: value })), "{id}");
    }
    assert_eq!(done.output("join"), Some(&json!({ "joined": true })));
    let (shutdown, serving) = serving.expect("a worker ran the nodes");
    shutdown.cancel();
    let served = tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("the worker stops")
        .expect("the worker does not panic");
    assert!(served.is_ok(), "the worker failed: {served:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_runs_as_the_documented_worker_and_coordinator() {
    let server = server(documented_block());
    run_fan_out(&server, &DEFAULTS, RunOptions::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_block_renamed_serves_other_names() {
    let names = Names {
        stream: "ACME_JOBS",
        prefix: "acme.flow",
        consumer: "acme-pool",
    };
    let server = server(&renamed(documented_block(), &names));
    run_fan_out(&server, &names, RunOptions::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_cannot_publish_outside_its_tasks_and_results() {
    let server = server(documented_block());
    run_fan_out(&server, &DEFAULTS, RunOptions::new()).await;

    let (client, mut errors) = client(&server, WORKER).await;
    let js = async_nats::jetstream::new(client.clone());
    let before = js
        .get_stream("NADOO_TASKS")
        .await
        .expect("the worker may look at the task stream")
        .cached_info()
        .state
        .last_sequence;
    for subject in [
        "$JS.API.STREAM.DELETE.NADOO_TASKS",
        "$JS.API.STREAM.PURGE.NADOO_TASKS",
        "nadoo.tasks",
        "elsewhere.entirely",
    ] {
        client
            .publish(subject, "{}".into())
            .await
            .expect("the client sends it");
    }
    // Subscribing to tasks or results is refused too, directly or where the server delivers
    // them to coordinators.
    let _tasks = client.subscribe("nadoo.tasks").await.expect("sent");
    let _results = client.subscribe("nadoo.results.>").await.expect("sent");
    let _inboxes = client.subscribe("_INBOX.>").await.expect("sent");
    client.flush().await.expect("flushes");
    refused(
        &mut errors,
        &[
            r#"Publish to "$JS.API.STREAM.DELETE.NADOO_TASKS""#.to_owned(),
            r#"Publish to "$JS.API.STREAM.PURGE.NADOO_TASKS""#.to_owned(),
            r#"Publish to "nadoo.tasks""#.to_owned(),
            r#"Publish to "elsewhere.entirely""#.to_owned(),
            r#"Subscription to "nadoo.tasks""#.to_owned(),
            r#"Subscription to "nadoo.results.>""#.to_owned(),
            r#"Subscription to "_INBOX.>""#.to_owned(),
        ],
    )
    .await;
    // Through the JetStream API, the request goes unanswered.
    let mut js_quick = js.clone();
    js_quick.set_timeout(Duration::from_millis(500));
    assert!(
        js_quick.delete_stream("NADOO_TASKS").await.is_err(),
        "the worker deleted the task stream"
    );

    let after = js
        .get_stream("NADOO_TASKS")
        .await
        .expect("the task stream still exists");
    assert_eq!(
        after.cached_info().state.last_sequence,
        before,
        "a task from the worker was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_cannot_publish_results() {
    let server = server(documented_block());
    run_fan_out(&server, &DEFAULTS, RunOptions::new()).await;

    let (client, mut errors) = client(&server, COORDINATOR).await;
    let js = async_nats::jetstream::new(client.clone());
    let results = "NADOO_TASKS_RESULTS";
    let before = js
        .get_stream(results)
        .await
        .expect("the coordinator may look at the result stream")
        .cached_info()
        .state
        .last_sequence;
    client
        .publish("nadoo.results.x", "[]".into())
        .await
        .expect("the client sends it");
    client
        .publish("$JS.API.STREAM.DELETE.NADOO_TASKS", "{}".into())
        .await
        .expect("the client sends it");
    client.flush().await.expect("flushes");
    refused(
        &mut errors,
        &[
            r#"Publish to "nadoo.results.x""#.to_owned(),
            r#"Publish to "$JS.API.STREAM.DELETE.NADOO_TASKS""#.to_owned(),
        ],
    )
    .await;
    let after = js.get_stream(results).await.expect("the stream exists");
    assert_eq!(
        after.cached_info().state.last_sequence,
        before,
        "a result from the coordinator was stored"
    );
}

/// The coordinator's cancellations and deletions of tasks nobody waits for are allowed: a task
/// no worker took is deleted from the stream, and a node running on a worker is stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_run_deletes_its_task_and_stops_its_node() {
    let server = server(documented_block());
    let coordinator =
        NatsBackend::from_config(config(&server, COORDINATOR, &DEFAULTS)).expect("valid");
    let (inspector, _) = client(&server, COORDINATOR).await;
    let js = async_nats::jetstream::new(inspector);
    let key = format!("nats-permissions-{}", std::process::id());
    forget_holds(&key);
    let workflow = Workflow::builder("held")
        .node(NodeSpec::start("start").next("hold"))
        .node(
            NodeSpec::from_kind(
                "hold",
                "conformance-hold",
                json!({ "ms": 60_000, "key": key }),
            )
            .expect("valid"),
        )
        .build()
        .expect("valid");
    let messages = || async {
        match js.get_stream("NADOO_TASKS").await {
            Ok(stream) => stream.cached_info().state.messages,
            Err(_) => 0,
        }
    };

    // No worker yet: the first task waits in the stream until the run is cancelled.
    let cancel = CancellationToken::new();
    let run = coordinator.run_workflow(
        &workflow,
        WorkflowContext::new(),
        RunOptions::new().cancel_on(cancel.clone()),
    );
    let cancelling = async {
        tokio::time::timeout(Duration::from_secs(10), async {
            while messages().await == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the task is stored");
        cancel.cancel();
    };
    let (done, ()) = tokio::join!(run, cancelling);
    assert_eq!(done.expect("runs").status, WorkflowStatus::Failed);
    assert_eq!(messages().await, 0, "the cancelled task was not deleted");

    // With a worker: the node runs there until the run is cancelled, then stops.
    let (shutdown, serving) = worker(&config(&server, WORKER, &DEFAULTS));
    let cancel = CancellationToken::new();
    let run = coordinator.run_workflow(
        &workflow,
        WorkflowContext::new(),
        RunOptions::new().cancel_on(cancel.clone()),
    );
    let cancelling = async {
        tokio::time::timeout(Duration::from_secs(10), async {
            while started(&key) == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("`hold` starts on the worker");
        cancel.cancel();
    };
    let (done, ()) = tokio::join!(run, cancelling);
    assert_eq!(done.expect("runs").status, WorkflowStatus::Failed);
    let stopped = tokio::time::timeout(Duration::from_secs(5), async {
        while holding(&key) > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    forget_holds(&key);
    assert!(
        stopped.is_ok(),
        "`hold` still runs on the worker 5 s after its run was cancelled"
    );
    shutdown.cancel();
    serving.abort();
}

/// Workers may not make the streams: one started on an empty server fails at once, as the
/// README says, and makes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_cannot_make_the_streams() {
    let server = server(documented_block());
    let mut config = config(&server, WORKER, &DEFAULTS);
    config.request_timeout = Duration::from_millis(500);
    let failed = tokio::time::timeout(
        Duration::from_secs(10),
        nadoo_flow_nats::worker::run(&config, CancellationToken::new()),
    )
    .await
    .expect("the worker gives up");
    let error = failed.expect_err("the worker made the streams").to_string();
    assert!(
        error.contains("cannot open JetStream stream `NADOO_TASKS`: jetstream request timed out"),
        "{error}"
    );
    let (inspector, _) = client(&server, COORDINATOR).await;
    let js = async_nats::jetstream::new(inspector);
    assert!(js.get_stream("NADOO_TASKS").await.is_err());
}

/// Runs the fan-out as run `run_id` kept in `store`, and reads it back, successful.
async fn kept_fan_out(
    server: &NatsServer,
    store: &Arc<dyn RunStore>,
    run_id: &str,
) -> nadoo_flow_core::StoredRun {
    let options = RunOptions::new().store(Arc::clone(store)).run_id(run_id);
    run_fan_out(server, &DEFAULTS, options).await;
    let stored = store.get(run_id).await.expect("reads back");
    assert_eq!(stored.record.status, WorkflowStatus::Success);
    stored
}

/// The `runs` user keeps a durable run in the `nats://` store: created, journaled, read back,
/// listed and pruned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_store_works_as_the_documented_runs_user() {
    let server = server(documented_block());
    let url = format!("nats://{}:{}@127.0.0.1:{}", RUNS.0, RUNS.1, server.port());
    let store: Arc<dyn RunStore> = StoreRegistry::open(&url).await.expect("the store opens");
    let stored = kept_fan_out(&server, &store, "least-privilege").await;
    assert!(
        stored.journal.iter().any(|entry| entry.node == "join"),
        "{:?}",
        stored.journal
    );
    let listed = store.list(&RunFilter::new()).await.expect("lists");
    assert_eq!(listed.len(), 1);
    assert_eq!(store.prune(now_millis() + 1_000).await.expect("prunes"), 1);
    assert!(matches!(
        store.get("least-privilege").await,
        Err(Error::UnknownRun { .. })
    ));
}

/// With `inbox_prefix` in its URL, the store works for a `runs` user that may subscribe only
/// under that prefix; without it, the server's answers never reach it and it cannot open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_store_uses_its_own_inbox_prefix() {
    let block = documented_block();
    let (head, runs_user) = block.split_once("user: runs").expect("the runs user");
    let confined = format!(
        "{head}user: runs{}",
        runs_user.replacen("_INBOX.>", "_INBOX_runs.>", 1)
    );
    let server = server(&confined);
    let base = format!("nats://{}:{}@127.0.0.1:{}", RUNS.0, RUNS.1, server.port());

    let refused = StoreRegistry::open(&format!("{base}?request_timeout_ms=1000")).await;
    assert!(refused.is_err(), "the default inbox is not the runs user's");

    let url = format!("{base}?inbox_prefix=_INBOX_runs");
    let store: Arc<dyn RunStore> = StoreRegistry::open(&url).await.expect("the store opens");
    kept_fan_out(&server, &store, "own-inbox").await;

    let bad = StoreRegistry::open(&format!("{base}?inbox_prefix=_INBOX.*")).await;
    let message = bad.map(|_| ()).expect_err("refused").to_string();
    assert!(message.contains("inbox_prefix"), "{message}");
    assert!(!message.contains(RUNS.1), "{message}");
}
