//! TLS of the connection to NATS: which certificates the client trusts and presents, and a
//! warning when credentials would cross the network in clear text.

use std::net::IpAddr;
use std::path::Path;

use async_nats::ConnectOptions;
use async_nats::rustls::pki_types::pem::PemObject;
use async_nats::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use nadoo_flow_core::{Error, Result};

use crate::config::NatsConfig;

/// Adds the TLS settings of `config` to `options`, and warns when credentials would be sent in
/// clear text.
///
/// The certificate and key files are read here, before connecting: async-nats reads them only
/// while connecting, and its error then names neither the file nor the setting.
pub(crate) fn configure(
    mut options: ConnectOptions,
    config: &NatsConfig,
) -> Result<ConnectOptions> {
    options = options.require_tls(config.tls_required);
    if let Some(ca) = &config.tls_ca_file {
        certificates("tls_ca_file", ca)?;
        options = options.add_root_certificates(ca.clone());
    }
    if let Some((cert, key)) = config.client_certificate()? {
        certificates("tls_client_cert", cert)?;
        private_key("tls_client_key", key)?;
        options = options.add_client_certificate(cert.clone(), key.clone());
    }
    let hosts = cleartext_hosts(config);
    if !hosts.is_empty() {
        tracing::warn!(
            target: "nadoo_flow::backend",
            backend = "nats",
            hosts = %hosts.join(", "),
            "credentials would be sent in clear text to a host that is not loopback; \
             use tls:// URLs or set tls_required = true",
        );
    }
    Ok(options)
}

/// The PEM contents of the file `path` of the setting `key`; the error names both.
fn read(key: &str, path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        Error::backend(
            "nats",
            format!("cannot read `{key}` file {}: {e}", path.display()),
        )
    })
}

/// Checks that the file of `key` holds at least one PEM certificate.
fn certificates(key: &str, path: &Path) -> Result<()> {
    let pem = read(key, path)?;
    match CertificateDer::pem_slice_iter(&pem).collect::<Result<Vec<_>, _>>() {
        Ok(certificates) if !certificates.is_empty() => Ok(()),
        Ok(_) => Err(Error::backend(
            "nats",
            format!("`{key}` file {} holds no PEM certificate", path.display()),
        )),
        Err(e) => Err(Error::backend(
            "nats",
            format!("`{key}` file {} is not valid PEM: {e}", path.display()),
        )),
    }
}

/// Checks that the file of `key` holds a PEM private key.
fn private_key(key: &str, path: &Path) -> Result<()> {
    let pem = read(key, path)?;
    PrivateKeyDer::from_pem_slice(&pem).map(drop).map_err(|e| {
        Error::backend(
            "nats",
            format!(
                "`{key}` file {} holds no PEM private key: {e}",
                path.display()
            ),
        )
    })
}

/// The servers of `config.url` that would receive its credentials in clear text: those
/// reached by `nats://` or `ws://` on a host that is not loopback, when credentials are set
/// (user and password, token, credentials file, or user information in a URL) and TLS is not
/// required. Each is `host:port` as written, without user information; empty when nothing is
/// at risk.
pub(crate) fn cleartext_hosts(config: &NatsConfig) -> Vec<String> {
    if config.tls_required {
        return Vec::new();
    }
    let urls = || config.url.split(',').map(str::trim).filter_map(split);
    let credentials = config.user.is_some()
        || config.password.is_some()
        || config.token.is_some()
        || config.creds_file.is_some()
        || urls().any(|(_, user_info, _)| user_info);
    if !credentials {
        return Vec::new();
    }
    let mut hosts: Vec<String> = Vec::new();
    for (scheme, _, host_port) in urls() {
        let clear = scheme.eq_ignore_ascii_case("nats") || scheme.eq_ignore_ascii_case("ws");
        if clear && !is_loopback(host_of(host_port)) && !hosts.iter().any(|h| h == host_port) {
            hosts.push(host_port.to_owned());
        }
    }
    hosts
}

/// A URL's scheme, whether it carries user information, and its `host[:port]`.
fn split(url: &str) -> Option<(&str, bool, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    Some(match authority.rsplit_once('@') {
        Some((_, host_port)) => (scheme, true, host_port),
        None => (scheme, false, authority),
    })
}

/// The host of `host[:port]`, without the brackets of an IPv6 address.
fn host_of(host_port: &str) -> &str {
    if host_port.parse::<IpAddr>().is_ok() {
        return host_port;
    }
    if let Some(bracketed) = host_port.strip_prefix('[') {
        return bracketed
            .split_once(']')
            .map_or(bracketed, |(host, _)| host);
    }
    host_port
        .rsplit_once(':')
        .map_or(host_port, |(host, _)| host)
}

