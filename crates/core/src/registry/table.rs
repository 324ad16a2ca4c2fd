//! The table of registrations gathered at first use, and the rules it keeps: sorted names,
//! no name twice, suggestions for a name not found.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use super::registration::{BackendRegistration, WorkspaceBackend};
use crate::error::{Error, Result};
use crate::link_rules::{Duplicate, sorted_unique, suggest};

/// The registry as gathered at first use: registrations sorted by name, and an index.
pub(super) struct Table {
    pub(super) entries: Vec<&'static BackendRegistration>,
    pub(super) names: Vec<&'static str>,
    /// Lookup by name; FxHash, since names are few, short and not attacker-chosen.
    by_name: FxHashMap<&'static str, &'static BackendRegistration>,
}

impl Duplicate {
    /// The error every backend registry call returns while the duplicate is linked.
    #[cold]
    #[inline(never)]
    fn error(&self) -> Error {
        Error::DuplicateBackend {
            name: self.name,
            sites: self.sites.clone(),
        }
    }
}

pub(super) fn table() -> Result<&'static Table> {
    static TABLE: OnceLock<Result<Table, Duplicate>> = OnceLock::new();
    match TABLE.get_or_init(build_table) {
        Ok(table) => Ok(table),
        Err(d) => Err(d.error()),
    }
}

/// How many registrations a fresh build of the table finds (for the registry benchmark).
pub(crate) fn build_table_len() -> usize {
    build_table().map_or(0, |table| table.entries.len())
}

fn build_table() -> Result<Table, Duplicate> {
    let entries = sorted_unique(
        inventory::iter::<BackendRegistration>.into_iter().collect(),
        |r| (r.name(), r.site()),
    )?;
    let names = entries.iter().map(|r| r.name()).collect();
    let by_name = entries.iter().map(|r| (r.name(), *r)).collect();
    Ok(Table {
        entries,
        names,
        by_name,
    })
}

impl Table {
    pub(super) fn get(&self, name: &str) -> Option<&'static BackendRegistration> {
        self.by_name.get(name).copied()
    }

    pub(super) fn lookup(&self, name: &str) -> Result<&'static BackendRegistration> {
        self.get(name).ok_or_else(|| self.not_found(name))
    }

    // Out of line: it keeps the lookup that succeeds small.
    #[cold]
    #[inline(never)]
    fn not_found(&self, name: &str) -> Error {
        if let Some(known) = inventory::iter::<WorkspaceBackend>
            .into_iter()
            .find(|w| w.name == name)
        {
            return Error::BackendNotCompiled {
                name: name.to_owned(),
                feature: known.feature,
            };
        }
        Error::UnknownBackend {
            name: name.to_owned(),
            available: self.names.clone(),
            suggestion: suggest(name, &self.names),
        }
    }
}
