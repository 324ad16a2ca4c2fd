use nadoo_flow::{BoxError, Node, NodeContext, NodeKind, NodeRegistry, NodeResult, async_trait, node};
use serde::Deserialize;

/// Repeats a word.
#[node("ui-repeat")]
#[derive(Debug)]
pub struct Repeat {
    word: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatConfig {
    word: String,
}

impl NodeKind for Repeat {
    type Config = RepeatConfig;
    fn from_config(config: RepeatConfig) -> Result<Self, BoxError> {
        Ok(Repeat { word: config.word })
    }
}

#[async_trait]
impl Node for Repeat {
    async fn execute(&self, _: &NodeContext) -> Result<NodeResult, BoxError> {
        Ok(NodeResult::ok(serde_json::json!({ "text": format!("{0} {0}", self.word) })))
    }
}

fn main() {
    let info = NodeRegistry::info("ui-repeat").unwrap();
    assert_eq!(info.description(), "Repeats a word.");
    assert!(NodeRegistry::create("ui-repeat", serde_json::json!({ "word": "hi" })).is_ok());
    assert!(NodeRegistry::create("ui-repeat", serde_json::json!({})).is_err());
}
