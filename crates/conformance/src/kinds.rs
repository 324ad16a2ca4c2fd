//! Node kinds the suite's workflows use besides the built-in ones. They are registered, so
//! remote workers that link this crate can run them.

use nadoo_flow_core::{BoxError, Node, NodeContext, NodeKind, NodeResult, async_trait, node};
use serde::Deserialize;
use serde_json::{Value, json};

/// No configuration.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoConfig {}

/// Outputs the node's whole input as one object: globals, predecessor outputs by id and
/// `previous_output`.
#[node("conformance-echo")]
#[derive(Debug, Clone, Copy)]
pub struct Echo;

impl NodeKind for Echo {
    type Config = NoConfig;
    fn from_config(_: NoConfig) -> Result<Self, BoxError> {
        Ok(Echo)
    }
}

#[async_trait]
impl Node for Echo {
    async fn execute(&self, context: &NodeContext) -> Result<NodeResult, BoxError> {
        let mut output = context.input.to_value();
        if let Value::Object(map) = &mut output {
            let predecessors: Vec<&str> =
                context.input.outputs.keys().map(|k| k.as_str()).collect();
            map.insert("predecessors".to_owned(), json!(predecessors));
        }
        Ok(NodeResult::ok(output))
    }
}

/// Fails until its attempt reaches `succeed_on_attempt`, then outputs the attempt.
#[node("conformance-flaky")]
#[derive(Debug, Clone, Copy)]
pub struct Flaky {
    succeed_on_attempt: u32,
}

/// Configuration of [`Flaky`].
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlakyConfig {
    /// The first attempt that succeeds.
    pub succeed_on_attempt: u32,
}

impl NodeKind for Flaky {
    type Config = FlakyConfig;
    fn from_config(config: FlakyConfig) -> Result<Self, BoxError> {
        Ok(Flaky {
            succeed_on_attempt: config.succeed_on_attempt,
        })
    }
}

#[async_trait]
impl Node for Flaky {
    async fn execute(&self, context: &NodeContext) -> Result<NodeResult, BoxError> {
        if context.attempt < self.succeed_on_attempt {
            return Ok(NodeResult::failed(format!(
                "attempt {} failed",
                context.attempt
            )));
        }
        Ok(NodeResult::ok(json!({ "attempt": context.attempt })))
    }
}

/// Interrupts the run until it is resumed, then outputs `{ "answer": <resume input> }`.
#[node("conformance-approve")]
#[derive(Debug, Clone, Copy)]
pub struct Approve;

impl NodeKind for Approve {
    type Config = NoConfig;
    fn from_config(_: NoConfig) -> Result<Self, BoxError> {
        Ok(Approve)
    }
}

#[async_trait]
impl Node for Approve {
    async fn execute(&self, context: &NodeContext) -> Result<NodeResult, BoxError> {
        Ok(match &context.resume {
            None => NodeResult::ok(json!({ "question": "approve?" })).interrupted(),
            Some(answer) => NodeResult::ok(json!({ "answer": answer })),
        })
    }
}

/// Panics with `message`.
#[node("conformance-panic")]
#[derive(Debug, Clone)]
pub struct Panic {
    message: String,
}

/// Configuration of [`Panic`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanicConfig {
    /// The panic message.
    pub message: String,
}

impl NodeKind for Panic {
    type Config = PanicConfig;
    fn from_config(config: PanicConfig) -> Result<Self, BoxError> {
        Ok(Panic {
            message: config.message,
        })
    }
}

#[async_trait]
impl Node for Panic {
    async fn execute(&self, _context: &NodeContext) -> Result<NodeResult, BoxError> {
        std::panic::panic_any(self.message.clone())
    }
}

/// Counts the global `count` up by one and routes `again` until it reaches `until`, then
/// `done`.
#[node("conformance-counter")]
#[derive(Debug, Clone, Copy)]
pub struct Counter {
    until: i64,
}

/// Configuration of [`Counter`].
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterConfig {
    /// The count at which the loop ends.
    pub until: i64,
}

impl NodeKind for Counter {
    type Config = CounterConfig;
    fn from_config(config: CounterConfig) -> Result<Self, BoxError> {
        Ok(Counter {
            until: config.until,
        })
    }
}

#[async_trait]
impl Node for Counter {
    async fn execute(&self, context: &NodeContext) -> Result<NodeResult, BoxError> {
        let count = context
            .input
            .globals
            .get("count")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            + 1;
        let route = if count >= self.until { "done" } else { "again" };
        Ok(NodeResult::ok(json!({ "count": count }))
            .with_global("count", json!(count))
            .with_route(route))
    }
}

/// Waits, inside its execution, until `parties` nodes given the same `dir` are executing at
/// once, each marking its arrival with a file there (so nodes in other processes, on workers
/// of the same machine, count too); fails after `timeout_ms` saying how many arrived.
#[node("conformance-rendezvous")]
#[derive(Debug, Clone)]
pub struct Rendezvous {
    config: RendezvousConfig,
}

