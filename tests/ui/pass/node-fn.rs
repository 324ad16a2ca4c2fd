use nadoo_flow::{NodeRegistry, NodeSpec, RegisteredKind, node};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Deserialize)]
pub struct Text {
    text: String,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Times {
    times: usize,
}

/// One argument, an alias of `Result`.
#[node("ui-fn-length")]
pub async fn length(input: Text) -> std::io::Result<usize> {
    Ok(input.text.len())
}

/// Two arguments, the config by value, `anyhow` errors.
#[node("ui-fn-repeat")]
pub async fn repeat(input: Text, config: Times) -> anyhow::Result<Value> {
    Ok(json!({ "text": input.text.repeat(config.times) }))
}

/// The config by reference, no input, `()` out.
#[node("ui-fn-quiet")]
async fn quiet(_: (), config: &Times) -> Result<(), String> {
    let _ = config.times;
    Ok(())
}

fn main() {
    assert_eq!(<length as RegisteredKind>::KIND, "ui-fn-length");
    assert_eq!(
        NodeRegistry::info("ui-fn-repeat").unwrap().description(),
        "Two arguments, the config by value, `anyhow` errors."
    );
    let spec: NodeSpec = length::spec("length");
    assert_eq!(spec.kind(), "ui-fn-length");
    assert!(repeat::spec("repeat", json!({ "times": 2 })).is_ok());
    assert!(quiet::spec("quiet", json!({ "times": "x" })).is_err());
    let _ = quiet((), &Times { times: 1 });
}
