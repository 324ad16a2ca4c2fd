//! Configuration of the NATS backend.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use nadoo_flow_core::{Error, Result};
use serde::{Deserialize, Serialize};

/// Configuration of [`NatsBackend`](crate::NatsBackend): where the server is, how to
/// authenticate, and the JetStream names and limits. Unknown keys are rejected; `password`
/// and `token` never appear in `Debug` output.
///
/// ```
/// use nadoo_flow_nats::NatsConfig;
///
/// let config: NatsConfig = serde_json::from_str(r#"{ "url": "nats://10.0.0.5:4222", "ack_wait": "10s" }"#)?;
/// assert_eq!(config.ack_wait, std::time::Duration::from_secs(10));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct NatsConfig {
    /// Server URL, or several separated by commas, for example `"nats://10.0.0.5:4222"`.
    /// Default: `"nats://127.0.0.1:4222"`.
    pub url: String,
    /// User name, with `password`. Default: none.
    pub user: Option<String>,
    /// Password, with `user`. Default: none. Redacted in `Debug`.
    pub password: Option<String>,
    /// Authentication token. Default: none. Redacted in `Debug`.
    pub token: Option<String>,
    /// Path of a `.creds` file (JWT and NKey seed). Default: none.
    pub creds_file: Option<PathBuf>,
    /// Require TLS. Default: `false` (`tls://` URLs require it anyway). Without it, and
    /// without `tls://` URLs, the client uses TLS only when the server asks for it, so a
    /// certificate setting alone does not protect credentials.
    pub tls_required: bool,
    /// A CA certificate (PEM), for example `"/etc/nats/ca.pem"`, to trust for the server's
    /// TLS certificate instead of the system's roots. Default: none (the system's roots).
    pub tls_ca_file: Option<PathBuf>,
    /// The client certificate (PEM) presented to a server that verifies clients (mutual
    /// TLS), for example `"/etc/nats/client.pem"`; with `tls_client_key`. Default: none.
    pub tls_client_cert: Option<PathBuf>,
    /// The private key (PEM) of `tls_client_cert`, for example `"/etc/nats/client-key.pem"`.
    /// Default: none.
    pub tls_client_key: Option<PathBuf>,
    /// The work-queue stream that holds tasks. Default: `"NADOO_TASKS"`.
    pub stream: String,
    /// The prefix of the task and result subjects. Default: `"nadoo"`.
    pub subject_prefix: String,
    /// The durable consumer every worker pulls from. Default: `"nadoo-workers"`.
    pub consumer: String,
    /// How long a worker may hold a task without acknowledging it before it is delivered
    /// again; long nodes extend it with progress acks. Default: `"30s"`.
    #[serde(with = "humantime_serde")]
    pub ack_wait: Duration,
    /// How often a task is delivered before it counts as poison and its node fails.
    /// Default: `5`.
    pub max_deliver: i64,
    /// Limit of connecting and of each request to the server. Default: `"5s"`.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// How long the coordinator waits for a task's result before the node fails; bounds the
    /// wait when no worker runs or results were lost. Default: `"10m"`.
    #[serde(with = "humantime_serde")]
    pub result_timeout: Duration,
    /// Replicas of the stream in a JetStream cluster. Default: `1`.
    pub replicas: usize,
    /// Tasks one worker runs at the same time. Default: `64`.
    pub worker_concurrency: usize,
    /// The prefix of the subjects the server answers this client on. Default: `"_INBOX"`.
    /// Give workers a prefix of their own (for example `"_INBOX_workers"`) and let their
    /// user subscribe only under it, so that a worker cannot read what the server sends
    /// coordinators (see "Least-privilege permissions" in the README).
    pub inbox_prefix: String,
}

impl Default for NatsConfig {
    fn default() -> Self {
        NatsConfig {
            url: "nats://127.0.0.1:4222".to_owned(),
            user: None,
            password: None,
            token: None,
            creds_file: None,
            tls_required: false,
            tls_ca_file: None,
            tls_client_cert: None,
            tls_client_key: None,
            stream: "NADOO_TASKS".to_owned(),
            subject_prefix: "nadoo".to_owned(),
            consumer: "nadoo-workers".to_owned(),
            ack_wait: Duration::from_secs(30),
            max_deliver: 5,
            request_timeout: Duration::from_secs(5),
            result_timeout: Duration::from_secs(600),
            replicas: 1,
            worker_concurrency: 64,
            inbox_prefix: "_INBOX".to_owned(),
        }
    }
}

