//! The browser tests' harness: the real `nadoo-flow` binary serving a real SQLite store, and
//! Debian's headless Chromium driven through ChromeDriver (WebDriver) with fantoccini. Every
//! server listens on loopback on a free port; the browser gets a temp profile.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_nadoo-flow");

/// Where Debian puts the browser and its driver.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const INSTALL_HINT: &str = "install Debian's Chromium and its driver: \
    `apt-get install chromium chromium-driver` (.ci/run does this)";

/// Browsers are heavy on a small machine: the tests take turns.
pub(crate) static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A temp dir with a run store, and the binary to fill it.
pub(crate) struct Runs {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) store: String,
}

impl Runs {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = format!("sqlite://{}", dir.path().join("runs.db").display());
        Self { dir, store }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .args(["--store", &self.store])
            .env_remove("NADOO_BACKEND")
            .env_remove("NADOO_CONFIG")
            .env_remove("NADOO_STORE")
            .env_remove("NADOO_DASHBOARD_TOKEN")
            .env_remove("RUST_LOG");
        command
    }

    /// `nadoo-flow run FILE --run-id ID --quiet` to its end.
    pub(crate) fn run(&self, file: &Path, run_id: &str) -> Output {
        self.command(&[
            "run",
            &file.display().to_string(),
            "--run-id",
            run_id,
            "--quiet",
        ])
        .output()
        .expect("the binary runs")
    }

    /// The same, in the background.
    pub(crate) fn start(&self, file: &Path, run_id: &str) -> Child {
        self.command(&[
            "run",
            &file.display().to_string(),
            "--run-id",
            run_id,
            "--quiet",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs")
    }

    /// `runs show ID --json`.
    pub(crate) fn show(&self, run_id: &str) -> Value {
        let out = self
            .command(&["runs", "show", run_id, "--json"])
            .output()
            .expect("the binary runs");
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    /// A workflow file in the temp dir.
    pub(crate) fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("writes");
        path
    }
}

/// `nadoo-flow serve` on a free loopback port, and a browser session looking at it.
pub(crate) struct Browser {
    pub(crate) client: Client,
    pub(crate) base: String,
    _server: Killed,
    _driver: Killed,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Serves `runs` (with `token` if given) and opens a headless Chromium of `width` x
    /// `height`.
    pub(crate) async fn open(
        runs: &Runs,
        token: Option<&str>,
        (width, height): (u32, u32),
    ) -> Self {
        for binary in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(binary).exists(),
                "{binary} is missing: {INSTALL_HINT}"
            );
        }
        let mut serve = runs.command(&["serve", "--addr", "127.0.0.1:0"]);
        if let Some(token) = token {
            serve.env("NADOO_DASHBOARD_TOKEN", token);
        }
        let mut server = serve
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut line = String::new();
        BufReader::new(server.stderr.take().expect("stderr"))
            .read_line(&mut line)
            .expect("serve says where it listens");
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .trim_end_matches('/')
            .to_owned();
        let server = Killed(server);

        let port = free_port();
        let driver = Killed(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{CHROMEDRIVER} does not start ({e}): {INSTALL_HINT}")),
        );
        let profile = tempfile::tempdir().expect("a profile dir");
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::new(connector.clone())
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("no browser session through {CHROMEDRIVER}: {e}"),
            }
        };
        Self {
            client,
            base,
            _server: server,
            _driver: driver,
            _profile: profile,
        }
    }

    pub(crate) async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("the page loads");
    }

    /// Waits (up to 20 s) for an element matching `css`.
    pub(crate) async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}` on the page: {e}"))
    }

    /// Clicks the element matching `css`, once it is there.
    pub(crate) async fn click(&self, css: &str) {
        self.wait_for(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click `{css}`: {e}"));
    }

    /// Types `text` into the field matching `css`, once it is there.
    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        self.wait_for(css)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("cannot type into `{css}`: {e}"));
    }

    /// Waits (up to 30 s) until `script` returns `true`.
    pub(crate) async fn wait_until(&self, what: &str, script: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let value = self
                .client
                .execute(script, vec![])
                .await
                .expect("the script runs");
            if value == Value::Bool(true) {
                return;
            }
            assert!(Instant::now() < deadline, "waited 30 s for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What `script` returns.
    pub(crate) async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("the script runs")
    }

    /// A screenshot into `docs/NAME` when NADOO_SCREENSHOTS is set (how the README's
    /// pictures are made).
    pub(crate) async fn screenshot(&self, name: &str) {
        if std::env::var_os("NADOO_SCREENSHOTS").is_none() {
            return;
        }
        let png = self.client.screenshot().await.expect("a screenshot");
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs");
        std::fs::create_dir_all(&docs).expect("docs/");
        std::fs::write(docs.join(name), png).expect("writes the screenshot");
    }

    pub(crate) async fn close(self) {
        let _ = self.client.close().await;
    }
}
