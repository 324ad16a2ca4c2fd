//! Test support: a real `nats-server -js` for tests and benchmarks (feature `testing`).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `nats-server -js` listening on a free loopback port, with its own temporary store
/// directory; stopped when dropped.
///
/// Starting it panics when the `nats-server` binary is missing, with the command that
/// installs it: a test that needs the server fails rather than being skipped.
#[derive(Debug)]
pub struct NatsServer {
    child: Child,
    port: u16,
    /// The HTTP monitoring port, asked whether JetStream is ready.
    monitor: u16,
    /// Holds `store/`, the configuration file if any, and the server's log.
    dir: tempfile::TempDir,
    /// The configuration file given with `-c`, if any.
    config: Option<PathBuf>,
}

impl NatsServer {
    /// Starts a server and waits until it accepts connections and JetStream is ready.
    ///
    /// # Panics
    ///
    /// When `nats-server` cannot be started or is not ready within 15 seconds.
    pub fn start() -> NatsServer {
        NatsServer::launch(None)
    }

    /// Starts a server with `config_text` as the body of its configuration file, and waits
    /// as [`start`](NatsServer::start) does.
    ///
    /// The body adds what a test needs, such as a `tls { ... }` block or
    /// `authorization { users = [...] }`; the harness still chooses the address, the client
    /// and monitoring ports, JetStream and its store directory (on the command line, which
    /// takes precedence over the file), so the body should not set them. Paths in the body
    /// are best absolute.
    ///
    /// ```no_run
    /// # use nadoo_flow_nats::testing::NatsServer;
    /// let server = NatsServer::start_with(r#"authorization { token: "s3cret" }"#);
    /// let url = server.url();
    /// ```
    ///
    /// # Panics
    ///
    /// As [`start`](NatsServer::start), and when the server exits at once, for instance on a
    /// configuration error: the message then includes the server's log.
    pub fn start_with(config_text: &str) -> NatsServer {
        NatsServer::launch(Some(config_text))
    }

    fn launch(config_text: Option<&str>) -> NatsServer {
        let (port, monitor) = (free_port(), free_port());
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::create_dir(dir.path().join("store")).expect("a store directory");
        let config = config_text.map(|text| {
            let path = dir.path().join("nats-server.conf");
            std::fs::write(&path, text).expect("the configuration file is written");
            path
        });
        let child = spawn(port, monitor, dir.path(), config.as_deref());
        NatsServer {
            child,
            port,
            monitor,
            dir,
            config,
        }
    }

    /// The server's URL, `nats://127.0.0.1:<port>`.
    ///
    /// A client given it still uses TLS when the server's configuration requires TLS; use
    /// [`url_with_scheme`](NatsServer::url_with_scheme) for a `tls://` URL.
    pub fn url(&self) -> String {
        self.url_with_scheme("nats")
    }

    /// The server's URL with the scheme `scheme`, such as `"tls"`: `tls://127.0.0.1:<port>`.
    pub fn url_with_scheme(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server and starts it again on the same port with the same store and
    /// configuration, as a restart would.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(
            self.port,
            self.monitor,
            self.dir.path(),
            self.config.as_deref(),
        );
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Starts `nats-server` with its store in `dir/store` and its log appended to
/// `dir/nats-server.log`, and waits until it is ready.
fn spawn(port: u16, monitor: u16, dir: &Path, config: Option<&Path>) -> Child {
    let log_path = dir.join("nats-server.log");
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .expect("the server's log file");
    let mut command = Command::new("nats-server");
    if let Some(config) = config {
        command.arg("-c").arg(config);
    }
    let mut child = command
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string()])
        .args(["-m", &monitor.to_string(), "-sd"])
        .arg(dir.join("store"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start nats-server ({e}); install it with `apt-get install -y nats-server`"
            )
        });
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() || !healthy(monitor) {
        if let Ok(Some(status)) = child.try_wait() {
            let mut text = String::new();
            let _ = File::open(&log_path).and_then(|mut f| f.read_to_string(&mut text));
            panic!("nats-server on port {port} exited ({status}) before it was ready:\n{text}");
        }
        assert!(
            Instant::now() < deadline,
            "nats-server on port {port} was not ready (JetStream included) within 15 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// Whether the server's monitoring endpoint reports it healthy, JetStream included: a client
/// port that accepts connections does not yet mean that JetStream answers.
fn healthy(monitor: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", monitor)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut response = String::new();
    stream
        .write_all(b"GET /healthz HTTP/1.0\r\n\r\n")
        .and_then(|()| stream.read_to_string(&mut response))
        .is_ok()
        && response.starts_with("HTTP/1.0 200")
        && response.contains("\"ok\"")
}