impl NatsConfig {
    /// Cross-field checks.
    pub(crate) fn check(&self) -> Result<()> {
        let invalid =
            |key: &str, message: &str| Err(Error::invalid_config("nats", Some(key), message));
        if self.url.split(',').any(|u| {
            let u = u.trim();
            !(u.starts_with("nats://")
                || u.starts_with("tls://")
                || u.starts_with("ws://")
                || u.starts_with("wss://"))
        }) {
            return invalid(
                "url",
                "expected nats://host:port (or tls://, ws://, wss://), comma-separated for several",
            );
        }
        if self.user.is_some() != self.password.is_some() {
            return invalid("user", "user and password go together");
        }
        self.client_certificate()?;
        if self.max_deliver < 1 {
            return invalid("max_deliver", "must be at least 1");
        }
        if self.worker_concurrency == 0 {
            return invalid("worker_concurrency", "must be at least 1");
        }
        if self.replicas == 0 {
            return invalid("replicas", "must be at least 1");
        }
        for (key, name) in [
            ("stream", &self.stream),
            ("consumer", &self.consumer),
            ("subject_prefix", &self.subject_prefix),
            ("inbox_prefix", &self.inbox_prefix),
        ] {
            if name.is_empty()
                || name.contains([' ', '*', '>'])
                || (key != "subject_prefix" && key != "inbox_prefix" && name.contains('.'))
            {
                return invalid(
                    key,
                    "must be a non-empty name without spaces, `*`, `>` (or `.` for stream and consumer)",
                );
            }
        }
        Ok(())
    }

    /// The client certificate and its key, when both are set; an error naming the missing one
    /// when only one is.
    pub(crate) fn client_certificate(&self) -> Result<Option<(&PathBuf, &PathBuf)>> {
        let missing = |key: &str| {
            Err(Error::invalid_config(
                "nats",
                Some(key),
                "tls_client_cert and tls_client_key go together",
            ))
        };
        match (&self.tls_client_cert, &self.tls_client_key) {
            (Some(cert), Some(key)) => Ok(Some((cert, key))),
            (Some(_), None) => missing("tls_client_key"),
            (None, Some(_)) => missing("tls_client_cert"),
            (None, None) => Ok(None),
        }
    }

    /// The subject tasks are published to.
    pub(crate) fn task_subject(&self) -> String {
        format!("{}.tasks", self.subject_prefix)
    }

    /// The work-queue stream that holds results until their coordinator reads them.
    pub(crate) fn result_stream(&self) -> String {
        format!("{}_RESULTS", self.stream)
    }

    /// The prefix of every coordinator's results subject; workers answer nowhere else.
    pub(crate) fn results_prefix(&self) -> String {
        format!("{}.results", self.subject_prefix)
    }
}

impl fmt::Debug for NatsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |secret: &Option<String>| secret.as_ref().map(|_| "<redacted>");
        f.debug_struct("NatsConfig")
            .field("url", &nadoo_flow_core::redact_list(&self.url))
            .field("user", &self.user)
            .field("password", &redacted(&self.password))
            .field("token", &redacted(&self.token))
            .field("creds_file", &self.creds_file)
            .field("tls_required", &self.tls_required)
            .field("tls_ca_file", &self.tls_ca_file)
            .field("tls_client_cert", &self.tls_client_cert)
            .field("tls_client_key", &self.tls_client_key)
            .field("stream", &self.stream)
            .field("subject_prefix", &self.subject_prefix)
            .field("consumer", &self.consumer)
            .field("ack_wait", &self.ack_wait)
            .field("max_deliver", &self.max_deliver)
            .field("request_timeout", &self.request_timeout)
            .field("result_timeout", &self.result_timeout)
            .field("replicas", &self.replicas)
            .field("worker_concurrency", &self.worker_concurrency)
            .field("inbox_prefix", &self.inbox_prefix)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_secrets_are_redacted() {
        assert!(NatsConfig::default().check().is_ok());
        let config = NatsConfig {
            user: Some("ana".into()),
            password: Some("hunter2".into()),
            token: Some("t0ken".into()),
            ..NatsConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("t0ken"),
            "{shown}"
        );
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn bad_values_name_their_key() {
        for (json, key) in [
            (r#"{"url": "http://x"}"#, "url"),
            (r#"{"user": "ana"}"#, "user"),
            (r#"{"max_deliver": 0}"#, "max_deliver"),
            (r#"{"stream": "a.b"}"#, "stream"),
            (r#"{"tls_client_cert": "c.pem"}"#, "tls_client_key"),
            (r#"{"tls_client_key": "k.pem"}"#, "tls_client_cert"),
        ] {
            let config: NatsConfig = serde_json::from_str(json).expect("parses");
            let err = config.check().unwrap_err();
            assert!(
                matches!(&err, Error::InvalidConfig { key: Some(k), .. } if k == key),
                "{json}: {err}"
            );
        }
        let err = serde_json::from_str::<NatsConfig>(r#"{"ack_wait": "soon"}"#).unwrap_err();
        assert!(err.to_string().contains("expected a duration"), "{err}");
        assert!(serde_json::from_str::<NatsConfig>(r#"{"urls": "x"}"#).is_err());
    }
}
