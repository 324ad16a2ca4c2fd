//! What a worker and a coordinator refuse or clean up: a task may not send a worker's answer
//! anywhere but a coordinator's results subject, and a cancelled run leaves no waits behind.
//! Starts a real `nats-server -js` on a free loopback port.

use std::time::Duration;

use futures::StreamExt;
use nadoo_flow_core::{
    Backend, BackendType, CancellationToken, NodeContext, NodeInput, NodeSpec, RunOptions,
    Workflow, WorkflowContext, WorkflowStatus,
};
use nadoo_flow_nats::testing::NatsServer;
use nadoo_flow_nats::{NatsBackend, NatsConfig};
use serde_json::json;

fn config(server: &NatsServer, prefix: &str) -> NatsConfig {
    serde_json::from_value(json!({
        "url": server.url(),
        "stream": format!("{}_TASKS", prefix.to_uppercase()),
        "subject_prefix": prefix,
        "consumer": format!("{prefix}-workers"),
        "ack_wait": "2s",
        "result_timeout": "60s",
    }))
    .expect("a valid configuration")
}

/// A worker of `config` serving in this process until the token is cancelled.
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

/// Waits until the worker has made its task stream `name`.
async fn stream_made(js: &async_nats::jetstream::Context, name: &str) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while js.get_stream(name).await.is_err() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the worker made its stream");
}

