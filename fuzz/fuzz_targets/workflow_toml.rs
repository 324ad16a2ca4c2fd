//! The workflow loader: `Workflow::from_toml` on any text, and for every workflow it accepts,
//! `to_toml` and a second load that gives the same `to_def()`.
//!
//! One exception is allowed: TOML's `nan` and `inf` are read as JSON `null` (a JSON number
//! cannot hold them), and `to_toml` refuses `null` with `Error::NoTomlForm`. So writing may
//! fail with that error, and only when the definition holds a `null`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nadoo_flow_core::{Error, Workflow};
use serde_json::Value;

fn holds_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().any(holds_null),
        Value::Object(map) => map.values().any(holds_null),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let workflow = match Workflow::from_toml("fuzz.toml", text) {
        Ok(workflow) => workflow,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let def = workflow
        .to_def()
        .expect("a workflow read from TOML has a TOML form");
    let written = match workflow.to_toml() {
        Ok(written) => written,
        Err(Error::NoTomlForm { reason })
            if def.input.values().any(holds_null)
                || def
                    .nodes
                    .iter()
                    .any(|node| node.config.values().any(holds_null)) =>
        {
            assert!(!reason.is_empty());
            return;
        }
        Err(error) => panic!("a workflow read from TOML cannot be written as TOML: {error:?}"),
    };
    let reread = Workflow::from_toml("fuzz.toml", &written).unwrap_or_else(|e| {
        panic!("the written form does not load again: {e}\n--- read ---\n{text}\n--- written ---\n{written}")
    });
    let again = reread
        .to_def()
        .expect("a workflow read from TOML has a TOML form");
    assert_eq!(def, again, "--- written ---\n{written}");
});
