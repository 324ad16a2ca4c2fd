//! What a worker and a coordinator read from the network, decoded from valid messages and
//! from thousands of damaged ones: bytes that do not decode are refused, never a panic, and
//! what decodes survives encoding again. The same entry points serve the `cargo fuzz`
//! targets in `backends/nats/fuzz`.

use nadoo_flow_core::{NodeContext, NodeInput};
use nadoo_flow_nats::fuzzing;
use serde_json::json;

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }
}

/// `seed` damaged: bytes flipped, cut, repeated or inserted.
fn damaged(seed: &[u8], dice: &mut Dice) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..=dice.below(4) {
        let at = dice.below(bytes.len());
        match dice.below(5) {
            0 => bytes[at] ^= 1 << dice.below(8),
            1 => bytes.truncate(at),
            2 => {
                let piece: Vec<u8> = bytes[at..].iter().take(16).copied().collect();
                bytes.splice(at..at, piece);
            }
            3 => bytes.insert(at, b"{}[]\",:\\0e-9"[dice.below(12)]),
            _ => bytes[at] = u8::try_from(dice.below(256)).unwrap_or(0),
        }
        if bytes.is_empty() {
            break;
        }
    }
    bytes
}

fn valid_task() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "task_id": "0123abcd",
        "workflow_id": "w",
        "node_id": "n",
        "attempt": 2,
        "kind": "set",
        "config": { "values": { "a": [1, 2.5, "x", null, { "b": true }] } },
        "context": NodeContext::new("n", NodeInput::default()),
        "reply": "nadoo.results.abc",
        "deadline_ms": 1_700_000_000_000u64,
    }))
    .expect("encodes")
}

fn valid_results() -> Vec<u8> {
    serde_json::to_vec(&json!([
        { "task_id": "t1", "result": { "success": true, "output": { "x": 1 } } },
        { "task_id": "t2", "result": { "success": false, "error": "boom" } },
    ]))
    .expect("encodes")
}

#[test]
fn valid_messages_decode_and_damaged_ones_never_panic() {
    let (task, results) = (valid_task(), valid_results());
    fuzzing::task(&task);
    fuzzing::results(&results);
    let mut dice = Dice(0x5eed_cafe);
    for _ in 0..20_000 {
        fuzzing::task(&damaged(&task, &mut dice));
        fuzzing::results(&damaged(&results, &mut dice));
        // Each as the other: a result where a task belongs, and the reverse.
        fuzzing::task(&damaged(&results, &mut dice));
        fuzzing::results(&damaged(&task, &mut dice));
    }
}

#[test]
fn deeply_nested_input_is_refused_without_overflowing_the_stack() {
    for depth in [100, 10_000, 1_000_000] {
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        fuzzing::results(nested.as_bytes());
        let config = format!(
            r#"{{"task_id":"t","config":{}{}}}"#,
            "{\"a\":".repeat(depth),
            "}".repeat(depth)
        );
        fuzzing::task(config.as_bytes());
    }
}
