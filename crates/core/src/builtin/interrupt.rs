//! `interrupt`: stops the run until a person (or a program) gives it input.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::context::NodeContext;
use crate::error::BoxError;
use crate::node::Node;
use crate::node_registry::NodeKind;
use crate::result::NodeResult;
use crate::{async_trait, node};

/// Interrupts the run with its `prompt` as output; once the run is resumed with input, outputs
/// that input (an object of the values given, for example by `nadoo-flow resume ID --set
/// approved=true`) and the run goes on.
#[node("interrupt")]
#[derive(Debug, Clone)]
pub struct Interrupt {
    prompt: String,
}

/// Configuration of [`Interrupt`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterruptConfig {
    /// What the run waits for, shown to whoever resumes it, for example `"Approve the
    /// draft?"`. Required.
    pub prompt: String,
}

impl NodeKind for Interrupt {
    type Config = InterruptConfig;
    fn from_config(config: InterruptConfig) -> Result<Self, BoxError> {
        Ok(Interrupt {
            prompt: config.prompt,
        })
    }
}

#[async_trait]
impl Node for Interrupt {
    async fn execute(&self, context: &NodeContext) -> Result<NodeResult, BoxError> {
        match &context.resume {
            Some(input) => Ok(NodeResult::ok((**input).clone())),
            None => {
                let mut output = Map::new();
                output.insert("prompt".to_owned(), Value::String(self.prompt.clone()));
                Ok(NodeResult::ok(Value::Object(output)).interrupted())
            }
        }
    }

    fn kind(&self) -> &'static str {
        "interrupt"
    }
}
