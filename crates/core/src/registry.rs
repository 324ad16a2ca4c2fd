//! The link-time backend registry.
//!
//! Every `#[backend("name")]` in a linked crate submits one [`BackendRegistration`] through
//! `inventory`. The first registry call gathers them into a sorted, immutable table; the only
//! process-wide state that changes afterwards is the default selection.

use std::fmt;
use std::sync::{OnceLock, PoisonError, RwLock};

use serde::Serialize;
use serde_json::Value;

use crate::backend::{Backend, BackendConfig, BackendType};
use crate::capabilities::{Capabilities, Capability};
use crate::error::{Error, Result};

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

/// Makes a backend instance from its registered name and a configuration value.
type Constructor = fn(&'static str, Value) -> Result<Box<dyn Backend>>;

/// One backend registered with `#[backend("name")]`, as the registry lists it.
#[derive(Clone, Copy)]
pub struct BackendRegistration {
    name: &'static str,
    site: RegistrationSite,
    description: &'static str,
    capabilities: Capabilities,
    constructor: Constructor,
    default_config: fn() -> Value,
}

impl BackendRegistration {
    /// The registration of backend type `T` under `name` (used by `#[backend]` on a struct).
    #[doc(hidden)]
    pub const fn of<T: BackendType>(
        name: &'static str,
        site: RegistrationSite,
        description: &'static str,
    ) -> Self {
        BackendRegistration {
            name,
            site,
            description,
            capabilities: T::CAPABILITIES,
            constructor: construct::<T>,
            default_config: default_config::<T::Config>,
        }
    }

    /// The registration of a factory (used by `#[backend]` on a function).
    #[doc(hidden)]
    pub const fn factory<C: BackendConfig>(
        name: &'static str,
        site: RegistrationSite,
        description: &'static str,
        capabilities: Capabilities,
        constructor: Constructor,
    ) -> Self {
        BackendRegistration {
            name,
            site,
            description,
            capabilities,
            constructor,
            default_config: default_config::<C>,
        }
    }

    /// The registered name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The registering crate's package name.
    pub fn crate_name(&self) -> &'static str {
        self.site.crate_name
    }

    /// The registering crate's version.
    pub fn version(&self) -> &'static str {
        self.site.crate_version
    }

    /// Where the registration was written.
    pub fn site(&self) -> RegistrationSite {
        self.site
    }

    /// The first line of the annotated item's documentation.
    pub fn description(&self) -> &'static str {
        self.description
    }

    /// What the backend can do.
    pub fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    /// The backend's default configuration, as JSON: its keys, their types and defaults.
    pub fn default_config(&self) -> Value {
        (self.default_config)()
    }

    /// Makes an instance from `config` (`()` for the defaults).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] naming the offending key.
    pub fn create(&self, config: impl Serialize) -> Result<Box<dyn Backend>> {
        let value = serde_json::to_value(config)
            .map_err(|e| Error::invalid_config(self.name, None, e.to_string()))?;
        (self.constructor)(self.name, value)
    }
}

impl fmt::Debug for BackendRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendRegistration")
            .field("name", &self.name)
            .field("site", &self.site)
            .field("description", &self.description)
            .field("capabilities", &self.capabilities)
            .finish_non_exhaustive()
    }
}

impl Serialize for BackendRegistration {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("BackendRegistration", 7)?;
        s.serialize_field("name", self.name)?;
        s.serialize_field("version", self.site.crate_version)?;
        s.serialize_field("crate", self.site.crate_name)?;
        let flags: Vec<&str> = self.capabilities.iter().map(Capability::as_str).collect();
        s.serialize_field("capabilities", &flags)?;
        s.serialize_field("max_concurrency", &self.capabilities.max_concurrency())?;
        s.serialize_field("description", self.description)?;
        s.serialize_field("config", &self.default_config())?;
        s.end()
    }
}

inventory::collect!(BackendRegistration);

/// A backend that ships with this workspace, registered by the `nadoo-flow` facade whether or
/// not its feature is on, so that asking for a known but disabled backend says which feature
/// to enable.
#[doc(hidden)]
#[derive(Debug)]
pub struct WorkspaceBackend {
    name: &'static str,
    feature: &'static str,
}

