//! `fail`: always fails, for testing failure handling.

use serde::{Deserialize, Serialize};

use crate::context::NodeContext;
use crate::error::BoxError;
use crate::node::Node;
use crate::node_registry::NodeKind;
use crate::result::NodeResult;
use crate::{async_trait, node};

/// Always fails with its message; for testing failure handling.
#[node("fail")]
#[derive(Debug, Clone)]
pub struct Fail {
    message: String,
}

/// Configuration of [`Fail`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailConfig {
    /// The failure's reason, for example `"quota exceeded"`. Default: `"failed on purpose"`.
    #[serde(default = "default_message")]
    pub message: String,
}

fn default_message() -> String {
    "failed on purpose".to_owned()
}

impl NodeKind for Fail {
    type Config = FailConfig;
    fn from_config(config: FailConfig) -> Result<Self, BoxError> {
        Ok(Fail {
            message: config.message,
        })
    }
}

#[async_trait]
impl Node for Fail {
    async fn execute(&self, _context: &NodeContext) -> Result<NodeResult, BoxError> {
        Ok(NodeResult::failed(self.message.clone()))
    }

    fn kind(&self) -> &'static str {
        "fail"
    }
}
