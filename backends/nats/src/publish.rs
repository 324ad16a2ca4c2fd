//! Publishing to JetStream until the server has stored the message: across a reconnect or a
//! server restart, a task or a result is published again until its deadline, under the same
//! message id, so the server stores it once.

use std::time::Duration;

use async_nats::jetstream::context::{PublishAckFuture, PublishErrorKind};
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, publish::PublishAck};
use tokio::time::Instant;

/// The first pause between two tries; it doubles up to [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(50);
const LONGEST_PAUSE: Duration = Duration::from_secs(1);

/// Why a message was not stored.
#[derive(Debug)]
pub(crate) struct NotStored {
    /// The last error of the server or the connection.
    pub(crate) last: String,
    /// Whether the deadline passed (rather than an error that another try cannot mend).
    pub(crate) gave_up: bool,
}

/// Publishes `payload` to `subject` with message id `id`, and waits for the server to store
/// it; tries again after errors a reconnect can mend, until `deadline`.
pub(crate) async fn durably(
    js: &jetstream::Context,
    subject: &str,
    id: &str,
    payload: bytes::Bytes,
    deadline: Instant,
) -> Result<PublishAck, NotStored> {
    let mut pause = FIRST_PAUSE;
    loop {
        let message = PublishMessage::build()
            .payload(payload.clone())
            .message_id(id);
        let stored = match js.send_publish(subject.to_owned(), message).await {
            Ok(ack) => stored(ack).await,
            Err(error) => Err((error.kind(), error.to_string())),
        };
        let (kind, last) = match stored {
            Ok(ack) => return Ok(ack),
            Err(error) => error,
        };
        let mendable = matches!(
            kind,
            PublishErrorKind::TimedOut
                | PublishErrorKind::BrokenPipe
                | PublishErrorKind::StreamNotFound
                | PublishErrorKind::MaxAckPending
        );
        if !mendable {
            return Err(NotStored {
                last,
                gave_up: false,
            });
        }
        if Instant::now() + pause >= deadline {
            return Err(NotStored {
                last,
                gave_up: true,
            });
        }
        tracing::debug!(target: "nadoo_flow::backend", %subject, error = %last, "publishing again");
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

async fn stored(ack: PublishAckFuture) -> Result<PublishAck, (PublishErrorKind, String)> {
    ack.await.map_err(|error| (error.kind(), error.to_string()))
}

impl std::fmt::Display for NotStored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.gave_up {
            write!(
                f,
                "not stored before its deadline; last error: {}",
                self.last
            )
        } else {
            f.write_str(&self.last)
        }
    }
}