/// Configuration of [`Rendezvous`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RendezvousConfig {
    /// The directory the parties mark their arrival in.
    pub dir: std::path::PathBuf,
    /// How many nodes must be executing at once.
    pub parties: usize,
    /// How long to wait for them. Default: 10 000.
    #[serde(default = "default_rendezvous_timeout")]
    pub timeout_ms: u64,
}

fn default_rendezvous_timeout() -> u64 {
    10_000
}

impl NodeKind for Rendezvous {
    type Config = RendezvousConfig;
    fn from_config(config: RendezvousConfig) -> Result<Self, BoxError> {
        Ok(Rendezvous { config })
    }
}

#[async_trait]
impl Node for Rendezvous {
    async fn execute(&self, context: &NodeContext) -> Result<NodeResult, BoxError> {
        let RendezvousConfig {
            dir,
            parties,
            timeout_ms,
        } = &self.config;
        std::fs::write(dir.join(context.node_id.as_ref()), b"")?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(*timeout_ms);
        loop {
            let arrived = std::fs::read_dir(dir)?.count();
            if arrived >= *parties {
                return Ok(NodeResult::ok(serde_json::json!({ "arrived": arrived })));
            }
            if std::time::Instant::now() > deadline {
                return Ok(NodeResult::failed(format!(
                    "only {arrived} of {parties} nodes were executing at once after {timeout_ms} ms"
                )));
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

/// Sleeps `ms`, keeping a record under `key` of its executions: one that starts is counted by
/// [`started`] and, until its future completes or is dropped, by [`holding`]. So a case can
/// tell whether a backend really stopped a node it cancelled or timed out, where the node ran.
///
/// The records are files under the system's temporary directory (see [`hold_dir`]), so
/// executions on workers in other processes of the same machine count too.
#[node("conformance-hold")]
#[derive(Debug, Clone)]
pub struct Hold {
    config: HoldConfig,
}

/// Configuration of [`Hold`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldConfig {
    /// How long to sleep, in milliseconds, for example `60000`. Required.
    pub ms: u64,
    /// Names the records, for example `"nats-timeout-4711-0"`: ASCII letters, digits, `-` and
    /// `_`, so that it is one file name. Use one that no other run uses. Required.
    pub key: String,
}

impl NodeKind for Hold {
    type Config = HoldConfig;
    fn from_config(config: HoldConfig) -> Result<Self, BoxError> {
        let valid = !config.key.is_empty()
            && config
                .key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(format!(
                "key {:?} is not one file name: use ASCII letters, digits, `-` and `_`",
                config.key
            )
            .into());
        }
        Ok(Hold { config })
    }
}

/// The records of one execution that runs: removed when the execution ends, however it ends.
#[derive(Debug)]
struct Holding(std::path::PathBuf);

impl Drop for Holding {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The records of started executions, under a key's directory.
const STARTED: &str = "started";
/// The records of executions that run, under a key's directory.
const RUNNING: &str = "running";

#[async_trait]
impl Node for Hold {
    async fn execute(&self, _context: &NodeContext) -> Result<NodeResult, BoxError> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let execution = format!(
            "{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let dir = hold_dir(&self.config.key);
        for records in [STARTED, RUNNING] {
            std::fs::create_dir_all(dir.join(records))?;
        }
        let running = dir.join(RUNNING).join(&execution);
        std::fs::write(&running, b"")?;
        let _holding = Holding(running);
        std::fs::write(dir.join(STARTED).join(&execution), b"")?;
        tokio::time::sleep(std::time::Duration::from_millis(self.config.ms)).await;
        Ok(NodeResult::ok(json!({ "held_ms": self.config.ms })))
    }
}

/// Where [`Hold`] nodes keep the records of `key`: `nadoo-flow-hold/<key>` in the system's
/// temporary directory.
pub fn hold_dir(key: &str) -> std::path::PathBuf {
    std::env::temp_dir().join("nadoo-flow-hold").join(key)
}

/// How many executions of [`Hold`] nodes with `key` run right now, on any process of this
/// machine: started, and neither finished nor dropped.
pub fn holding(key: &str) -> usize {
    records(key, RUNNING)
}

/// How many executions of [`Hold`] nodes with `key` have started, on any process of this
/// machine, since [`forget_holds`] last cleared the key.
pub fn started(key: &str) -> usize {
    records(key, STARTED)
}

/// Removes the records of `key`; an execution that still runs is no longer counted.
pub fn forget_holds(key: &str) {
    let _ = std::fs::remove_dir_all(hold_dir(key));
}

fn records(key: &str, which: &str) -> usize {
    std::fs::read_dir(hold_dir(key).join(which)).map_or(0, |entries| entries.count())
}
