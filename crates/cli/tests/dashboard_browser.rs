//! `nadoo-flow serve` in a real browser: the run list, a run's graph, detail and time line,
//! a running run advancing without a reload, an interrupted run approved from the page,
//! signing in with a token, and a phone-sized screen.

#![cfg(all(feature = "serve", feature = "native", feature = "sqlite"))]

mod browser;

use std::path::PathBuf;

use browser::{Browser, ONE_AT_A_TIME, Runs};
use serde_json::Value;

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../examples/workflows/{name}"))
}

/// A chain of `n` nodes that sleep `ms` each.
fn slow_chain(n: usize, ms: u64) -> String {
    let mut text = String::from(
        "name = \"slow\"\n[[nodes]]\nid = \"start\"\nkind = \"start\"\nnext = [\"step0\"]\n",
    );
    for i in 0..n {
        let next = if i + 1 < n {
            format!("step{}", i + 1)
        } else {
            "done".to_owned()
        };
        text.push_str(&format!(
            "[[nodes]]\nid = \"step{i}\"\nkind = \"sleep\"\nconfig = {{ ms = {ms} }}\nnext = [\"{next}\"]\n"
        ));
    }
    text.push_str("[[nodes]]\nid = \"done\"\nkind = \"end\"\n");
    text
}

const STATUS_OF_RUN: &str = "return document.querySelector('#run-status .badge')?.textContent";

#[tokio::test]
async fn the_list_leads_to_a_run_with_its_graph_detail_and_time_line() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let runs = Runs::new();
    assert!(
        runs.run(&example("review.toml"), "review-1")
            .status
            .success()
    );
    assert_eq!(
        runs.run(&example("failing.toml"), "failing-1")
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        runs.run(&example("approval.toml"), "approval-1")
            .status
            .code(),
        Some(1)
    );
    let browser = Browser::open(&runs, None, (1280, 860)).await;

    browser.goto("/").await;
    browser.wait_for("tr[data-run='approval-1']").await;
    let rows = browser
        .eval("return [...document.querySelectorAll('tr[data-run]')].map(r => r.dataset.run)")
        .await;
    assert_eq!(
        rows,
        serde_json::json!(["approval-1", "failing-1", "review-1"]),
        "newest first"
    );
    let failing = browser
        .eval("return document.querySelector(\"tr[data-run='failing-1'] .badge\").textContent")
        .await;
    assert_eq!(failing, "failed");
    browser.screenshot("dashboard-runs.png").await;

    // Filter by status from the form.
    browser
        .wait_for("#filter-status")
        .await
        .select_by_value("interrupted")
        .await
        .expect("selects");
    browser.click("form[role=search] button").await;
    browser.wait_until("only the interrupted run", "return document.querySelectorAll('tr[data-run]').length === 1 && !!document.querySelector(\"tr[data-run='approval-1']\")").await;

    browser.goto("/").await;
    browser
        .wait_for("tr[data-run='review-1'] a")
        .await
        .click()
        .await
        .expect("opens the run");
    browser.wait_for("g.node[data-node='check']").await;
    assert_eq!(browser.eval(STATUS_OF_RUN).await, "success");
    let check = browser.eval("return document.querySelector(\"g.node[data-node='check']\").getAttribute('aria-label')").await;
    assert_eq!(check, "check: success, ran 2 times", "the loop is visible");
    let back = browser
        .eval("return document.querySelectorAll('path.edge.back').length")
        .await;
    assert_eq!(back, 1, "the loop's edge back is drawn");
    let bars = browser
        .eval("return document.querySelectorAll('#timeline rect.bar').length")
        .await;
    assert_eq!(bars, 6, "one bar per node execution");

    browser
        .wait_for("g.node[data-node='publish']")
        .await
        .click()
        .await
        .expect("selects the node");
    browser.wait_until("the node's output", "return (document.querySelector('#detail-output')?.textContent || '').includes('Published: a post about rust')").await;
    let input = browser
        .eval("return document.querySelector('#detail-input').textContent")
        .await;
    let input: Value = serde_json::from_str(input.as_str().expect("text")).expect("JSON");
    assert_eq!(input["topic"], "rust", "the run's input");
    assert!(
        input["check"].is_object(),
        "the predecessor's output: {input}"
    );
    browser.screenshot("dashboard-run.png").await;

    // A failed run shows why.
    browser.goto("/#/runs/failing-1").await;
    browser.wait_for("g.node.failed").await;
    let retried = browser
        .eval("return [...document.querySelectorAll('#timeline text')].some(t => t.textContent === '2 attempts')")
        .await;
    assert_eq!(
        retried, true,
        "the retried execution says how many attempts it took"
    );
    let alert = browser
        .eval("return document.querySelector('main [role=alert]')?.textContent || ''")
        .await;
    assert!(
        alert.as_str().is_some_and(|a| !a.is_empty()),
        "the run's error is shown"
    );
    browser.close().await;
}

