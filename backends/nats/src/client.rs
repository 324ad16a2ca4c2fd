//! The connection to NATS and the JetStream stream and consumer the backend uses.

use async_nats::jetstream::{self, consumer, stream};
use async_nats::{Client, ConnectOptions};
use nadoo_flow_core::{Error, Result, redact_list};

use crate::config::NatsConfig;

/// An error of the NATS backend, naming what it was doing.
pub(crate) fn failure(doing: impl std::fmt::Display, cause: impl std::fmt::Display) -> Error {
    Error::backend("nats", format!("{doing}: {cause}"))
}

/// Connects within `request_timeout`; the error names the URL.
pub(crate) async fn connect(
    config: &NatsConfig,
    name: &str,
) -> Result<(Client, jetstream::Context)> {
    let mut options = ConnectOptions::new()
        .name(name)
        .connection_timeout(config.request_timeout)
        .request_timeout(Some(config.request_timeout))
        .require_tls(config.tls_required);
    if let (Some(user), Some(password)) = (&config.user, &config.password) {
        options = options.user_and_password(user.clone(), password.clone());
    }
    if let Some(token) = &config.token {
        options = options.token(token.clone());
    }
    if let Some(ca) = &config.tls_ca_file {
        options = options.add_root_certificates(ca.clone());
    }
    if let Some(creds) = &config.creds_file {
        options = options.credentials_file(creds).await.map_err(|e| {
            failure(
                format_args!("cannot read credentials file {}", creds.display()),
                e,
            )
        })?;
    }
    let urls: Vec<&str> = config.url.split(',').map(str::trim).collect();
    let connecting = options.connect(urls.as_slice());
    let client = match tokio::time::timeout(config.request_timeout, connecting).await {
        Ok(Ok(client)) => client,
        Ok(Err(e)) => {
            return Err(failure(
                format_args!("cannot connect to {}", redact_list(&config.url)),
                redact_list(&e.to_string()),
            ));
        }
        Err(_) => {
            return Err(failure(
                format_args!("cannot connect to {}", redact_list(&config.url)),
                format_args!("no answer within {:?}", config.request_timeout),
            ));
        }
    };
    let mut js = jetstream::new(client.clone());
    js.set_timeout(config.request_timeout);
    Ok((client, js))
}

/// The work-queue stream of tasks, made if missing.
pub(crate) async fn task_stream(
    js: &jetstream::Context,
    config: &NatsConfig,
) -> Result<stream::Stream> {
    js.get_or_create_stream(stream::Config {
        name: config.stream.clone(),
        subjects: vec![config.task_subject()],
        retention: stream::RetentionPolicy::WorkQueue,
        // A task older than this has no coordinator waiting for it any more.
        max_age: config.result_timeout,
        storage: stream::StorageType::File,
        num_replicas: config.replicas,
        ..Default::default()
    })
    .await
    .map_err(|e| {
        failure(
            format_args!("cannot open JetStream stream `{}`", config.stream),
            e,
        )
    })
}

/// The durable pull consumer every worker shares, made if missing.
pub(crate) async fn task_consumer(
    stream: &stream::Stream,
    config: &NatsConfig,
) -> Result<consumer::PullConsumer> {
    stream
        .get_or_create_consumer(
            &config.consumer,
            consumer::pull::Config {
                durable_name: Some(config.consumer.clone()),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: config.ack_wait,
                max_deliver: config.max_deliver,
                max_ack_pending: 10_000,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| {
            failure(
                format_args!("cannot open consumer `{}`", config.consumer),
                e,
            )
        })
}