impl WorkspaceBackend {
    /// Not public API. Used by the facade's table of workspace backends.
    pub const fn new(name: &'static str, feature: &'static str) -> Self {
        WorkspaceBackend { name, feature }
    }
}

inventory::collect!(WorkspaceBackend);

fn construct<T: BackendType>(name: &'static str, config: Value) -> Result<Box<dyn Backend>> {
    let config = deserialize_config::<T::Config>(name, config)?;
    Ok(Box::new(T::from_config(config)?))
}

/// Deserializes a backend's typed configuration from `value`; `null` means the defaults.
///
/// # Errors
///
/// [`Error::InvalidConfig`] naming `backend` and the dotted path of the offending key.
pub fn deserialize_config<C: BackendConfig>(backend: &str, value: Value) -> Result<C> {
    if value.is_null() {
        return Ok(C::default());
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let key = (path != ".").then_some(path);
        Error::invalid_config(backend, key.as_deref(), e.into_inner().to_string())
    })
}

fn default_config<C: BackendConfig>() -> Value {
    serde_json::to_value(C::default()).unwrap_or(Value::Null)
}

/// The registry as gathered at first use: registrations sorted by name.
struct Table {
    entries: Vec<&'static BackendRegistration>,
    names: Vec<&'static str>,
}

/// A name registered more than once, kept to rebuild the error on every call.
struct Duplicate {
    name: &'static str,
    sites: Vec<RegistrationSite>,
}

fn table() -> Result<&'static Table> {
    static TABLE: OnceLock<Result<Table, Duplicate>> = OnceLock::new();
    match TABLE.get_or_init(build_table) {
        Ok(table) => Ok(table),
        Err(d) => Err(Error::DuplicateBackend {
            name: d.name,
            sites: d.sites.clone(),
        }),
    }
}

fn build_table() -> Result<Table, Duplicate> {
    let mut entries: Vec<&'static BackendRegistration> =
        inventory::iter::<BackendRegistration>.into_iter().collect();
    entries.sort_by_key(|r| (r.name, r.site));
    if let Some(pair) = entries.windows(2).find(|w| w[0].name == w[1].name) {
        let name = pair[0].name;
        let sites = entries
            .iter()
            .filter(|r| r.name == name)
            .map(|r| r.site)
            .collect();
        return Err(Duplicate { name, sites });
    }
    let names = entries.iter().map(|r| r.name).collect();
    Ok(Table { entries, names })
}

impl Table {
    fn get(&self, name: &str) -> Option<&'static BackendRegistration> {
        self.entries
            .binary_search_by(|r| r.name.cmp(name))
            .ok()
            .map(|i| self.entries[i])
    }

    fn lookup(&self, name: &str) -> Result<&'static BackendRegistration> {
        self.get(name).ok_or_else(|| self.not_found(name))
    }

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

/// The linked name closest to `name`, when it is close enough to be a likely typo.
pub(crate) fn suggest(name: &str, names: &[&'static str]) -> Option<&'static str> {
    names
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), *candidate))
        .filter(|&(distance, candidate)| distance <= candidate.len().max(name.len()).div_ceil(3))
        .min()
        .map(|(_, candidate)| candidate)
}

static DEFAULT: RwLock<Option<&'static str>> = RwLock::new(None);

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
        let chosen = *DEFAULT.read().unwrap_or_else(PoisonError::into_inner);
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

    /// A new instance of the default backend with its default configuration.
    ///
    /// # Errors
    ///
    /// As [`default_name`](Self::default_name) and [`create`](Self::create).
    pub fn get_default() -> Result<Box<dyn Backend>> {
        Self::create(Self::default_name()?, ())
    }

    /// Makes `name` the process-wide default backend.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownBackend`] or [`Error::BackendNotCompiled`]; the default is then left
    /// unchanged.
    pub fn set_default(name: &str) -> Result<()> {
        let registration = table()?.lookup(name)?;
        *DEFAULT.write().unwrap_or_else(PoisonError::into_inner) = Some(registration.name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["native", "nats"];
        assert_eq!(suggest("nativ", &names), Some("native"));
        assert_eq!(suggest("nast", &names), Some("nats"));
        assert_eq!(suggest("kubernetes", &names), None);
    }
}
