//! Live progress (server-sent events) and resuming an interrupted run from the dashboard.

#[allow(dead_code, reason = "each test file uses a part of the shared set-up")]
mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::StatusCode;
use futures::StreamExt;
use nadoo_flow_core::WorkflowStatus;
use serde_json::Value;
use support::{APPROVAL, Bench, REVIEW, get, post_json, send, slow_chain};
use tower::ServiceExt;

/// The events of a stream until it closes: `(event, data)` pairs.
async fn events(router: &axum::Router, path: &str) -> Vec<(String, String)> {
    let response = router.clone().oneshot(get(path)).await.expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/event-stream",
        "an event stream"
    );
    let mut text = String::new();
    let mut body = Body::into_data_stream(response.into_body());
    let read = async {
        while let Some(chunk) = body.next().await {
            text.push_str(std::str::from_utf8(&chunk.expect("a chunk")).expect("text"));
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("the stream ends when the run does");
    text.split("\n\n")
        .filter_map(|block| {
            let mut event = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(name) = line.strip_prefix("event: ") {
                    event = Some(name.to_owned());
                } else if let Some(more) = line.strip_prefix("data: ") {
                    data.push_str(more);
                }
            }
            event.map(|e| (e, data))
        })
        .collect()
}

#[tokio::test]
async fn a_finished_run_streams_one_update_and_ends() {
    let bench = Bench::new().await;
    bench.run(REVIEW, "done").await;
    let router = bench.dashboard().router();
    let got = events(&router, "/api/runs/done/events").await;
    let names: Vec<&str> = got.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(names, ["update", "end"]);
    let update: Value = serde_json::from_str(&got[0].1).expect("JSON");
    assert_eq!(update["status"], "success");
    assert_eq!(update["executions"].as_array().map(Vec::len), Some(6));

    let later = events(&router, "/api/runs/done/events?since=4").await;
    let update: Value = serde_json::from_str(&later[0].1).expect("JSON");
    assert_eq!(
        update["executions"].as_array().map(Vec::len),
        Some(2),
        "only what is new"
    );
}

#[tokio::test]
async fn a_running_run_streams_its_progress_until_it_ends() {
    let bench = Bench::new().await;
    let router = bench.dashboard().router();
    let chain = slow_chain(6, 60);
    let running = {
        let store = bench.store.clone();
        let backend = bench.backend.clone();
        tokio::spawn(async move {
            let workflow =
                nadoo_flow_core::Workflow::from_toml("slow.toml", &chain).expect("valid");
            let options = nadoo_flow_core::RunOptions::new()
                .store(store)
                .run_id("slow");
            backend
                .run_workflow(&workflow, nadoo_flow_core::WorkflowContext::new(), options)
                .await
        })
    };
    // Wait for the record, then follow it.
    while bench.store.get("slow").await.is_err() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let got = events(&router, "/api/runs/slow/events").await;
    running.await.expect("joins").expect("the run succeeds");

    let updates: Vec<Value> = got
        .iter()
        .filter(|(e, _)| e == "update")
        .map(|(_, d)| serde_json::from_str(d).expect("JSON"))
        .collect();
    assert!(
        updates.len() >= 3,
        "the run was seen advancing: {updates:?}"
    );
    assert_eq!(updates[0]["status"], "running");
    assert_eq!(updates.last().expect("one")["status"], "success");
    let nodes: Vec<String> = updates
        .iter()
        .flat_map(|u| u["executions"].as_array().cloned().unwrap_or_default())
        .map(|e| e["node"].as_str().expect("a node").to_owned())
        .collect();
    assert_eq!(
        nodes,
        ["start", "s0", "s1", "s2", "s3", "s4", "s5"],
        "each once, in order"
    );
    assert_eq!(got.last().map(|(e, _)| e.as_str()), Some("end"));
}

#[tokio::test]
async fn an_interrupted_run_is_resumed_with_the_values_given() {
    let bench = Bench::new().await;
    bench.run(APPROVAL, "post-1").await;
    let router = bench.dashboard().router();
    let (status, body) = send(
        &router,
        post_json(
            "/api/runs/post-1/resume",
            r#"{"values": {"by": "ana", "approved": true}}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["run_id"], "post-1");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let stored = loop {
        let stored = bench.store.get("post-1").await.expect("kept");
        if stored.record.status == WorkflowStatus::Success {
            break stored;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the resumed run ends"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let publish = stored
        .journal
        .iter()
        .find(|e| e.node == "publish")
        .expect("published");
    assert_eq!(publish.output["text"], "approved by ana");

    // Once finished it cannot be resumed again.
    let (status, body) = send(&router, post_json("/api/runs/post-1/resume", "{}")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("why")
            .contains("success")
    );
}

#[tokio::test]
async fn bad_resume_requests_are_refused_and_name_the_problem() {
    let bench = Bench::new().await;
    bench.run(APPROVAL, "waits").await;
    bench.run(REVIEW, "finished").await;
    let router = bench.dashboard().router();
    for (path, body, expected, names) in [
        (
            "/api/runs/waits/resume",
            r#"{"values": [1]}"#,
            StatusCode::BAD_REQUEST,
            "values",
        ),
        (
            "/api/runs/waits/resume",
            r#"{"valeus": {}}"#,
            StatusCode::BAD_REQUEST,
            "valeus",
        ),
        (
            "/api/runs/waits/resume",
            "{not json",
            StatusCode::BAD_REQUEST,
            "JSON",
        ),
        ("/api/runs/nope/resume", "{}", StatusCode::NOT_FOUND, "nope"),
        (
            "/api/runs/finished/resume",
            "{}",
            StatusCode::CONFLICT,
            "not interrupted",
        ),
    ] {
        let (status, answer) = send(&router, post_json(path, body)).await;
        assert_eq!(status, expected, "{path} {body}: {answer}");
        let message = answer["error"]["message"].as_str().expect("a message");
        assert!(message.contains(names), "{path} {body}: {message}");
    }
    // The failed attempts left the run waiting.
    let record = bench.store.get("waits").await.expect("kept").record;
    assert_eq!(record.status, WorkflowStatus::Interrupted);

    // A dashboard without a backend shows runs but does not run them.
    let viewer = nadoo_flow_dashboard::Dashboard::new(bench.store.clone()).router();
    let (status, answer) = send(&viewer, post_json("/api/runs/waits/resume", "{}")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        answer["error"]["message"]
            .as_str()
            .expect("why")
            .contains("without a backend")
    );
}
