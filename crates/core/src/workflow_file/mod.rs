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

mod fast;
pub(crate) mod includes;
mod locate;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub(crate) use crate::diagnostics::FileProblem;
use crate::error::{Error, Result};
use crate::graph::validate::Problem;
use crate::graph::workflow::{NodeSpec, Workflow};
use crate::node_registry::NodeRegistry;
use includes::Includes;
use locate::{Source, key_on_line, unknown_field};

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

impl WorkflowDef {
    /// Reads a workflow from TOML `text`; `file` names it in errors.
    ///
    /// # Errors
    ///
    /// [`Error::WorkflowFile`] with line and column, and the node and key where known:
    /// malformed TOML, unknown keys, values of the wrong type.
    pub fn parse(file: &str, text: &str) -> Result<Self> {
        if let Some(def) = fast::read(text) {
            return Ok(def);
        }
        Self::parse_with_toml(file, text)
    }

    /// As [`parse`](Self::parse), by the `toml` crate alone: for what the one-pass reader
    /// does not take, and for the errors it reports.
    fn parse_with_toml(file: &str, text: &str) -> Result<Self> {
        let def = toml::from_str::<WorkflowDef>(text).map_err(|e| {
            let source = Source::new(file, text);
            let offset = e.span().map_or(0, |span| span.start);
            let node = source.node_id_at(offset);
            let key = unknown_field(e.message()).or_else(|| key_on_line(text, offset));
            let message = e.message().trim().to_owned();
            source.error(vec![source.problem(offset, node, key.as_deref(), message)])
        })?;
        def.refuse_non_finite(file, text)?;
        Ok(def)
    }

    /// TOML has no null: a null in the definition was a `nan` or `inf` float, which JSON
    /// values cannot hold. Refused, located, rather than read as null.
    fn refuse_non_finite(&self, file: &str, text: &str) -> Result<()> {
        let message = "`nan` and `inf` are not allowed: values are JSON, which has no such numbers";
        if let Some(key) = null_path(&self.input) {
            let key = format!("input.{key}");
            let source = Source::new(file, text);
            let offset = text.find("[input]").unwrap_or(0);
            return Err(source.error(vec![source.problem(offset, None, Some(&key), message)]));
        }
        for (index, node) in self.nodes.iter().enumerate() {
            if let Some(key) = null_path(&node.config) {
                let key = format!("config.{key}");
                let source = Source::new(file, text);
                let offset = source.key_offset(index, Some("config"));
                let problem = source.problem(offset, Some(&node.id), Some(&key), message);
                return Err(source.error(vec![problem]));
            }
        }
        Ok(())
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
        let mut made = Made::with_capacity(self.nodes.len(), Includes::of_file(file));
        for entry in &self.nodes {
            made.add(entry.clone());
        }
        self.assemble(file, text, made)
    }

    /// As [`build`](Self::build), with the nodes already made from the entries. The text is
    /// read again only when there are problems to locate.
    fn assemble(&self, file: &str, text: &str, made: Made) -> Result<Workflow> {
        let Made {
            nodes, failed, ids, ..
        } = made;
        let mut builder = Workflow::builder(self.name.clone().unwrap_or_else(|| stem(file)));
        if let Some(max_steps) = self.max_steps {
            builder = builder.max_steps(max_steps);
        }
        for (key, value) in &self.input {
            builder = builder.input(key.clone(), value.clone());
        }
        builder = builder.with_nodes(nodes);
        if !failed.is_empty() {
            let source = Source::new(file, text);
            let problems = failed
                .into_iter()
                .map(|(i, error)| node_problem(&ids, &source, i, error))
                .collect();
            return Err(source.error(problems));
        }
        builder.build().map_err(|error| match error {
            Error::InvalidWorkflow(graph) => {
                let source = Source::new(file, text);
                let located = graph
                    .iter()
                    .map(|problem| locate(&ids, &source, problem))
                    .collect();
                source.error(located)
            }
            other => other,
        })
    }
}

