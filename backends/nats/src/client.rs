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
        .custom_inbox_prefix(config.inbox_prefix.clone());
    options = crate::tls::configure(options, config)?;
    if let (Some(user), Some(password)) = (&config.user, &config.password) {
        options = options.user_and_password(user.clone(), password.clone());
    }
    if let Some(token) = &config.token {
        options = options.token(token.clone());
    }
    if let Some(creds) = &config.creds_file {
        options = options.credentials_file(creds).await.map_err(|e| {
            failure(
                format_args!("cannot read credentials file {}", creds.display()),
                e,
            )
        })?;
    }
    // Credentials written in a URL go to the connection options, and the URLs to the client
    // without them: the client logs the URLs it tries.
    let mut urls: Vec<String> = Vec::new();
    let mut written: Option<(String, Option<String>)> = None;
    for url in config.url.split(',').map(str::trim) {
        let (plain, credentials) = without_credentials(url);
        urls.push(plain);
        written = written.or(credentials);
    }
    if config.user.is_none() && config.token.is_none() {
        match written {
            Some((user, Some(password))) => options = options.user_and_password(user, password),
            Some((token, None)) => options = options.token(token),
            None => {}
        }
    }
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
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

/// `url` without the user information of its authority, and that user information: a user
/// and password, or a token alone.
fn without_credentials(url: &str) -> (String, Option<(String, Option<String>)>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            let credentials = match user_info.split_once(':') {
                Some((user, password)) => (user.to_owned(), Some(password.to_owned())),
                None => (user_info.to_owned(), None),
            };
            (format!("{scheme}://{host}{path}"), Some(credentials))
        }
        None => (url.to_owned(), None),
    }
}

/// The work-queue stream of tasks, made if missing.
pub(crate) async fn task_stream(
    js: &jetstream::Context,
    config: &NatsConfig,
) -> Result<stream::Stream> {
    work_queue(js, config, &config.stream, config.task_subject()).await
}

/// The work-queue stream of results, made if missing: a result is stored by the server
/// before its task is acknowledged, and waits there while its coordinator reconnects.
pub(crate) async fn result_stream(
    js: &jetstream::Context,
    config: &NatsConfig,
) -> Result<stream::Stream> {
    work_queue(
        js,
        config,
        &config.result_stream(),
        format!("{}.>", config.results_prefix()),
    )
    .await
}

/// A work-queue stream on `subject` whose messages expire after `result_timeout`: past
/// that, nobody waits for a task or a result any more.
async fn work_queue(
    js: &jetstream::Context,
    config: &NatsConfig,
    name: &str,
    subject: String,
) -> Result<stream::Stream> {
    js.get_or_create_stream(stream::Config {
        name: name.to_owned(),
        subjects: vec![subject],
        retention: stream::RetentionPolicy::WorkQueue,
        max_age: config.result_timeout,
        storage: stream::StorageType::File,
        num_replicas: config.replicas,
        ..Default::default()
    })
    .await
    .map_err(|e| failure(format_args!("cannot open JetStream stream `{name}`"), e))
}

/// The durable pull consumer every worker shares, made if missing.
///
/// The server delivers a task once more than `max_deliver`: a worker that receives that
/// delivery answers it as poison instead of running it, so the coordinator hears of it
/// through the result stream.
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
                max_deliver: config.max_deliver.saturating_add(1),
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

/// The durable consumer of one coordinator's results, made if missing. It outlives a
/// reconnect or a server restart; the server deletes it once its coordinator has been gone
/// for `result_timeout`.
pub(crate) async fn result_consumer(
    stream: &stream::Stream,
    config: &NatsConfig,
    name: &str,
    subject: &str,
) -> Result<consumer::PullConsumer> {
    stream
        .get_or_create_consumer(
            name,
            consumer::pull::Config {
                durable_name: Some(name.to_owned()),
                filter_subject: subject.to_owned(),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: config.ack_wait,
                max_ack_pending: 100_000,
                inactive_threshold: config.result_timeout,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| failure(format_args!("cannot open consumer `{name}`"), e))
}

#[cfg(test)]
mod tests {
    use super::without_credentials;

    #[test]
    fn credentials_leave_the_url() {
        assert_eq!(
            without_credentials("nats://alice:pw@h:4222"),
            (
                "nats://h:4222".to_owned(),
                Some(("alice".to_owned(), Some("pw".to_owned())))
            )
        );
        assert_eq!(
            without_credentials("tls://tok@h"),
            ("tls://h".to_owned(), Some(("tok".to_owned(), None)))
        );
        assert_eq!(
            without_credentials("nats://h:1"),
            ("nats://h:1".to_owned(), None)
        );
    }
}
