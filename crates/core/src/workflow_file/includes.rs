//! Workflows that include others: a `workflow` node's `file`, a `map` node's `workflow`.
//!
//! An included file is read when the including workflow is loaded, relative to the
//! including file, and its definition replaces the reference in the node's configuration
//! (the `file` stays, to say where it came from). So a stored run's definition needs no file
//! to resume, and includes that form a cycle are refused at load time, naming the files.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::graph::workflow::Workflow;

/// Where the workflow being loaded lives: the folder its includes are relative to, and the
/// files that include it, outermost first (to find cycles).
#[derive(Debug, Clone, Default)]
pub(crate) struct Includes {
    base: PathBuf,
    /// (the path as the including files named it, the canonical path)
    stack: Vec<(String, PathBuf)>,
}

impl Includes {
    /// The includes of the workflow read from `file` (a path, or only a name for text that
    /// came from elsewhere: then includes are relative to the working directory).
    pub(crate) fn of_file(file: &str) -> Includes {
        let path = Path::new(file);
        Includes {
            base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            stack: path
                .canonicalize()
                .ok()
                .map(|canonical| vec![(file.to_owned(), canonical)])
                .unwrap_or_default(),
        }
    }

    /// Reads the files a node of `kind` includes into its configuration.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidNodeConfig`] naming the key: a file that cannot be read or built, or
    /// a cycle of includes.
    pub(crate) fn resolve(&self, kind: &str, config: &mut Value) -> Result<()> {
        let Value::Object(config) = config else {
            return Ok(());
        };
        match kind {
            "workflow" => self.inline(kind, "file", config),
            "map" => match config.get_mut("workflow") {
                Some(reference @ Value::String(_)) => {
                    let Value::String(file) = reference.take() else {
                        unreachable!("matched a string")
                    };
                    let mut inline = Map::new();
                    inline.insert("file".to_owned(), Value::String(file));
                    *reference = Value::Object(inline);
                    let Some(Value::Object(inline)) = config.get_mut("workflow") else {
                        unreachable!("just set")
                    };
                    self.inline(kind, "workflow", inline)
                }
                Some(Value::Object(inline)) => self.inline(kind, "workflow", inline),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// Replaces the `file` of `config` (a sub-workflow's configuration, under `key` of the
    /// node's) with the file's workflow, unless it is inline already.
    fn inline(&self, kind: &str, key: &str, config: &mut Map<String, Value>) -> Result<()> {
        if config.contains_key("nodes") {
            return Ok(());
        }
        let Some(Value::String(file)) = config.get("file") else {
            return Ok(());
        };
        let invalid = |message: String| Error::InvalidNodeConfig {
            kind: kind.to_owned(),
            key: Some(key.to_owned()),
            message,
        };
        let path = self.base.join(file);
        let shown = path.display().to_string();
        let canonical = path
            .canonicalize()
            .map_err(|e| invalid(format!("cannot read the included workflow `{shown}`: {e}")))?;
        if let Some(first) = self.stack.iter().position(|(_, c)| *c == canonical) {
            let mut names: Vec<&str> = self.stack[first..]
                .iter()
                .map(|(n, _)| n.as_str())
                .collect();
            names.push(&shown);
            return Err(invalid(format!(
                "workflows include each other in a cycle: {}",
                names.join(" → ")
            )));
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| invalid(format!("cannot read the included workflow `{shown}`: {e}")))?;
        let mut includes = Includes {
            base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            stack: self.stack.clone(),
        };
        includes.stack.push((shown.clone(), canonical));
        let workflow = Workflow::from_toml_with(&shown, &text, includes)
            .map_err(|e| invalid(format!("in the included workflow: {e}")))?;
        let def = workflow
            .to_def()
            .map_err(|e| invalid(format!("in the included workflow `{shown}`: {e}")))?;
        if !config.contains_key("name") {
            config.insert("name".to_owned(), Value::String(workflow.name().to_owned()));
        }
        if let (Some(max_steps), false) = (def.max_steps, config.contains_key("max_steps")) {
            config.insert("max_steps".to_owned(), max_steps.into());
        }
        if !def.input.is_empty() && !config.contains_key("input") {
            config.insert("input".to_owned(), Value::Object(def.input));
        }
        let nodes = serde_json::to_value(&def.nodes)
            .map_err(|e| invalid(format!("in the included workflow `{shown}`: {e}")))?;
        config.insert("nodes".to_owned(), nodes);
        Ok(())
    }
}

/// The workflow in `file`, for a node made in code: relative to the working directory.
pub(crate) fn load_from_code(file: &str) -> Result<Workflow> {
    Workflow::from_toml_file(file)
}

/// A file's stem, the default name of the workflow in it.
pub(crate) fn stem(file: &str) -> String {
    Path::new(file).file_stem().map_or_else(
        || "workflow".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    )
}