/// Why node `index` could not be made, with the line of the key it is about; `ids` are the
/// entries' ids, in order.
fn node_problem(ids: &[String], source: &Source<'_>, index: usize, error: Error) -> FileProblem {
    let id = ids.get(index).map(String::as_str);
    match error {
        error @ (Error::UnknownNodeKind { .. } | Error::DuplicateNodeKind { .. }) => source
            .problem(
                source.key_offset(index, Some("kind")),
                id,
                Some("kind"),
                error.to_string(),
            ),
        Error::InvalidNodeConfig { key, message, .. } => {
            let key = key.map(|k| format!("config.{k}"));
            let first = key.as_deref().and_then(|k| k.split('.').nth(1));
            let offset = source.key_offset(index, first.or(Some("config")));
            source.problem(
                offset,
                id,
                Some(key.as_deref().unwrap_or("config")),
                message,
            )
        }
        other => source.problem(source.key_offset(index, None), id, None, other.to_string()),
    }
}

/// A graph problem with the line of the node and key it is about; `entry_ids` are the
/// entries' ids, in order.
fn locate(entry_ids: &[String], source: &Source<'_>, problem: &Problem) -> FileProblem {
    let position = |id: &str| entry_ids.iter().position(|n| n == id);
    let last_position = |id: &str| entry_ids.iter().rposition(|n| n == id);
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

/// The nodes made from a file's entries, the entries that could not be made, and every
/// entry's id, which locates problems.
struct Made {
    nodes: Vec<NodeSpec>,
    failed: Vec<(usize, Error)>,
    ids: Vec<String>,
    /// Where the files that nodes include are.
    includes: Includes,
}

impl Made {
    fn with_capacity(entries: usize, includes: Includes) -> Made {
        Made {
            nodes: Vec::with_capacity(entries),
            failed: Vec::new(),
            ids: Vec::with_capacity(entries),
            includes,
        }
    }

    /// Makes the node of the next entry.
    fn add(&mut self, mut entry: NodeDef) {
        match entry.make_node(&self.includes) {
            Ok(node) => self.nodes.push(node),
            Err(error) => self.failed.push((self.ids.len(), error)),
        }
        self.ids.push(entry.id);
    }
}

impl NodeDef {
    /// The node this entry describes, made from its registered kind. Its configuration and
    /// edges move into the node; the entry keeps its id and kind, which locate problems.
    fn make_node(&mut self, includes: &Includes) -> Result<NodeSpec> {
        let mut config = Value::Object(std::mem::take(&mut self.config));
        includes.resolve(&self.kind, &mut config)?;
        let mut spec = NodeSpec::from_kind(self.id.as_str(), &self.kind, config)?;
        for next in std::mem::take(&mut self.next) {
            spec = spec.next(next);
        }
        for (key, target) in std::mem::take(&mut self.routes) {
            spec = spec.route(key, target);
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

use includes::stem;

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
        Self::from_toml_with(file, text, Includes::of_file(file))
    }

    /// As [`from_toml`](Self::from_toml), with the includes of the file it was read from.
    pub(crate) fn from_toml_with(file: &str, text: &str, includes: Includes) -> Result<Workflow> {
        // Each node is made as soon as its entry is read. So the entries' configurations,
        // which take more memory than the nodes made of them, are never all held at once.
        // Room for as many nodes as the text has `[[` (a header, or an array of arrays).
        let entries = memchr::memmem::find_iter(text.as_bytes(), "[[").count();
        let mut made = Made::with_capacity(entries, includes.clone());
        let def = match fast::read_with(text, |entry| {
            made.add(entry);
            None
        }) {
            Some(def) => def,
            None => {
                let mut def = WorkflowDef::parse_with_toml(file, text)?;
                made = Made::with_capacity(def.nodes.len(), includes);
                for entry in std::mem::take(&mut def.nodes) {
                    made.add(entry);
                }
                def
            }
        };
        def.assemble(file, text, made)
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

/// The dotted path of the first null in `map`, if any.
fn null_path(map: &Map<String, Value>) -> Option<String> {
    map.iter()
        .find_map(|(key, value)| null_in(value).map(|rest| format!("{key}{rest}")))
}

/// Where a null is inside `value`, as a path suffix (`""` for `value` itself).
fn null_in(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some(String::new()),
        Value::Object(map) => null_path(map).map(|path| format!(".{path}")),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| null_in(item).map(|rest| format!("[{i}]{rest}"))),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
