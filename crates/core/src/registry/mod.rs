//! The link-time backend registry.
//!
//! Every `#[backend("name")]` in a linked crate submits one [`BackendRegistration`] through
//! `inventory`. The first registry call gathers them into a sorted, immutable table; the only
//! process-wide state that changes afterwards is the default selection.

mod empty_config;
mod pool;
mod registration;
mod selection;
mod table;

pub use self::registration::{
    BackendRegistration, RegistrationSite, WorkspaceBackend, deserialize_config,
};
pub use self::selection::{DefaultConfig, Requirements};
pub(crate) use self::table::build_table_len;

use std::sync::PoisonError;

use serde::Serialize;

use crate::backend::Backend;
use crate::capabilities::Capability;
use crate::error::{Error, Result};
use crate::scheduler::EngineOptions;

use self::selection::DEFAULT;
use self::table::table;

/// The registry of linked backends. Every operation is an associated function: there is one
/// registry per program, gathered at link time.
///
/// ```
/// use nadoo_flow_core::BackendRegistry;
///
/// // Which backends exist depends on what the program links.
/// for name in BackendRegistry::list_available()? {
///     let info = BackendRegistry::info(name)?;
///     println!("{name} {} from {}: {}", info.version(), info.crate_name(), info.capabilities());
/// }
/// # Ok::<(), nadoo_flow_core::Error>(())
/// ```
///
/// Every call returns [`Error::DuplicateBackend`] while two linked crates register one name.
#[derive(Debug, Clone, Copy)]
pub struct BackendRegistry;

