//! Workflows as data: the TOML format, read with every error located, and written back.
//!
//! ```toml
//! name = "review"            # optional; default: the file's stem
//! max_steps = 100            # optional; default: the number of nodes + 10 000
//!
//! [input]                    # optional default globals
//! topic = "rust"
//!
//! [[nodes]]
//! id = "start"
//! kind = "start"
//! next = ["draft"]
//!
//! [[nodes]]
//! id = "draft"
//! kind = "template"
//! config = { text = "A post about {{topic}}", output = "text" }
//! next = ["done"]
//! timeout = "2s"             # optional, per attempt
//! retries = 2                # optional
//!
//! [[nodes]]
//! id = "done"
//! kind = "end"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::node_registry::NodeRegistry;
use crate::validate::Problem;
use crate::workflow::{NodeSpec, Workflow};

/// The TOML form of a workflow. [`WorkflowDef::parse`] reads it with located errors;
/// [`WorkflowDef::build`] makes the [`Workflow`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowDef {
    /// The workflow's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The limit on node executions per run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_steps: Option<usize>,
    /// Default globals, overridden by the input a run is given.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub input: Map<String, Value>,
    /// The nodes, in file order.
    #[serde(default)]
    pub nodes: Vec<NodeDef>,
}

/// One `[[nodes]]` entry.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDef {
    /// The node's id, unique in the workflow.
    pub id: String,
    /// The registered node kind (`template`, or a kind of your own).
    pub kind: String,
    /// The kind's configuration; unknown keys are rejected by the kind.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub config: Map<String, Value>,
    /// Static successors: all of them run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next: Vec<String>,
    /// Route key → target node.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub routes: BTreeMap<String, String>,
    /// Time limit of each attempt (`"2s"`, `"500ms"`).
    #[serde(
        default,
        with = "humantime_serde",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
    /// Retries after a failed attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
}

/// One problem of a workflow file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileProblem {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// The node it is about, if any.
    pub node: Option<String>,
    /// The key it is about, if any.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.line, self.column)?;
        if let Some(node) = &self.node {
            write!(f, "node `{node}`: ")?;
        }
        if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Only where each node is in the text; every other key is ignored.
#[derive(Deserialize)]
struct NodeSpans {
    #[serde(default)]
    nodes: Vec<toml::Spanned<toml::Table>>,
}

/// The text of a workflow file and what is known of where its nodes are.
struct Source<'a> {
    file: &'a str,
    text: &'a str,
    nodes: Vec<Range<usize>>,
}

impl<'a> Source<'a> {
    fn new(file: &'a str, text: &'a str) -> Self {
        // An entry runs from where it starts to where the next one starts: the parser's span
        // of an `[[nodes]]` entry may cover only its header.
        let starts: Vec<usize> = toml::from_str::<NodeSpans>(text)
            .map(|spans| spans.nodes.iter().map(|n| n.span().start).collect())
            .unwrap_or_default();
        let nodes = starts
            .iter()
            .enumerate()
            .map(|(i, &start)| start..starts.get(i + 1).copied().unwrap_or(text.len()))
            .collect();
        Source { file, text, nodes }
    }

    /// Line and column (from 1) of byte `offset`.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rfind('\n')
            .map_or(before.len(), |nl| before.len() - nl - 1)
            + 1;
        (line, column)
    }

    /// The node whose `[[nodes]]` entry holds byte `offset`.
    fn node_at(&self, offset: usize) -> Option<usize> {
        self.nodes.iter().position(|span| span.contains(&offset))
    }

    /// Where `key = ...` is written in node `node` (the entry itself when not found).
    fn key_offset(&self, node: usize, key: Option<&str>) -> usize {
        let Some(span) = self.nodes.get(node) else {
            return 0;
        };
        let Some(key) = key else {
            return span.start;
        };
        let body = &self.text[span.clone()];
        let mut from = 0;
        while let Some(found) = body[from..].find(key) {
            let at = from + found;
            let before_ok = at == 0
                || !body[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
            let after = body[at + key.len()..].trim_start_matches([' ', '\t', '"']);
            if before_ok && after.starts_with('=') {
                return span.start + at;
            }
            from = at + key.len();
        }
        span.start
    }

    fn problem(
        &self,
        offset: usize,
        node: Option<&str>,
        key: Option<&str>,
        message: impl Into<String>,
    ) -> FileProblem {
        let (line, column) = self.line_col(offset);
        FileProblem {
            line,
            column,
            node: node.map(str::to_owned),
            key: key.map(str::to_owned),
            message: message.into(),
        }
    }

    fn error(&self, problems: Vec<FileProblem>) -> Error {
        Error::WorkflowFile {
            file: self.file.to_owned(),
            problems,
        }
    }
}

