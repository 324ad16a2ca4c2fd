//! The run list and the run view, against a real SQLite store.

#[allow(dead_code, reason = "each test file uses a part of the shared set-up")]
mod support;

use axum::http::StatusCode;
use serde_json::Value;
use support::{APPROVAL, Bench, REVIEW, get, send};

#[tokio::test]
async fn the_list_is_newest_first_filtered_and_paged() {
    let bench = Bench::new().await;
    for i in 0..3 {
        bench.run(REVIEW, &format!("review-{i}")).await;
        // Creation times are milliseconds: keep the runs apart.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    bench.run(APPROVAL, "approval-0").await;
    let router = bench.dashboard().router();

    let (status, body) = send(&router, get("/api/runs")).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = body["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["run_id"].as_str().expect("an id"))
        .collect();
    assert_eq!(ids, ["approval-0", "review-2", "review-1", "review-0"]);
    assert_eq!(body["more"], false);
    assert_eq!(body["runs"][0]["status"], "interrupted");
    assert_eq!(body["runs"][1]["workflow"], "review");

    let (_, only) = send(&router, get("/api/runs?status=interrupted")).await;
    assert_eq!(only["runs"].as_array().map(Vec::len), Some(1));
    let (_, reviews) = send(&router, get("/api/runs?workflow=review&limit=2")).await;
    assert_eq!(reviews["runs"].as_array().map(Vec::len), Some(2));
    assert_eq!(reviews["more"], true);
    let (_, rest) = send(&router, get("/api/runs?workflow=review&limit=2&offset=2")).await;
    assert_eq!(rest["runs"][0]["run_id"], "review-0");
    assert_eq!(rest["more"], false);
}

#[tokio::test]
async fn bad_list_queries_are_400s_that_name_the_parameter() {
    let bench = Bench::new().await;
    let router = bench.dashboard().router();
    for (query, names) in [
        ("status=done", "status"),
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("limit=many", "limit"),
        ("offset=-1", "offset"),
        ("colour=red", "colour"),
    ] {
        let (status, body) = send(&router, get(&format!("/api/runs?{query}"))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["error"]["code"], "bad_request", "{query}");
        let message = body["error"]["message"].as_str().expect("a message");
        assert!(message.contains(names), "{query}: {message}");
    }
}

#[tokio::test]
async fn a_run_shows_its_graph_loop_statuses_and_time_line() {
    let bench = Bench::new().await;
    bench.run(REVIEW, "r1").await;
    let router = bench.dashboard().router();
    let (status, view) = send(&router, get("/api/runs/r1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["run"]["status"], "success");
    assert_eq!(view["has_definition"], true);

    let node = |id: &str| -> Value {
        let nodes = view["nodes"].as_array().expect("nodes");
        nodes
            .iter()
            .find(|n| n["id"] == id)
            .cloned()
            .expect("the node")
    };
    assert_eq!(node("check")["executions"], 2, "the loop ran `check` twice");
    assert_eq!(node("check")["status"], "success");
    assert_eq!(node("publish")["output"]["published"], true);
    assert_eq!(
        node("done")["status"],
        "success",
        "the end node was reached"
    );

    let back: Vec<&Value> = view["graph"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["back"] == true)
        .collect();
    assert_eq!(back.len(), 1);
    assert_eq!(
        (&back[0]["from"], &back[0]["to"]),
        (&"revise".into(), &"check".into())
    );

    let executions = view["executions"].as_array().expect("executions");
    assert_eq!(
        executions.len(),
        6,
        "start, draft, check, revise, check, publish"
    );
    for e in executions {
        let started = e["started"].as_f64().expect("started");
        let finished = e["finished"].as_f64().expect("finished");
        assert!(started <= finished, "{e}");
    }
    let iterations: Vec<&Value> = executions.iter().filter(|e| e["node"] == "check").collect();
    assert_ne!(iterations[0]["iteration"], iterations[1]["iteration"]);
}

#[tokio::test]
async fn a_skipped_branch_and_an_interrupted_prompt_show() {
    let bench = Bench::new().await;
    bench.run(APPROVAL, "waits").await;
    let router = bench.dashboard().router();
    let (_, view) = send(&router, get("/api/runs/waits")).await;
    assert_eq!(view["run"]["status"], "interrupted");
    assert_eq!(view["waiting"]["node"], "approve");
    assert_eq!(view["waiting"]["prompt"], "Publish this draft?");
    let publish = view["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["id"] == "publish")
        .expect("publish");
    assert_eq!(publish["status"], "pending");
}

#[tokio::test]
async fn unknown_runs_and_odd_ids_are_json_404s() {
    let bench = Bench::new().await;
    let router = bench.dashboard().router();
    let long = "x".repeat(10_000);
    for id in [
        "nope",
        "%00",
        "..%2F..%2Fetc",
        "%F0%9F%A6%80",
        long.as_str(),
    ] {
        for suffix in ["", "/events"] {
            let (status, body) = send(&router, get(&format!("/api/runs/{id}{suffix}"))).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{id}{suffix}");
            assert_eq!(body["error"]["code"], "not_found", "{id}{suffix}");
        }
    }
    let (status, _) = send(&router, get("/api/nothing")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn nothing_a_client_sends_makes_the_server_fail() {
    let bench = Bench::new().await;
    bench.run(APPROVAL, "waits").await;
    let router = bench.dashboard().router();
    // Bytes of every kind, in queries, ids and bodies, from a fixed pseudo-random sequence.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let pieces = [
        "",
        "=",
        "&",
        "%",
        "%zz",
        "%00",
        "status",
        "limit",
        "offset",
        "workflow",
        "since",
        "-1",
        "99999999999999999999999",
        "[]",
        "{}",
        "{\"values\":",
        "null",
        "\u{1F980}",
        "../",
        "'",
        "\"",
        "<script>",
        "values",
        "true",
    ];
    for _ in 0..400 {
        let mut text = String::new();
        for _ in 0..(next() % 6) {
            text.push_str(pieces[(next() % pieces.len() as u64) as usize]);
        }
        let encoded: String = text
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let raw_query: String = text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "=&%-._~".contains(*c))
            .collect();
        for request in [
            get(&format!("/api/runs?{raw_query}")),
            get(&format!("/api/runs/{encoded}")),
            get(&format!("/api/{encoded}")),
            get("/api/runs/%FF%FE"),
            get(&format!("/api/runs/waits/events?{raw_query}")),
            support::post_json("/api/runs/waits/resume", &text),
            support::post_json(&format!("/api/runs/{encoded}/resume"), &text),
        ] {
            let what = format!("{} {}", request.method(), request.uri());
            let (status, body) = send(&router, request).await;
            assert!(!status.is_server_error(), "{what}: {status} {body}");
            if !status.is_success() {
                assert!(
                    body["error"]["message"].is_string(),
                    "{what}: a JSON error, got {body}"
                );
            }
        }
    }
}