/// A task as a coordinator would publish it, answered at `reply`.
fn task(id: &str, reply: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "task_id": id,
        "workflow_id": "forged",
        "node_id": "n",
        "attempt": 1,
        "kind": "set",
        "config": { "values": { "id": id } },
        "context": NodeContext::new("n", NodeInput::default()),
        "reply": reply,
    }))
    .expect("encodes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_cannot_send_the_answer_outside_the_results_subjects() {
    let server = NatsServer::start();
    let config = config(&server, "forge");
    let (shutdown, worker) = worker(&config);
    let client = async_nats::connect(server.url()).await.expect("connects");
    let js = async_nats::jetstream::new(client.clone());
    let mut forged = client.subscribe("forged.>").await.expect("subscribes");
    let mut api = client
        .subscribe("$JS.API.STREAM.DELETE.>")
        .await
        .expect("subscribes");
    let mut answered = client
        .subscribe("forge.results.legit")
        .await
        .expect("subscribes");
    client.flush().await.expect("flushes");
    stream_made(&js, "FORGE_TASKS").await;

    for (id, reply) in [
        ("f1", "forged.reply"),
        ("f2", "$JS.API.STREAM.DELETE.FORGE_TASKS"),
        ("f3", "forge.results.a.b"),
        ("ok", "forge.results.legit"),
    ] {
        js.publish("forge.tasks", task(id, reply).into())
            .await
            .expect("publishes")
            .await
            .expect("stored");
    }
    // The legitimate task is answered, so the worker has seen them all by then.
    let answer = tokio::time::timeout(Duration::from_secs(10), answered.next())
        .await
        .expect("the legitimate task is answered")
        .expect("a message");
    let answer: serde_json::Value = serde_json::from_slice(&answer.payload).expect("JSON");
    assert_eq!(answer[0]["task_id"], "ok");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let leaked = tokio::time::timeout(Duration::from_millis(200), async {
        tokio::select! {
            m = forged.next() => m.map(|m| m.subject.to_string()),
            m = api.next() => m.map(|m| m.subject.to_string()),
        }
    })
    .await;
    assert!(leaked.is_err(), "the worker published to {leaked:?}");
    assert!(
        js.get_stream("FORGE_TASKS").await.is_ok(),
        "the task stream was deleted"
    );
    shutdown.cancel();
    let _ = worker.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_run_leaves_no_wait_behind() {
    let server = NatsServer::start();
    let config = config(&server, "cancelled");
    let (shutdown, worker) = worker(&config);
    let backend = NatsBackend::from_config(config).expect("valid");
    let mut start = NodeSpec::start("start");
    let mut builder = Workflow::builder("waits");
    for i in 0..40 {
        start = start.next(format!("s{i}"));
        builder = builder.node(
            NodeSpec::from_kind(format!("s{i}"), "sleep", json!({ "ms": 60_000 })).expect("valid"),
        );
    }
    let workflow = builder.node(start).build().expect("valid");
    let cancel = CancellationToken::new();
    let run = backend.run_workflow(
        &workflow,
        WorkflowContext::new(),
        RunOptions::new().cancel_on(cancel.clone()),
    );
    // Every sleep waits for its result until the run is cancelled.
    let cancelling = async {
        tokio::time::timeout(Duration::from_secs(20), async {
            while backend.waiting() < 40 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("forty nodes wait at once");
        cancel.cancel();
    };
    let (done, ()) = tokio::join!(run, cancelling);
    let done = done.expect("runs");
    assert_eq!(done.status, WorkflowStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("run cancelled"));
    assert_eq!(backend.waiting(), 0, "waits left behind");
    shutdown.cancel();
    worker.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_node_is_stopped_on_its_worker_and_frees_its_slot() {
    let server = NatsServer::start();
    let mut config = config(&server, "timeouts");
    config.worker_concurrency = 1;
    config.result_timeout = Duration::from_secs(5);
    let (shutdown, worker) = worker(&config);
    let backend = NatsBackend::from_config(config).expect("valid");
    let slow = Workflow::builder("slow")
        .node(NodeSpec::start("start").next("nap"))
        .node(
            NodeSpec::from_kind("nap", "sleep", json!({ "ms": 30_000 }))
                .expect("valid")
                .timeout(Duration::from_millis(300)),
        )
        .build()
        .expect("valid");
    let done = backend
        .run_workflow(&slow, WorkflowContext::new(), RunOptions::new())
        .await
        .expect("runs");
    assert_eq!(done.status, WorkflowStatus::Failed);
    assert!(
        done.error
            .as_deref()
            .is_some_and(|e| e.contains("timed out after 300ms")),
        "{:?}",
        done.error
    );

    // The worker's only slot is free again: without the cancellation it would sleep for
    // 30 s more, and this run would get no result within its 5 s.
    let quick = Workflow::builder("quick")
        .node(NodeSpec::start("start").next("set"))
        .node(
            NodeSpec::from_kind("set", "set", json!({ "values": { "ok": true } })).expect("valid"),
        )
        .build()
        .expect("valid");
    let done = backend
        .run_workflow(&quick, WorkflowContext::new(), RunOptions::new())
        .await
        .expect("runs");
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    assert_eq!(done.output("set"), Some(&json!({ "ok": true })));
    shutdown.cancel();
    worker.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_task_is_answered_with_an_error() {
    let server = NatsServer::start();
    let config = config(&server, "garbled");
    let (shutdown, worker) = worker(&config);
    let client = async_nats::connect(server.url()).await.expect("connects");
    let js = async_nats::jetstream::new(client.clone());
    let mut answers = client
        .subscribe("garbled.results.me")
        .await
        .expect("subscribes");
    client.flush().await.expect("flushes");
    stream_made(&js, "GARBLED_TASKS").await;
    let garbled = json!({ "task_id": "t1", "reply": "garbled.results.me", "context": 5 });
    js.publish(
        "garbled.tasks",
        serde_json::to_vec(&garbled).expect("encodes").into(),
    )
    .await
    .expect("publishes")
    .await
    .expect("stored");
    let answer = tokio::time::timeout(Duration::from_secs(10), answers.next())
        .await
        .expect("the task is answered")
        .expect("a message");
    let answer: serde_json::Value = serde_json::from_slice(&answer.payload).expect("JSON");
    assert_eq!(answer[0]["task_id"], "t1");
    assert_eq!(answer[0]["result"]["success"], false);
    assert!(
        answer[0]["result"]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("the worker cannot read this task: ")),
        "{answer}"
    );
    shutdown.cancel();
    worker.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_with_every_slot_busy_holds_no_task_past_ack_wait() {
    let server = NatsServer::start();
    let mut config = config(&server, "prefetch");
    config.worker_concurrency = 1;
    config.ack_wait = Duration::from_secs(1);
    let (shutdown, worker) = worker(&config);
    let backend = NatsBackend::from_config(config.clone()).expect("valid");
    // Three naps of 1.5 s for one slot: a worker that took the next task before a slot was
    // free would hold it unacknowledged past `ack_wait`, and the server would deliver it
    // again.
    let mut start = NodeSpec::start("start");
    let mut builder = Workflow::builder("naps");
    for i in 0..3 {
        start = start.next(format!("nap{i}"));
        builder = builder.node(
            NodeSpec::from_kind(format!("nap{i}"), "sleep", json!({ "ms": 1_500 })).expect("valid"),
        );
    }
    let naps = builder.node(start).build().expect("valid");
    let done = backend
        .run_workflow(&naps, WorkflowContext::new(), RunOptions::new())
        .await
        .expect("runs");
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);

    let client = async_nats::connect(server.url()).await.expect("connects");
    let js = async_nats::jetstream::new(client);
    let stream = js
        .get_stream(&config.stream)
        .await
        .expect("the task stream");
    let consumer = stream
        .consumer_info(&config.consumer)
        .await
        .expect("the workers' consumer");
    // Four tasks (the start node's too), and as many deliveries.
    assert_eq!(
        consumer.delivered.stream_sequence, 4,
        "four tasks published"
    );
    assert_eq!(
        consumer.delivered.consumer_sequence, 4,
        "a task was delivered again while the worker held it"
    );
    shutdown.cancel();
    worker.abort();
}

/// A program that exits as soon as its run has failed still stops the nodes the run no
/// longer waits for: the run returns only once the workers have been told.
#[test]
fn a_run_that_fails_stops_its_other_nodes_before_it_returns() {
    use nadoo_flow_conformance::kinds::{forget_holds, holding, started};

    let workers = tokio::runtime::Runtime::new().expect("a runtime");
    let server = NatsServer::start();
    let config = config(&server, "exiting");
    let shutdown = CancellationToken::new();
    let serving = {
        let (config, stop) = (config.clone(), shutdown.clone());
        workers.spawn(async move { nadoo_flow_nats::worker::run(&config, stop).await })
    };
    let key = format!("exiting-{}", std::process::id());
    let workflow = Workflow::builder("fails")
        .node(NodeSpec::start("start").next("hold").next("boom"))
        .node(
            NodeSpec::from_kind(
                "hold",
                "conformance-hold",
                json!({ "ms": 60_000, "key": key }),
            )
            .expect("valid"),
        )
        .node(
            NodeSpec::from_kind("boom", "conformance-panic", json!({ "message": "boom" }))
                .expect("valid"),
        )
        .build()
        .expect("valid");

    // The coordinator: a runtime of its own, dropped as soon as the run returns, as when a
    // program exits.
    let coordinator = tokio::runtime::Runtime::new().expect("a runtime");
    let backend = NatsBackend::from_config(config).expect("valid");
    let done = coordinator
        .block_on(backend.run_workflow(&workflow, WorkflowContext::new(), RunOptions::new()))
        .expect("runs");
    drop(backend);
    coordinator.shutdown_background();
    assert_eq!(done.status, WorkflowStatus::Failed);
    assert_eq!(started(&key), 1, "`hold` ran on the worker");

    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while holding(&key) > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let still = holding(&key);
    forget_holds(&key);
    assert_eq!(
        still, 0,
        "`hold` still runs on the worker 5 s after its run failed"
    );
    shutdown.cancel();
    serving.abort();
}