impl BackendRegistry {
    /// The names of the linked backends, sorted.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateBackend`] when a name is registered twice.
    pub fn list_available() -> Result<&'static [&'static str]> {
        Ok(&table()?.names)
    }

    /// Whether a backend named `name` is linked.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateBackend`] when a name is registered twice.
    pub fn is_available(name: &str) -> Result<bool> {
        Ok(table()?.get(name).is_some())
    }

    /// Every registration, sorted by name.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateBackend`] when a name is registered twice.
    pub fn registrations() -> Result<&'static [&'static BackendRegistration]> {
        Ok(&table()?.entries)
    }

    /// The registration of `name`: crate, version, site, description, capabilities.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownBackend`] or [`Error::BackendNotCompiled`] when it is not linked.
    pub fn info(name: &str) -> Result<&'static BackendRegistration> {
        table()?.lookup(name)
    }

    /// A new instance of backend `name` made from `config`: anything serializable into the
    /// backend's typed configuration (a `serde_json::json!` object, a `toml::Table`, the
    /// typed config itself), or `()` for the defaults.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownBackend`] (with the available names and a suggestion),
    /// [`Error::BackendNotCompiled`] (with the feature to enable), or
    /// [`Error::InvalidConfig`] (with the offending key).
    pub fn create(name: &str, config: impl Serialize) -> Result<Box<dyn Backend>> {
        table()?.lookup(name)?.create(config)
    }

    /// The name of the default backend: the one chosen with [`set_default`](Self::set_default),
    /// else `native` when linked, else the only linked backend.
    ///
    /// # Errors
    ///
    /// [`Error::NoBackendLinked`], or [`Error::NoDefaultBackend`] when several are linked and
    /// none is `native`.
    pub fn default_name() -> Result<&'static str> {
        let table = table()?;
        let chosen = DEFAULT.read().unwrap_or_else(PoisonError::into_inner).name;
        if let Some(name) = chosen {
            return Ok(name);
        }
        if table.get("native").is_some() {
            return Ok("native");
        }
        match table.names[..] {
            [] => Err(Error::NoBackendLinked),
            [only] => Ok(only),
            _ => Err(Error::NoDefaultBackend {
                available: table.names.clone(),
            }),
        }
    }

    /// A new instance of the default backend, with the configuration set by
    /// [`configure_default`](Self::configure_default) (default: its default configuration).
    ///
    /// # Errors
    ///
    /// As [`default_name`](Self::default_name) and [`create`](Self::create).
    pub fn get_default() -> Result<Box<dyn Backend>> {
        let name = Self::default_name()?;
        let config = DEFAULT
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .config
            .clone();
        Self::create(name, config)
    }

    /// Makes `name` the process-wide default backend; the default configuration stays.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownBackend`] or [`Error::BackendNotCompiled`]; the default is then left
    /// unchanged.
    pub fn set_default(name: &str) -> Result<()> {
        let registration = table()?.lookup(name)?;
        DEFAULT.write().unwrap_or_else(PoisonError::into_inner).name = Some(registration.name());
        Ok(())
    }

    /// Sets the process-wide default backend and its configuration (the seed's
    /// `configure_default`). The name and the engine options are checked now; the backend's
    /// own keys when [`get_default`](Self::get_default) makes it.
    ///
    /// ```
    /// use nadoo_flow_core::{BackendRegistry, DefaultConfig};
    /// # fn main() -> nadoo_flow_core::Result<()> {
    /// # use nadoo_flow_native as _;
    /// BackendRegistry::configure_default(
    ///     DefaultConfig::new("native").with_config(serde_json::json!({ "max_workers": 4 })),
    /// )?;
    /// assert_eq!(BackendRegistry::get_default()?.execution_options().max_workers.get(), 4);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::UnknownBackend`], [`Error::BackendNotCompiled`] or [`Error::InvalidConfig`];
    /// the default is then left unchanged.
    pub fn configure_default(default: DefaultConfig) -> Result<()> {
        let table = table()?;
        let name = match &default.backend {
            Some(name) => Some(table.lookup(name)?.name()),
            None => None,
        };
        let checked = name.map_or("default", |n| n);
        EngineOptions::split_from(checked, &mut default.config.clone())?;
        let mut selection = DEFAULT.write().unwrap_or_else(PoisonError::into_inner);
        if name.is_some() {
            selection.name = name;
        }
        selection.config = default.config;
        Ok(())
    }

    /// The first linked backend (by name) that has every capability in `required`.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateBackend`] when a name is registered twice.
    pub fn find_by_capabilities(required: &[Capability]) -> Result<Option<&'static str>> {
        Ok(table()?
            .entries
            .iter()
            .find(|r| r.capabilities().has_all(required))
            .map(|r| r.name()))
    }

    /// The backend to use for a job with `requirements`, by the seed's strategy, and
    /// deterministic: a distributed job gets the first linked backend (by name) that is
    /// distributed and meets the rest; other jobs get the default backend when it meets them,
    /// else the first that does; when none does, the default.
    ///
    /// # Errors
    ///
    /// As [`default_name`](Self::default_name).
    pub fn select(requirements: &Requirements) -> Result<&'static str> {
        let required = requirements.capabilities();
        let default = Self::default_name();
        if !requirements.distributed
            && let Ok(name) = default
            && table()?
                .get(name)
                .is_some_and(|r| r.capabilities().has_all(&required))
        {
            return Ok(name);
        }
        match Self::find_by_capabilities(&required)? {
            Some(name) => Ok(name),
            None => default,
        }
    }

    /// The registration of `name`, if its crate's version meets the semver `requirement`
    /// (`">=1.0"`, `"^0.1"`).
    ///
    /// ```
    /// use nadoo_flow_core::BackendRegistry;
    /// # fn main() -> nadoo_flow_core::Result<()> {
    /// # use nadoo_flow_native as _;
    /// assert!(BackendRegistry::require("native", ">=0.1").is_ok());
    /// let err = BackendRegistry::require("native", ">=1.0").unwrap_err();
    /// assert!(err.to_string().contains("does not meet the requirement `>=1.0`"));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::IncompatibleVersion`], [`Error::InvalidVersionRequirement`], and as
    /// [`info`](Self::info).
    pub fn require(name: &str, requirement: &str) -> Result<&'static BackendRegistration> {
        let parsed = semver::VersionReq::parse(requirement).map_err(|e| {
            Error::InvalidVersionRequirement {
                requirement: requirement.to_owned(),
                message: e.to_string(),
            }
        })?;
        let registration = Self::info(name)?;
        let version = semver::Version::parse(registration.version()).map_err(|e| {
            Error::InvalidVersionRequirement {
                requirement: requirement.to_owned(),
                message: format!(
                    "backend `{name}` has version `{}`, which is not semver: {e}",
                    registration.version()
                ),
            }
        })?;
        if parsed.matches(&version) {
            Ok(registration)
        } else {
            Err(Error::IncompatibleVersion {
                name: name.to_owned(),
                crate_name: registration.crate_name(),
                version: registration.version(),
                requirement: requirement.to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// A configuration whose `port` has no serde default, though the type has a `Default`.
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        port: u16,
    }

    impl Default for Strict {
        fn default() -> Self {
            Strict { port: 4222 }
        }
    }

    #[test]
    fn null_and_an_empty_object_mean_the_defaults() {
        for empty in [Value::Null, serde_json::json!({})] {
            let config: Strict = deserialize_config("b", empty).expect("defaults");
            assert_eq!(config, Strict::default());
        }
        let given: Strict = deserialize_config("b", serde_json::json!({"port": 1})).expect("ok");
        assert_eq!(given.port, 1);
        let err = deserialize_config::<Strict>("b", serde_json::json!({"prt": 1})).unwrap_err();
        assert!(err.to_string().contains("unknown field `prt`"), "{err}");
    }
}
