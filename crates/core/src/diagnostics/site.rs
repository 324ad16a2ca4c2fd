//! Where a link-time registration was written.

use std::fmt;

use serde::Serialize;

/// Where a registration was written: crate, version, module, file and line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RegistrationSite {
    /// The registering crate's package name.
    pub crate_name: &'static str,
    /// The registering crate's version.
    pub crate_version: &'static str,
    /// The module that holds the annotated item.
    pub module_path: &'static str,
    /// The source file, relative to its package.
    pub file: &'static str,
    /// The line of the annotation.
    pub line: u32,
}

impl fmt::Display for RegistrationSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "crate {} {} at {}:{}",
            self.crate_name, self.crate_version, self.file, self.line
        )
    }
}
