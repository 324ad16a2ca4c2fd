//! `route`: picks a route key from a value in the node's input.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{lookup, text};
use crate::context::NodeContext;
use crate::error::BoxError;
use crate::node::Node;
use crate::node_registry::NodeKind;
use crate::result::NodeResult;
use crate::{async_trait, node};

/// Chooses a route by the value at a dotted path of its input.
#[node("route")]
#[derive(Debug, Clone)]
pub struct Route {
    config: RouteConfig,
}

/// Configuration of [`Route`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// The dotted path of the value to look at, for example `"check.verdict"`. Required.
    pub on: String,
    /// Value (as text) → route key, for example `{ approved = "ok" }`. Default: `{}`.
    #[serde(default)]
    pub cases: BTreeMap<String, String>,
    /// The route key when no case matches or the value is missing. Default: none (then
    /// either is an error).
    #[serde(default)]
    pub default: Option<String>,
}

impl NodeKind for Route {
    type Config = RouteConfig;
    fn from_config(config: RouteConfig) -> Result<Self, BoxError> {
        Ok(Route { config })
    }
}

#[async_trait]
impl Node for Route {
    async fn execute(&self, context: &NodeContext) -> Result<NodeResult, BoxError> {
        let value = match (context.input.lookup(&self.config.on), &self.config.default) {
            (Some(value), _) => value.clone(),
            // A missing value takes the default route, when there is one.
            (None, Some(_)) => Value::Null,
            (None, None) => lookup(&context.input, &self.config.on)?.clone(),
        };
        let key = text(&value);
        let route = match self.config.cases.get(&key).or(self.config.default.as_ref()) {
            Some(route) => route.clone(),
            None => {
                return Err(format!(
                    "no case matches `{key}` at `{}` and there is no default",
                    self.config.on
                )
                .into());
            }
        };
        Ok(NodeResult::ok(json!({ "value": value, "route": route })).with_route(route))
    }

    fn kind(&self) -> &'static str {
        "route"
    }

    fn cacheable(&self) -> bool {
        true
    }
}
