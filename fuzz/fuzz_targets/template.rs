//! The `template` node kind: made from the registry with fuzzed `text` and `output`, and run on
//! a fuzzed input (globals and predecessor outputs).
//!
//! Input layout, so that seeds can be written by hand: the template text, then optionally a NUL
//! byte and a JSON object of globals, then optionally a NUL byte and a JSON object of
//! predecessor outputs by node id, then optionally a NUL byte and the output key.

#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use nadoo_flow_core::{NodeContext, NodeInput, NodeRegistry};
use serde_json::{Map, Value, json};
use tokio::runtime::Runtime;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

fn object(segment: Option<&str>) -> Map<String, Value> {
    match segment.map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(map))) => map,
        _ => Map::new(),
    }
}

fuzz_target!(|data: &[u8]| {
    let data = String::from_utf8_lossy(data);
    let mut segments = data.splitn(4, '\0');
    let text = segments.next().unwrap_or_default();
    let globals = object(segments.next());
    let outputs = object(segments.next());
    let output = segments.next();

    let config = match output {
        Some(output) => json!({ "text": text, "output": output }),
        None => json!({ "text": text }),
    };
    let node = match NodeRegistry::create("template", &config) {
        Ok(node) => node,
        Err(error) => {
            let _ = error.to_string();
            assert!(
                text.contains("{{"),
                "text without placeholders is rejected: {text:?}"
            );
            return;
        }
    };

    let mut input = NodeInput::new(Arc::new(globals));
    for (id, value) in outputs {
        input.outputs.insert(id, value);
    }
    let context = NodeContext::new("render", input);
    let result = match runtime().block_on(node.execute(&context)) {
        Ok(result) => result,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    assert!(result.success);
    let key = output.unwrap_or("text");
    let Value::Object(map) = &result.output else {
        panic!("output is not an object: {:?}", result.output);
    };
    assert_eq!(map.len(), 1, "{map:?}");
    let rendered = map
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no text under `{key}`: {map:?}"));
    if !text.contains("{{") {
        assert_eq!(rendered, text);
    }
});
