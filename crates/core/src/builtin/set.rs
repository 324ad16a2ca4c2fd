//! `set`: fixed values as output, and writes to globals.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::context::NodeContext;
use crate::error::BoxError;
use crate::node::Node;
use crate::node_registry::NodeKind;
use crate::result::NodeResult;
use crate::{async_trait, node};

/// Outputs fixed values and writes fixed globals.
#[node("set")]
#[derive(Debug, Clone)]
pub struct Set {
    /// Kept as pairs rather than as maps: a map of even one entry takes ~630 bytes, more than
    /// the rest of the node, and large workflows hold thousands of `set` nodes.
    values: Box<[(String, Value)]>,
    globals: Box<[(String, Value)]>,
}

/// Configuration of [`Set`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SetConfig {
    /// The node's output, for example `{ greeting = "hi" }`. Default: `{}`.
    pub values: Map<String, Value>,
    /// Globals to write, for example `{ stage = "drafted" }`. Default: `{}`.
    pub globals: Map<String, Value>,
}

impl NodeKind for Set {
    type Config = SetConfig;
    fn from_config(config: SetConfig) -> Result<Self, BoxError> {
        Ok(Set {
            values: config.values.into_iter().collect(),
            globals: config.globals.into_iter().collect(),
        })
    }
}

#[async_trait]
impl Node for Set {
    async fn execute(&self, _context: &NodeContext) -> Result<NodeResult, BoxError> {
        Ok(
            NodeResult::ok(Value::Object(self.values.iter().cloned().collect()))
                .with_globals(self.globals.iter().cloned().collect()),
        )
    }

    fn kind(&self) -> &'static str {
        "set"
    }

    fn cacheable(&self) -> bool {
        true
    }
}
