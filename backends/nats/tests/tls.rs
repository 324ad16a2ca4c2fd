//! TLS to NATS: a workflow runs over mutual TLS, and a client without its certificate or
//! without the CA is refused. Starts a real `nats-server -js` that verifies clients, with
//! certificates made for the test.

use std::path::{Path, PathBuf};
use std::time::Duration;

use nadoo_flow_core::{
    Backend, BackendType, CancellationToken, NodeSpec, RunOptions, Workflow, WorkflowContext,
    WorkflowStatus,
};
use nadoo_flow_nats::testing::NatsServer;
use nadoo_flow_nats::{NatsBackend, NatsConfig};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use serde_json::json;

/// A CA, a server certificate for `127.0.0.1` and `localhost`, and a client certificate, as
/// PEM files in a temporary directory.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ca_key = KeyPair::generate().expect("a key");
        let mut ca = CertificateParams::new(Vec::new()).expect("valid");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "nadoo-flow test CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).expect("signs");
        let issuer = Issuer::new(ca, ca_key);
        let write = |name: &str, pem: String| {
            std::fs::write(dir.path().join(name), pem).expect("writes");
        };
        write("ca.pem", ca_cert.pem());
        for (name, names, usage) in [
            (
                "server",
                vec!["127.0.0.1".to_owned(), "localhost".to_owned()],
                ExtendedKeyUsagePurpose::ServerAuth,
            ),
            (
                "client",
                vec!["nadoo-worker".to_owned()],
                ExtendedKeyUsagePurpose::ClientAuth,
            ),
        ] {
            let key = KeyPair::generate().expect("a key");
            let mut params = CertificateParams::new(names).expect("valid");
            params
                .distinguished_name
                .push(DnType::CommonName, format!("nadoo-flow test {name}"));
            params.extended_key_usages = vec![usage];
            let cert = params.signed_by(&key, &issuer).expect("signs");
            write(&format!("{name}.pem"), cert.pem());
            write(&format!("{name}-key.pem"), key.serialize_pem());
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A server that requires TLS and a client certificate signed by the CA.
    fn server(&self) -> NatsServer {
        let quoted = |name: &str| format!("{:?}", self.path(name).display().to_string());
        NatsServer::start_with(&format!(
            "tls {{\n  cert_file: {}\n  key_file: {}\n  ca_file: {}\n  verify: true\n  timeout: 5\n}}\n",
            quoted("server.pem"),
            quoted("server-key.pem"),
            quoted("ca.pem"),
        ))
    }
}

/// A configuration of `server`'s `tls://` URL with its own stream and subjects.
fn config(server: &NatsServer, prefix: &str) -> NatsConfig {
    serde_json::from_value(json!({
        "url": server.url_with_scheme("tls"),
        "stream": format!("{}_TASKS", prefix.to_uppercase()),
        "subject_prefix": prefix,
        "consumer": format!("{prefix}-workers"),
        "request_timeout": "5s",
        "result_timeout": "60s",
    }))
    .expect("a valid configuration")
}

fn with_client_certificate(mut config: NatsConfig, pki: &Pki) -> NatsConfig {
    config.tls_client_cert = Some(pki.path("client.pem"));
    config.tls_client_key = Some(pki.path("client-key.pem"));
    config
}

/// The error of a worker that cannot connect with `config`; a worker that connects serves
/// until stopped, so it gets 15 s to fail.
async fn refused(config: &NatsConfig) -> String {
    let run = nadoo_flow_nats::worker::run(config, CancellationToken::new());
    tokio::time::timeout(Duration::from_secs(15), run)
        .await
        .expect("the worker connected: the connection was not refused")
        .expect_err("the connection is refused")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_runs_over_mutual_tls() {
    let pki = Pki::new();
    let server = pki.server();
    let mut config = with_client_certificate(config(&server, "mtls"), &pki);
    config.tls_ca_file = Some(pki.path("ca.pem"));
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn({
        let (config, stop) = (config.clone(), shutdown.clone());
        async move { nadoo_flow_nats::worker::run(&config, stop).await }
    });
    let backend = NatsBackend::from_config(config).expect("valid");
    let workflow = Workflow::builder("over-tls")
        .node(NodeSpec::start("start").next("set"))
        .node(
            NodeSpec::from_kind("set", "set", json!({ "values": { "secure": true } }))
                .expect("valid"),
        )
        .build()
        .expect("valid");
    let done = backend
        .run_workflow(&workflow, WorkflowContext::new(), RunOptions::new())
        .await
        .expect("runs");
    assert_eq!(done.status, WorkflowStatus::Success, "{:?}", done.error);
    assert_eq!(done.output("set"), Some(&json!({ "secure": true })));
    shutdown.cancel();
    worker
        .await
        .expect("the worker did not panic")
        .expect("the worker connected and stopped cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_its_certificate_is_refused() {
    let pki = Pki::new();
    let server = pki.server();
    let mut config = config(&server, "nocert");
    config.tls_ca_file = Some(pki.path("ca.pem"));
    let error = refused(&config).await;
    assert!(
        error.contains(&format!(
            "cannot connect to tls://127.0.0.1:{}",
            server.port()
        )),
        "{error}"
    );
    // The server ends the handshake: it verifies clients.
    assert!(error.contains("received fatal alert"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_the_ca_does_not_trust_the_server() {
    let pki = Pki::new();
    let server = pki.server();
    let config = with_client_certificate(config(&server, "noca"), &pki);
    let error = refused(&config).await;
    assert!(
        error.contains(&format!(
            "cannot connect to tls://127.0.0.1:{}",
            server.port()
        )),
        "{error}"
    );
    assert!(error.contains("UnknownIssuer"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_certificate_file_is_named_with_its_key_and_path() {
    let pki = Pki::new();
    // No server: the files are checked before connecting.
    let config: NatsConfig =
        serde_json::from_value(json!({ "url": "tls://127.0.0.1:1" })).expect("valid");
    let missing = pki.path("missing-key.pem");
    let cases: [(&str, &Path, &str); 3] = [
        (
            "tls_client_key",
            &missing,
            "cannot read `tls_client_key` file",
        ),
        // A certificate is not a key.
        (
            "tls_client_key",
            &pki.path("client.pem"),
            "holds no PEM private key",
        ),
        ("tls_ca_file", &missing, "cannot read `tls_ca_file` file"),
    ];
    for (key, path, expected) in cases {
        let mut config = with_client_certificate(config.clone(), &pki);
        match key {
            "tls_client_key" => config.tls_client_key = Some(path.to_owned()),
            _ => config.tls_ca_file = Some(path.to_owned()),
        }
        let error = refused(&config).await;
        assert!(
            error.contains(expected) && error.contains(&path.display().to_string()),
            "{key}: {error}"
        );
    }
}
