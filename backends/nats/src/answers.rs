//! A worker's answers, stored in the result stream in batches: the results that finish while
//! a batch is being stored go together in the next message to their coordinator, so the
//! server stores and delivers one message for many results when the worker is busy, and one
//! for one when it is not.

use std::collections::HashMap;

use async_nats::jetstream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// One encoded result (a `TaskResult` in JSON) on its way to `reply`.
struct Answer {
    reply: String,
    encoded: Vec<u8>,
    deadline: Instant,
    /// Told whether the server stored it.
    stored: oneshot::Sender<bool>,
}

/// The sending side of a worker's batcher; the batcher stops when it is dropped.
#[derive(Debug, Clone)]
pub(crate) struct Answers {
    queue: mpsc::UnboundedSender<Answer>,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("reply", &self.reply)
            .finish()
    }
}

/// The most results in one message.
const MOST: usize = 512;

impl Answers {
    /// Starts the batcher; a message holds at most `max_payload` bytes.
    pub(crate) fn start(js: jetstream::Context, max_payload: usize) -> Answers {
        let (queue, receiver) = mpsc::unbounded_channel();
        tokio::spawn(batcher(js, max_payload, receiver));
        Answers { queue }
    }

    /// Stores `encoded` (one result, at most `max_payload` bytes less two) at `reply`,
    /// trying again until `deadline`; whether the server stored it.
    pub(crate) async fn store(&self, reply: &str, encoded: Vec<u8>, deadline: Instant) -> bool {
        let (stored, told) = oneshot::channel();
        let answer = Answer {
            reply: reply.to_owned(),
            encoded,
            deadline,
            stored,
        };
        if self.queue.send(answer).is_err() {
            return false;
        }
        told.await.unwrap_or(false)
    }
}

/// Takes what is queued, groups it by coordinator, and stores each group as one message.
async fn batcher(
    js: jetstream::Context,
    max_payload: usize,
    mut queue: mpsc::UnboundedReceiver<Answer>,
) {
    let mut taken = Vec::new();
    while queue.recv_many(&mut taken, MOST).await > 0 {
        let mut groups: HashMap<String, Vec<Answer>> = HashMap::new();
        for answer in taken.drain(..) {
            groups.entry(answer.reply.clone()).or_default().push(answer);
        }
        let stores = groups
            .into_values()
            .flat_map(|group| split(group, max_payload))
            .map(|batch| store(&js, batch));
        futures::future::join_all(stores).await;
    }
}

/// `group` in messages of at most `max_payload` bytes each.
fn split(group: Vec<Answer>, max_payload: usize) -> Vec<Vec<Answer>> {
    let mut batches: Vec<Vec<Answer>> = Vec::new();
    let mut size = 0;
    for answer in group {
        // `[`, `]` and the commas between results.
        let adds = answer.encoded.len() + 1;
        match batches.last_mut() {
            Some(batch) if size + adds < max_payload => {
                size += adds;
                batch.push(answer);
            }
            _ => {
                size = adds + 1;
                batches.push(vec![answer]);
            }
        }
    }
    batches
}

/// Stores one batch as a JSON array, and tells each result's sender whether it was stored.
async fn store(js: &jetstream::Context, batch: Vec<Answer>) {
    let Some(first) = batch.first() else { return };
    let reply = first.reply.clone();
    let deadline = batch
        .iter()
        .map(|a| a.deadline)
        .max()
        .unwrap_or_else(Instant::now);
    let mut payload =
        Vec::with_capacity(batch.iter().map(|a| a.encoded.len() + 1).sum::<usize>() + 1);
    payload.push(b'[');
    for (i, answer) in batch.iter().enumerate() {
        if i > 0 {
            payload.push(b',');
        }
        payload.extend_from_slice(&answer.encoded);
    }
    payload.push(b']');
    // A batch stored twice (a retry after a lost acknowledgement) is stored once.
    let id = uuid::Uuid::new_v4().simple().to_string();
    let stored = crate::publish::durably(js, &reply, &id, payload.into(), deadline).await;
    if let Err(error) = &stored {
        tracing::warn!(target: "nadoo_flow::backend", %error, results = batch.len(), "storing results");
    }
    for answer in batch {
        let _ = answer.stored.send(stored.is_ok());
    }
}
