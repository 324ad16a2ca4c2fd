//! `template`: text with `{{path}}` placeholders filled from the node's input.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{lookup, text};
use crate::context::NodeContext;
use crate::error::BoxError;
use crate::node::Node;
use crate::node_registry::NodeKind;
use crate::result::NodeResult;
use crate::{async_trait, node};

/// Renders text with `{{path}}` placeholders over the node's input.
#[node("template")]
#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<Part>,
    output: String,
}

/// Configuration of [`Template`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateConfig {
    /// The text, for example `"A post about {{topic}}"`. Required.
    pub text: String,
    /// The output key the rendered text goes under. Default: `"text"`.
    #[serde(default = "default_output")]
    pub output: String,
}

fn default_output() -> String {
    "text".to_owned()
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Path(String),
}

/// Splits `text` into literals and `{{path}}` placeholders.
fn parse(text: &str) -> Result<Vec<Part>, BoxError> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            parts.push(Part::Literal(rest[..open].to_owned()));
        }
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| format!("unclosed `{{{{` in template text {text:?}"))?;
        let path = after[..close].trim();
        if path.is_empty() {
            return Err(format!("empty placeholder `{{{{}}}}` in template text {text:?}").into());
        }
        parts.push(Part::Path(path.to_owned()));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Literal(rest.to_owned()));
    }
    Ok(parts)
}

impl NodeKind for Template {
    type Config = TemplateConfig;
    fn from_config(config: TemplateConfig) -> Result<Self, BoxError> {
        Ok(Template {
            parts: parse(&config.text)?,
            output: config.output,
        })
    }
}

#[async_trait]
impl Node for Template {
    async fn execute(&self, context: &NodeContext) -> Result<NodeResult, BoxError> {
        let mut rendered = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(literal) => rendered.push_str(literal),
                Part::Path(path) => rendered.push_str(&text(lookup(&context.input, path)?)),
            }
        }
        Ok(NodeResult::ok(json!({ self.output.as_str(): rendered })))
    }

    fn kind(&self) -> &'static str {
        "template"
    }

    fn cacheable(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_placeholders_and_literals() {
        let parts = parse("Hi {{ name }}, {{a.b}}!").expect("parses");
        assert_eq!(
            parts,
            [
                Part::Literal("Hi ".into()),
                Part::Path("name".into()),
                Part::Literal(", ".into()),
                Part::Path("a.b".into()),
                Part::Literal("!".into()),
            ]
        );
    }

    #[test]
    fn rejects_unclosed_and_empty_placeholders() {
        assert!(
            parse("Hi {{name")
                .unwrap_err()
                .to_string()
                .contains("unclosed")
        );
        assert!(
            parse("Hi {{ }}")
                .unwrap_err()
                .to_string()
                .contains("empty placeholder")
        );
    }
}