#[tokio::test]
async fn a_running_run_advances_on_the_page_without_a_reload() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let runs = Runs::new();
    let file = runs.file("slow.toml", &slow_chain(12, 400));
    let browser = Browser::open(&runs, None, (1280, 860)).await;
    let mut run = runs.start(&file, "slow-1");
    // Wait for the run's record, then open its page while it runs.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while runs.show("slow-1")["status"] != "running" {
        assert!(std::time::Instant::now() < deadline, "the run starts");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    browser.goto("/#/runs/slow-1").await;
    browser.wait_for("g.node[data-node='step0']").await;
    assert_eq!(browser.eval(STATUS_OF_RUN).await, "running");
    browser
        .eval("window.__sameDocument = true; return true")
        .await;
    let done = "return document.querySelectorAll('g.node.success').length";
    let first = browser.eval(done).await.as_u64().expect("a count");
    browser
        .wait_until(
            "a node more done",
            &format!("return document.querySelectorAll('g.node.success').length > {first}"),
        )
        .await;
    browser.wait_until("a node shown running", "return document.querySelectorAll('g.node.running').length >= 1 || document.querySelector('#run-status .badge').textContent !== 'running'").await;
    browser
        .wait_until(
            "the run's end",
            "return document.querySelector('#run-status .badge')?.textContent === 'success'",
        )
        .await;
    assert_eq!(
        browser.eval("return window.__sameDocument === true").await,
        true,
        "no reload"
    );
    let bars = browser
        .eval("return document.querySelectorAll('#timeline rect.bar').length")
        .await;
    assert_eq!(bars, 13, "start and twelve steps");
    assert!(run.wait().expect("the run ends").success());
    browser.close().await;
}

#[tokio::test]
async fn an_interrupted_run_is_approved_from_the_page() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let runs = Runs::new();
    assert_eq!(
        runs.run(&example("approval.toml"), "post-1").status.code(),
        Some(1)
    );
    let browser = Browser::open(&runs, None, (1280, 860)).await;
    browser.goto("/#/runs/post-1").await;
    let prompt = browser
        .wait_for("#prompt")
        .await
        .text()
        .await
        .expect("text");
    assert_eq!(prompt, "Publish this draft?");
    assert_eq!(browser.eval(STATUS_OF_RUN).await, "interrupted");

    browser
        .type_into("input[aria-label='Value name 1']", "approved")
        .await;
    browser
        .type_into("input[aria-label='Value 1']", "true")
        .await;
    browser.click("#add-value").await;
    browser
        .type_into("input[aria-label='Value name 2']", "by")
        .await;
    browser
        .type_into("input[aria-label='Value 2']", "ana")
        .await;
    browser.screenshot("dashboard-approval.png").await;
    browser.click("#resume").await;

    browser
        .wait_until(
            "the approved run's end",
            "return document.querySelector('#run-status .badge')?.textContent === 'success'",
        )
        .await;
    assert_eq!(
        browser
            .eval("return document.querySelector(\"g.node[data-node='publish']\").dataset.status")
            .await,
        "success"
    );
    let shown = runs.show("post-1");
    let publish = shown["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["id"] == "publish")
        .cloned()
        .unwrap_or(Value::Null);
    assert!(publish.to_string().contains("approved by ana"), "{shown}");
    browser.close().await;
}

#[tokio::test]
async fn with_a_token_the_page_asks_for_it_first() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let runs = Runs::new();
    assert!(runs.run(&example("hello.toml"), "hello-1").status.success());
    let browser = Browser::open(&runs, Some("open sesame"), (1280, 860)).await;
    browser.goto("/").await;
    browser.type_into("input[name=token]", "open sesame").await;
    browser.click("form button").await;
    browser.wait_for("tr[data-run='hello-1']").await;
    browser.close().await;
}

#[tokio::test]
async fn a_phone_screen_shows_a_run_without_sideways_scrolling() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let runs = Runs::new();
    assert!(
        runs.run(&example("review.toml"), "review-1")
            .status
            .success()
    );
    let browser = Browser::open(&runs, None, (390, 844)).await;
    browser.goto("/#/runs/review-1").await;
    browser.wait_for("g.node[data-node='check']").await;
    let fits = browser
        .eval("return document.documentElement.scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(
        fits, true,
        "the page is as wide as the phone; the graph scrolls in its own box"
    );
    let named = browser.eval("return [...document.querySelectorAll('button, input, select, [role=button]')].every(e => (e.getAttribute('aria-label') || e.labels?.[0]?.textContent || e.textContent || '').trim().length > 0)").await;
    assert_eq!(named, true, "every control has an accessible name");
    browser.close().await;
}