/// Whether `host` is `localhost` or a loopback address (127.0.0.0/8, `::1`).
fn is_loopback(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    fn config(json: serde_json::Value) -> NatsConfig {
        serde_json::from_value(json).expect("a valid configuration")
    }

    #[test]
    fn credentials_to_a_remote_host_in_clear_text_are_reported() {
        for json in [
            serde_json::json!({ "url": "nats://10.0.0.5:4222", "token": "t0ken" }),
            serde_json::json!({ "url": "nats://10.0.0.5:4222", "user": "ana", "password": "pw" }),
            serde_json::json!({ "url": "nats://10.0.0.5:4222", "creds_file": "/x.creds" }),
            serde_json::json!({ "url": "nats://ana:hunter2@10.0.0.5:4222" }),
            serde_json::json!({ "url": "ws://t0ken@10.0.0.5:4222/path" }),
        ] {
            let hosts = cleartext_hosts(&config(json.clone()));
            assert_eq!(hosts, ["10.0.0.5:4222"], "{json}");
        }
        let hosts = cleartext_hosts(&config(serde_json::json!({
            "url": "tls://a:1, nats://u:p@b.example:4222,nats://127.0.0.1:1, nats://[2001:db8::1]:4222, nats://b.example:4222",
        })));
        assert_eq!(hosts, ["b.example:4222", "[2001:db8::1]:4222"]);
    }

    #[test]
    fn loopback_tls_or_no_credentials_are_not_reported() {
        for json in [
            // No credentials.
            serde_json::json!({ "url": "nats://10.0.0.5:4222" }),
            // TLS.
            serde_json::json!({ "url": "tls://10.0.0.5:4222", "token": "t" }),
            serde_json::json!({ "url": "wss://10.0.0.5:443", "token": "t" }),
            serde_json::json!({ "url": "nats://10.0.0.5:4222", "token": "t", "tls_required": true }),
            // Loopback.
            serde_json::json!({ "url": "nats://127.0.0.1:4222", "token": "t" }),
            serde_json::json!({ "url": "nats://127.8.9.10:4222", "token": "t" }),
            serde_json::json!({ "url": "nats://localhost:4222,nats://LOCALHOST", "token": "t" }),
            serde_json::json!({ "url": "nats://[::1]:4222", "token": "t" }),
            serde_json::json!({ "url": "ws://u:p@[::ffff:127.0.0.1]:80" }),
        ] {
            assert_eq!(
                cleartext_hosts(&config(json.clone())),
                Vec::<String>::new(),
                "{json}"
            );
        }
        assert!(!is_loopback("localhost.example"));
        assert!(!is_loopback("128.0.0.1"));
    }

    /// The messages of the warnings logged while `f` runs.
    fn warnings(f: impl FnOnce()) -> Vec<String> {
        #[derive(Default)]
        struct Capture(Arc<Mutex<Vec<String>>>);
        struct Fields<'a>(&'a mut String);
        impl tracing::field::Visit for Fields<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{}={value:?} ", field.name()));
            }
        }
        impl tracing::Subscriber for Capture {
            fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
                true
            }
            fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
                tracing::span::Id::from_u64(1)
            }
            fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
            fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
            fn event(&self, event: &tracing::Event<'_>) {
                if *event.metadata().level() == tracing::Level::WARN {
                    let mut line = format!("{} ", event.metadata().target());
                    event.record(&mut Fields(&mut line));
                    self.0.lock().expect("not poisoned").push(line);
                }
            }
            fn enter(&self, _: &tracing::span::Id) {}
            fn exit(&self, _: &tracing::span::Id) {}
        }
        let capture = Capture::default();
        let lines = capture.0.clone();
        tracing::subscriber::with_default(capture, f);
        lines.lock().expect("not poisoned").clone()
    }

    #[test]
    fn configure_warns_once_with_the_host_and_never_the_credentials() {
        let risky = config(serde_json::json!({
            "url": "nats://ana:hunter2@10.0.0.5:4222,nats://10.0.0.6:4222",
            "token": "t0ken",
        }));
        let lines = warnings(|| {
            configure(ConnectOptions::new(), &risky).expect("configures");
        });
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        assert!(line.starts_with("nadoo_flow::backend "), "{line}");
        assert!(
            line.contains("10.0.0.5:4222, 10.0.0.6:4222") && line.contains("tls_required = true"),
            "{line}"
        );
        assert!(
            !line.contains("hunter2") && !line.contains("t0ken") && !line.contains("ana"),
            "{line}"
        );

        let safe = config(serde_json::json!({ "url": "tls://10.0.0.5:4222", "token": "t0ken" }));
        let lines = warnings(|| {
            configure(ConnectOptions::new(), &safe).expect("configures");
        });
        assert!(lines.is_empty(), "{lines:?}");
    }
}
