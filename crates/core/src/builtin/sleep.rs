//! `sleep`: waits.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::context::NodeContext;
use crate::error::BoxError;
use crate::node::Node;
use crate::node_registry::NodeKind;
use crate::result::NodeResult;
use crate::{async_trait, node};

/// Waits a number of milliseconds, then outputs `{}`.
#[node("sleep")]
#[derive(Debug, Clone, Copy)]
pub struct Sleep {
    duration: Duration,
}

/// Configuration of [`Sleep`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SleepConfig {
    /// How long to wait, in milliseconds, for example `250`. Required.
    pub ms: u64,
}

impl NodeKind for Sleep {
    type Config = SleepConfig;
    fn from_config(config: SleepConfig) -> Result<Self, BoxError> {
        Ok(Sleep {
            duration: Duration::from_millis(config.ms),
        })
    }
}

#[async_trait]
impl Node for Sleep {
    async fn execute(&self, _context: &NodeContext) -> Result<NodeResult, BoxError> {
        tokio::time::sleep(self.duration).await;
        Ok(NodeResult::ok(Value::Object(Map::new())))
    }

    fn kind(&self) -> &'static str {
        "sleep"
    }
}
