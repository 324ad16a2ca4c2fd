//! `--config FILE`: the default backend, engine options and backend settings of a nadoo.toml.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::Path;
use std::time::Duration;

use nadoo_flow::RunOptions;
use serde::Deserialize;

use crate::failure::Failure;

/// The parts of a nadoo.toml the CLI reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct FileConfig {
    /// `[registry]`.
    pub(crate) registry: RegistrySection,
    /// `[execution]`: engine options every backend honours.
    pub(crate) execution: ExecutionSection,
    /// `[backends.<name>]`: each backend's typed configuration.
    pub(crate) backends: BTreeMap<String, toml::Table>,
}

/// `[registry]` of a nadoo.toml.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RegistrySection {
    /// The default backend's name.
    pub(crate) default: Option<String>,
}

/// `[execution]` of a nadoo.toml.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ExecutionSection {
    max_workers: Option<NonZeroUsize>,
    #[serde(with = "humantime_serde")]
    timeout: Option<Duration>,
    max_retries: Option<u32>,
    debug: Option<bool>,
}

impl FileConfig {
    /// Reads `path`; every error names the file (and line, for bad content).
    pub(crate) fn read(path: &Path) -> Result<Self, Failure> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Usage(format!("cannot read {shown}: {e}")))?;
        toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map_or(1, |span| text[..span.start].matches('\n').count() + 1);
            Failure::Usage(format!("{shown}:{line}: {}", e.message().trim()))
        })
    }

    /// The configuration table of backend `name`.
    pub(crate) fn backend_config(&self, name: &str) -> toml::Table {
        self.backends.get(name).cloned().unwrap_or_default()
    }

    /// `options` with the `[execution]` engine options applied.
    pub(crate) fn apply(&self, mut options: RunOptions) -> RunOptions {
        let execution = &self.execution;
        if let Some(max_workers) = execution.max_workers {
            options = options.max_workers(max_workers);
        }
        if let Some(timeout) = execution.timeout {
            options = options.timeout(timeout);
        }
        if let Some(max_retries) = execution.max_retries {
            options = options.max_retries(max_retries);
        }
        let _ = execution.debug;
        options
    }
}