impl WorkflowDef {
    /// Reads a workflow from TOML `text`; `file` names it in errors.
    ///
    /// # Errors
    ///
    /// [`Error::WorkflowFile`] with line and column, and the node and key where known:
    /// malformed TOML, unknown keys, values of the wrong type.
    pub fn parse(file: &str, text: &str) -> Result<Self> {
        toml::from_str::<WorkflowDef>(text).map_err(|e| {
            let source = Source::new(file, text);
            let offset = e.span().map_or(0, |span| span.start);
            let node = source.node_at(offset).and_then(|i| {
                toml::from_str::<NodeSpans>(text)
                    .ok()?
                    .nodes
                    .get(i)?
                    .get_ref()
                    .get("id")?
                    .as_str()
                    .map(str::to_owned)
            });
            let key = unknown_field(e.message()).or_else(|| key_on_line(text, offset));
            let message = e.message().trim().to_owned();
            source.error(vec![source.problem(
                offset,
                node.as_deref(),
                key.as_deref(),
                message,
            )])
        })
    }

    /// Reads the workflow file at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::ReadFile`] when the file cannot be read, and as [`parse`](Self::parse).
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadFile {
            file: path.display().to_string(),
            source,
        })?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// Makes the workflow: every node from its registered kind, the graph checked.
    /// `file` and `text` locate the errors; pass the ones this definition was parsed from.
    ///
    /// # Errors
    ///
    /// [`Error::WorkflowFile`] with every problem: unknown kinds, rejected node configs,
    /// dangling `next` or `routes` targets, several start nodes, cycles in `next`, ...
    pub fn build(&self, file: &str, text: &str) -> Result<Workflow> {
        let source = Source::new(file, text);
        let mut problems = Vec::new();
        let mut builder = Workflow::builder(self.name.clone().unwrap_or_else(|| stem(file)));
        if let Some(max_steps) = self.max_steps {
            builder = builder.max_steps(max_steps);
        }
        for (key, value) in &self.input {
            builder = builder.input(key.clone(), value.clone());
        }
        for (i, def) in self.nodes.iter().enumerate() {
            match def.to_spec() {
                Ok(spec) => builder = builder.node(spec),
                Err(Error::UnknownNodeKind { .. } | Error::DuplicateNodeKind { .. }) => {
                    let message = def
                        .to_spec()
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    problems.push(source.problem(
                        source.key_offset(i, Some("kind")),
                        Some(&def.id),
                        Some("kind"),
                        message,
                    ));
                }
                Err(Error::InvalidNodeConfig { key, message, .. }) => {
                    let key = key.map(|k| format!("config.{k}"));
                    let first = key.as_deref().and_then(|k| k.split('.').nth(1));
                    let offset = source.key_offset(i, first.or(Some("config")));
                    problems.push(source.problem(
                        offset,
                        Some(&def.id),
                        Some(key.as_deref().unwrap_or("config")),
                        message,
                    ));
                }
                Err(other) => {
                    problems.push(source.problem(
                        source.key_offset(i, None),
                        Some(&def.id),
                        None,
                        other.to_string(),
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(source.error(problems));
        }
        builder.build().map_err(|error| match error {
            Error::InvalidWorkflow(graph) => {
                let located = graph
                    .iter()
                    .map(|problem| self.locate(&source, problem))
                    .collect();
                source.error(located)
            }
            other => other,
        })
    }

    /// A graph problem with the line of the node and key it is about.
    fn locate(&self, source: &Source<'_>, problem: &Problem) -> FileProblem {
        let position = |id: &str| self.nodes.iter().position(|n| n.id == id);
        let last_position = |id: &str| self.nodes.iter().rposition(|n| n.id == id);
        let (index, key) = match problem {
            Problem::DanglingEdge { node, .. } => (position(node), Some("next")),
            Problem::Cycle { path } => (path.first().and_then(|n| position(n)), Some("next")),
            Problem::DanglingRoute { node, key, .. } => (position(node), Some(key.as_str())),
            Problem::DuplicateNodeId { id } => (last_position(id), Some("id")),
            Problem::SeveralStartNodes { ids } => {
                (ids.get(1).and_then(|id| last_position(id)), Some("kind"))
            }
            Problem::UnknownKind { node, .. } => (position(node), Some("kind")),
            Problem::Unreachable { node } => (position(node), None),
            _ => (None, None),
        };
        let offset = index.map_or(0, |i| source.key_offset(i, key));
        let key = match problem {
            Problem::DanglingRoute { .. } => Some("routes"),
            _ => key,
        };
        source.problem(offset, problem.node(), key, problem.to_string())
    }
}

impl NodeDef {
    /// The node this entry describes, made from its registered kind.
    fn to_spec(&self) -> Result<NodeSpec> {
        let config = Value::Object(self.config.clone());
        let mut spec = NodeSpec::from_kind(&self.id, &self.kind, config)?;
        for next in &self.next {
            spec = spec.next(next.as_str());
        }
        for (key, target) in &self.routes {
            spec = spec.route(key.clone(), target.clone());
        }
        if let Some(timeout) = self.timeout {
            spec = spec.timeout(timeout);
        }
        if let Some(retries) = self.retries {
            spec = spec.retries(retries);
        }
        Ok(spec)
    }
}

/// The field named by serde's "unknown field `x`" message.
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest[..rest.find('`')?].to_owned())
}

/// The bare key assigned on the line that holds `offset`, as in `retries = "x"`.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let (key, _) = text[start..end].split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_owned())
}

