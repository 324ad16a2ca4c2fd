//! Test support: a real `nats-server -js` for tests and benchmarks (feature `testing`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
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
    store: tempfile::TempDir,
}

impl NatsServer {
    /// Starts a server and waits until it accepts connections and JetStream is ready.
    ///
    /// # Panics
    ///
    /// When `nats-server` cannot be started or is not ready within 15 seconds.
    pub fn start() -> NatsServer {
        let (port, monitor) = (free_port(), free_port());
        let store = tempfile::tempdir().expect("a temporary directory");
        let child = spawn(port, monitor, store.path());
        NatsServer {
            child,
            port,
            monitor,
            store,
        }
    }

    /// The server's URL, `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server and starts it again on the same port with the same store, as a
    /// restart would.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(self.port, self.monitor, self.store.path());
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

fn spawn(port: u16, monitor: u16, store: &Path) -> Child {
    let child = Command::new("nats-server")
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string()])
        .args(["-m", &monitor.to_string(), "-sd"])
        .arg(store)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start nats-server ({e}); install it with `apt-get install -y nats-server`"
            )
        });
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() || !healthy(monitor) {
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
