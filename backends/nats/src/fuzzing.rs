//! Entry points for fuzzing what a worker and a coordinator read from the network (feature
//! `fuzzing`; the `cargo fuzz` targets live in `backends/nats/fuzz`).
//!
//! Each function takes arbitrary bytes, decodes them as the backend would, and panics only
//! when an invariant breaks: what decodes must encode again and decode to the same thing.
//! Bytes that do not decode are refused with an error, never a panic.
//!
//! ```
//! nadoo_flow_nats::fuzzing::task(br#"{"task_id": 1}"#);
//! nadoo_flow_nats::fuzzing::results(b"[]");
//! ```

use crate::task::{decode_results, decode_task};
use crate::worker::is_result_subject;

/// Decodes `bytes` as a task, as a worker does, and checks what it read.
///
/// # Panics
///
/// When a task that decoded does not survive encoding and decoding again.
pub fn task(bytes: &[u8]) {
    let Ok(task) = decode_task(bytes) else {
        return;
    };
    // The reply subject is checked before anything is published to it.
    let _ = is_result_subject(&task.reply, "nadoo.results");
    let again = serde_json::to_vec(&task).expect("a decoded task encodes");
    let twice = decode_task(&again).expect("an encoded task decodes");
    assert_eq!(
        serde_json::to_value(&task).ok(),
        serde_json::to_value(&twice).ok(),
        "a task changed through encoding"
    );
}

/// Decodes `bytes` as a message of the result stream, as a coordinator does, and checks
/// what it read.
///
/// # Panics
///
/// When results that decoded do not survive encoding and decoding again.
pub fn results(bytes: &[u8]) {
    let Ok(results) = decode_results(bytes) else {
        return;
    };
    let again = serde_json::to_vec(&results).expect("decoded results encode");
    let twice = decode_results(&again).expect("encoded results decode");
    assert_eq!(
        serde_json::to_value(&results).ok(),
        serde_json::to_value(&twice).ok(),
        "results changed through encoding"
    );
}
