//! `start` and `end`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::context::NodeContext;
use crate::error::BoxError;
use crate::node::Node;
use crate::node_registry::NodeKind;
use crate::result::NodeResult;
use crate::{async_trait, node};

/// The configuration of a kind that takes none: an empty table, unknown keys rejected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoConfig {}

/// Where every workflow begins. Outputs `{}`.
#[node("start")]
#[derive(Debug, Clone, Copy, Default)]
pub struct StartNode;

impl NodeKind for StartNode {
    type Config = NoConfig;
    fn from_config(_: NoConfig) -> Result<Self, BoxError> {
        Ok(StartNode)
    }
}

#[async_trait]
impl Node for StartNode {
    async fn execute(&self, _context: &NodeContext) -> Result<NodeResult, BoxError> {
        Ok(NodeResult::ok(Value::Object(Map::new())))
    }

    fn kind(&self) -> &'static str {
        "start"
    }
}

/// Where a path ends. Never executed.
#[node("end")]
#[derive(Debug, Clone, Copy, Default)]
pub struct EndNode;

impl NodeKind for EndNode {
    type Config = NoConfig;
    fn from_config(_: NoConfig) -> Result<Self, BoxError> {
        Ok(EndNode)
    }
}

#[async_trait]
impl Node for EndNode {
    async fn execute(&self, _context: &NodeContext) -> Result<NodeResult, BoxError> {
        Ok(NodeResult::ok(Value::Object(Map::new())))
    }

    fn kind(&self) -> &'static str {
        "end"
    }
}
