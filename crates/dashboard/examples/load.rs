//! How the dashboard holds up with many runs and a large one: fills an SQLite store with
//! 10 000 runs and one run of a 10 000-node workflow, serves it on loopback, and times each
//! page and API answer: time to first byte and to the last, and size, as the median of 15.
//!
//! With `--browser`, it also opens the run list and the large run in headless Chromium
//! (Debian's `chromium` and `chromium-driver`) and times them until drawn.
//!
//! ```text
//! cargo run --release -p nadoo-flow-dashboard --example load [-- --browser]
//! ```

#![allow(
    clippy::print_stdout,
    reason = "a measuring program: its tables are its output"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use nadoo_flow_core::run_store::{JournalEntry, RunRecord};
use nadoo_flow_core::{NodeStatus, RunStore, StoreRegistry, WorkflowStatus};
use nadoo_flow_dashboard::Dashboard;
use serde_json::{Map, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use nadoo_flow_store_sqlite as _;

const RUNS: usize = 10_000;
const BIG: usize = 10_000;
const SAMPLES: usize = 15;

fn record(
    run_id: String,
    workflow: &str,
    definition: String,
    status: WorkflowStatus,
    at: u64,
) -> RunRecord {
    RunRecord {
        run_id,
        workflow: workflow.to_owned(),
        definition: Some(definition),
        fingerprint: 0,
        input: Map::new(),
        status,
        error: (status == WorkflowStatus::Failed).then(|| "node `b` failed: boom".to_owned()),
        created: at,
        updated: at + 40,
    }
}

fn entry(node: String, finished: u64) -> JournalEntry {
    JournalEntry {
        node,
        iteration: 0,
        attempt: 1,
        status: NodeStatus::Success,
        output: json!({ "text": "a small output" }),
        route: None,
        next: None,
        globals: Map::new(),
        metadata: Map::new(),
        error: None,
        finished,
        duration_us: 900,
        element: None,
    }
}

fn chain(n: usize) -> String {
    let mut text = String::from("name = \"big\"\n");
    for i in 0..n {
        let kind = if i == 0 {
            "start"
        } else if i + 1 == n {
            "end"
        } else {
            "set"
        };
        text.push_str(&format!("[[nodes]]\nid = \"n{i}\"\nkind = \"{kind}\"\n"));
        if i + 1 < n {
            text.push_str(&format!("next = [\"n{}\"]\n", i + 1));
        }
    }
    text
}

async fn fill(store: &Arc<dyn RunStore>) {
    let small = chain(4);
    let statuses = [
        WorkflowStatus::Success,
        WorkflowStatus::Failed,
        WorkflowStatus::Interrupted,
    ];
    let base = 1_700_000_000_000;
    for i in 0..RUNS {
        let at = base + i as u64 * 1000;
        let status = statuses[i % statuses.len()];
        let workflow = if i % 2 == 0 { "review" } else { "publish" };
        store
            .create(&record(
                format!("run-{i:05}"),
                workflow,
                small.clone(),
                status,
                at,
            ))
            .await
            .expect("creates");
        let journal: Vec<_> = (0..3).map(|n| entry(format!("n{n}"), at + n)).collect();
        store
            .append(&format!("run-{i:05}"), &journal)
            .await
            .expect("appends");
    }
    let at = base + RUNS as u64 * 1000;
    store
        .create(&record(
            "big".to_owned(),
            "big",
            chain(BIG),
            WorkflowStatus::Success,
            at,
        ))
        .await
        .expect("creates");
    let journal: Vec<_> = (0..BIG - 1)
        .map(|n| entry(format!("n{n}"), at + n as u64))
        .collect();
    for batch in journal.chunks(1000) {
        store.append("big", batch).await.expect("appends");
    }
}

/// One GET: time to the first byte, to the last, and the body's size.
async fn fetch(addr: std::net::SocketAddr, path: &str) -> (Duration, Duration, usize) {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let started = Instant::now();
    stream.write_all(request.as_bytes()).await.expect("sends");
    let mut first = [0u8; 1];
    stream.read_exact(&mut first).await.expect("a first byte");
    let ttfb = started.elapsed();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).await.expect("the rest");
    let total = started.elapsed();
    let text = String::from_utf8_lossy(&rest);
    assert!(
        text.starts_with("TTP/1.1 200"),
        "{path}: {}",
        &text[..text.len().min(200)]
    );
    let body = text.split_once("\r\n\r\n").map_or(0, |(_, b)| b.len());
    (ttfb, total, body)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = format!("sqlite://{}", dir.path().join("runs.db").display());
    let store = StoreRegistry::open(&url).await.expect("opens");
    let filling = Instant::now();
    fill(&store).await;
    println!(
        "stored {RUNS} runs and a {BIG}-node run in {:.1?}",
        filling.elapsed()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(Dashboard::new(store).serve_on(listener, std::future::pending()));

    if std::env::args().any(|a| a == "--browser") {
        browser(addr).await;
    }
    println!("| request | first byte (median) | whole answer (median) | size |");
    println!("|---|---|---|---|");
    for path in [
        "/",
        "/app.js",
        "/api/runs",
        "/api/runs?offset=9950",
        "/api/runs?status=failed&workflow=review",
        "/api/runs/run-04242",
        "/api/runs/big",
    ] {
        let mut ttfb = Vec::new();
        let mut total = Vec::new();
        let mut size = 0;
        for _ in 0..SAMPLES {
            let (first, all, bytes) = fetch(addr, path).await;
            ttfb.push(first);
            total.push(all);
            size = bytes;
        }
        println!(
            "| `GET {path}` | {:.1?} | {:.1?} | {:.1} KiB |",
            median(ttfb),
            median(total),
            size as f64 / 1024.0
        );
    }
}

/// Opens the pages in headless Chromium and prints how long each took to be drawn: from the
/// start of navigation until its rows or nodes are all in the document (median of 5).
async fn browser(addr: std::net::SocketAddr) {
    use fantoccini::ClientBuilder;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut driver = std::process::Command::new("/usr/bin/chromedriver")
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromedriver starts (apt-get install chromium chromium-driver)");
    let profile = tempfile::tempdir().expect("a profile dir");
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({ "binary": "/usr/bin/chromium", "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--no-first-run",
            "--window-size=1280,860", format!("--user-data-dir={}", profile.path().display()),
        ] }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut client = None;
    for _ in 0..100 {
        if let Ok(c) = ClientBuilder::new(connector.clone())
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            client = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let client = client.expect("a browser session");
    println!("| page | drawn after (median of 5) |");
    println!("|---|---|");
    for (page, ready) in [
        (
            "/#/",
            "document.querySelectorAll('tr[data-run]').length === 50",
        ),
        (
            "/#/runs/run-04242",
            "document.querySelectorAll('g.node').length === 4",
        ),
        (
            "/#/runs/big",
            &*format!("document.querySelectorAll('g.node').length === {BIG}"),
        ),
    ] {
        let mut times = Vec::new();
        for _ in 0..5 {
            client.goto("about:blank").await.expect("blank");
            client
                .goto(&format!("http://{addr}{page}"))
                .await
                .expect("navigates");
            let script = format!(
                "const done = arguments[0]; const t = () => {{ if ({ready}) done(performance.now()); else setTimeout(t, 5); }}; t();"
            );
            let drawn = client.execute_async(&script, vec![]).await.expect("drawn");
            times.push(Duration::from_secs_f64(
                drawn.as_f64().expect("ms") / 1000.0,
            ));
        }
        println!("| `{page}` | {:.0?} |", median(times));
    }
    let _ = client.close().await;
    let _ = driver.kill();
    let _ = driver.wait();
}
