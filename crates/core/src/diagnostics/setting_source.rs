//! Where a setting came from, for error messages.

use std::fmt;

use serde::Serialize;

/// The source of a setting: a line of a configuration file, or an environment variable and
/// its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SettingSource {
    /// A line of a configuration file.
    File {
        /// The file, as given.
        file: String,
        /// The line, from 1.
        line: usize,
    },
    /// An environment variable.
    Env {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
}

impl fmt::Display for SettingSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingSource::File { file, line } => write!(f, "{file}:{line}"),
            SettingSource::Env { var, value } => write!(f, "{var}={value:?}"),
        }
    }
}