fn stem(file: &str) -> String {
    Path::new(file).file_stem().map_or_else(
        || "workflow".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    )
}

impl Workflow {
    /// Reads and builds the workflow in TOML `text`; `file` names it in errors.
    ///
    /// ```
    /// use nadoo_flow_core::Workflow;
    ///
    /// let workflow = Workflow::from_toml("hello.toml", r#"
    ///     [[nodes]]
    ///     id = "start"
    ///     kind = "start"
    ///     next = ["greet"]
    ///
    ///     [[nodes]]
    ///     id = "greet"
    ///     kind = "template"
    ///     config = { text = "hello, {{name}}" }
    /// "#)?;
    /// assert_eq!(workflow.name(), "hello");
    /// assert_eq!(workflow.node("greet").map(|n| n.kind()), Some("template"));
    ///
    /// let err = Workflow::from_toml("typo.toml", r#"
    ///     [[nodes]]
    ///     id = "start"
    ///     kind = "strat"
    /// "#).unwrap_err();
    /// assert!(err.to_string().starts_with("typo.toml:4:5: node `start`: key `kind`: unknown node kind `strat` (did you mean `start`?)"));
    /// # Ok::<(), nadoo_flow_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::WorkflowFile`] with every problem located by line, column, node and key.
    pub fn from_toml(file: &str, text: &str) -> Result<Workflow> {
        WorkflowDef::parse(file, text)?.build(file, text)
    }

    /// Reads and builds the workflow file at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::ReadFile`], and as [`from_toml`](Self::from_toml).
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Workflow> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadFile {
            file: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&path.display().to_string(), &text)
    }

    /// The TOML form of this workflow.
    ///
    /// # Errors
    ///
    /// [`Error::NoTomlForm`] for a node made in code rather than from a registered kind.
    pub fn to_def(&self) -> Result<WorkflowDef> {
        let nodes = self
            .nodes()
            .iter()
            .map(|spec| {
                let config = match spec.config() {
                    Value::Object(map) => map.clone(),
                    Value::Null if NodeRegistry::is_available(spec.kind()).unwrap_or(false) => {
                        Map::new()
                    }
                    _ => return Err(made_in_code(spec)),
                };
                if !NodeRegistry::is_available(spec.kind())? {
                    return Err(made_in_code(spec));
                }
                Ok(NodeDef {
                    id: spec.id().to_owned(),
                    kind: spec.kind().to_owned(),
                    config,
                    next: spec.next_ids().iter().map(ToString::to_string).collect(),
                    routes: spec.routes().clone(),
                    timeout: spec.timeout_limit(),
                    retries: spec.retry_limit(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(WorkflowDef {
            name: Some(self.name().to_owned()),
            max_steps: self.max_steps_set(),
            input: self.input().clone(),
            nodes,
        })
    }

    /// This workflow written as TOML; reading it back gives the same workflow.
    ///
    /// # Errors
    ///
    /// As [`to_def`](Self::to_def), and [`Error::NoTomlForm`] for values TOML cannot hold
    /// (`null`).
    pub fn to_toml(&self) -> Result<String> {
        let def = self.to_def()?;
        toml::to_string(&def).map_err(|e| Error::NoTomlForm {
            reason: e.to_string(),
        })
    }
}

fn made_in_code(spec: &NodeSpec) -> Error {
    Error::NoTomlForm {
        reason: format!(
            "node `{}` was made in code (kind `{}`), not from a registered node kind",
            spec.id(),
            spec.kind()
        ),
    }
}
