//! The link-time backend registry.
//!
//! Every `#[backend("name")]` in a linked crate submits one [`BackendRegistration`] through
//! `inventory`. The first registry call gathers them into a sorted, immutable table; the only
//! process-wide state that changes afterwards is the default selection.

use std::fmt;
use std::sync::{OnceLock, PoisonError, RwLock};

use rustc_hash::FxHashMap;
use serde::Serialize;
use serde_json::Value;

use crate::backend::{Backend, BackendConfig, BackendType};
use crate::capabilities::{Capabilities, Capability};
use crate::config::{EngineOptions, EnvConfig, is_empty_config};
use crate::error::{Error, Result};
use crate::layers::{CacheLayer, EngineLayer, Layer};

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

    /// The backend's default configuration, as JSON: its own keys and the engine keys every
    /// backend accepts, with their defaults (`null` where the engine decides).
    pub fn default_config(&self) -> Value {
        let mut config = (self.default_config)();
        if let (Value::Object(map), Ok(Value::Object(engine))) =
            (&mut config, serde_json::to_value(EngineOptions::default()))
        {
            for (key, value) in engine {
                map.entry(key).or_insert(value);
            }
        }
        config
    }

    /// Makes an instance from `config` (`()` for the defaults).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] naming the offending key.
    ///
    /// The engine keys of [`EngineOptions`] (`max_workers`, `timeout`, `max_retries`, `debug`,
    /// `enable_caching`) are taken out first and honoured for every backend; the rest is the
    /// backend's own typed configuration.
    pub fn create(&self, config: impl Serialize) -> Result<Box<dyn Backend>> {
        if is_empty_config(&config) {
            // No keys: the defaults, without building a value to find nothing in it.
            return (self.constructor)(self.name, Value::Null);
        }
        let mut value = serde_json::to_value(config)
            .map_err(|e| Error::invalid_config(self.name, None, e.to_string()))?;
        let engine = EngineOptions::split_from(self.name, &mut value)?;
        let mut backend = (self.constructor)(self.name, value)?;
        if engine.enable_caching == Some(true) {
            backend = CacheLayer.layer(backend);
        }
        if !engine.is_empty() {
            backend = EngineLayer(engine).layer(backend);
        }
        Ok(backend)
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

/// Deserializes a backend's typed configuration from `value`; `null` and an empty object mean
/// the defaults.
///
/// # Errors
///
/// [`Error::InvalidConfig`] naming `backend` and the dotted path of the offending key.
pub fn deserialize_config<C: BackendConfig>(backend: &str, value: Value) -> Result<C> {
    if value.is_null() || value.as_object().is_some_and(serde_json::Map::is_empty) {
        return Ok(C::default());
    }
    // The common case first; the path of an offending key is worked out only on failure.
    if let Ok(config) = C::deserialize(&value) {
        return Ok(config);
    }
    serde_path_to_error::deserialize(&value).map_err(|e| {
        let path = e.path().to_string();
        let key = (path != ".").then_some(path);
        Error::invalid_config(backend, key.as_deref(), e.into_inner().to_string())
    })
}

fn default_config<C: BackendConfig>() -> Value {
    serde_json::to_value(C::default()).unwrap_or(Value::Null)
}

/// The registry as gathered at first use: registrations sorted by name, and an index.
struct Table {
    entries: Vec<&'static BackendRegistration>,
    names: Vec<&'static str>,
    /// Lookup by name; FxHash, since names are few, short and not attacker-chosen.
    by_name: FxHashMap<&'static str, &'static BackendRegistration>,
}

/// A name registered more than once, kept to rebuild the error on every call.
pub(crate) struct Duplicate {
    pub(crate) name: &'static str,
    pub(crate) sites: Vec<RegistrationSite>,
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

/// Sorts registrations by name (then site) and refuses a name that appears twice: the one
/// rule both registries, of backends and of node kinds, follow.
pub(crate) fn sorted_unique<T: ?Sized>(
    mut entries: Vec<&'static T>,
    key: impl Fn(&T) -> (&'static str, RegistrationSite),
) -> Result<Vec<&'static T>, Duplicate> {
    entries.sort_by_key(|r| key(r));
    if let Some(pair) = entries.windows(2).find(|w| key(w[0]).0 == key(w[1]).0) {
        let name = key(pair[0]).0;
        let sites = entries
            .iter()
            .map(|r| key(r))
            .filter(|(n, _)| *n == name)
            .map(|(_, site)| site)
            .collect();
        return Err(Duplicate { name, sites });
    }
    Ok(entries)
}

fn table() -> Result<&'static Table> {
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
        |r| (r.name, r.site),
    )?;
    let names = entries.iter().map(|r| r.name).collect();
    let by_name = entries.iter().map(|r| (r.name, *r)).collect();
    Ok(Table {
        entries,
        names,
        by_name,
    })
}

impl Table {
    fn get(&self, name: &str) -> Option<&'static BackendRegistration> {
        self.by_name.get(name).copied()
    }

    fn lookup(&self, name: &str) -> Result<&'static BackendRegistration> {
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

/// The linked name closest to `name`, when it is close enough to be a likely typo.
pub(crate) fn suggest(name: &str, names: &[&'static str]) -> Option<&'static str> {
    names
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), *candidate))
        .filter(|&(distance, candidate)| distance <= candidate.len().max(name.len()).div_ceil(3))
        .min()
        .map(|(_, candidate)| candidate)
}

/// The process-wide default selection.
struct Selection {
    name: Option<&'static str>,
    config: Value,
}

static DEFAULT: RwLock<Selection> = RwLock::new(Selection {
    name: None,
    config: Value::Null,
});

/// What [`BackendRegistry::configure_default`] sets: which backend
/// [`get_default`](BackendRegistry::get_default) makes, and with what configuration.
///
/// ```
/// use nadoo_flow_core::DefaultConfig;
/// use serde_json::json;
///
/// let config = DefaultConfig::new("native").with_config(json!({ "max_workers": 4 }));
/// assert_eq!(config.backend.as_deref(), Some("native"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct DefaultConfig {
    /// The backend's name; `None` keeps the registry's choice (`native`, or the only one).
    pub backend: Option<String>,
    /// Its configuration: engine options and the backend's own keys; `null` for defaults.
    pub config: Value,
}

impl DefaultConfig {
    /// The default backend `backend` with its default configuration.
    pub fn new(backend: impl Into<String>) -> Self {
        DefaultConfig {
            backend: Some(backend.into()),
            config: Value::Null,
        }
    }

    /// This default with `config`.
    #[must_use]
    pub fn with_config(mut self, config: Value) -> Self {
        self.config = config;
        self
    }

    /// What the environment says: `NADOO_BACKEND`, `NADOO_DEBUG`, `NADOO_MAX_WORKERS` (the
    /// seed's `BackendConfig.from_env()`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] naming the variable and its value.
    pub fn from_env() -> Result<Self> {
        Ok(Self::from_env_config(EnvConfig::from_env()?))
    }

    /// The default an [`EnvConfig`] describes.
    pub fn from_env_config(env: EnvConfig) -> Self {
        let config = match serde_json::to_value(&env.engine) {
            Ok(Value::Object(map)) => {
                Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
            }
            _ => Value::Null,
        };
        DefaultConfig {
            backend: env.backend,
            config,
        }
    }
}

/// What a job needs of a backend, for [`BackendRegistry::select`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Requirements {
    /// Runs on other machines.
    pub distributed: bool,
    /// Emits events while running.
    pub streaming: bool,
    /// Runs independent nodes at the same time.
    pub parallel: bool,
    /// Keeps handed-out work when a worker dies.
    pub durable: bool,
    /// Schedules nodes on GPUs.
    pub gpu: bool,
}

impl Requirements {
    /// Nothing required.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires a distributed backend.
    #[must_use]
    pub fn distributed(mut self) -> Self {
        self.distributed = true;
        self
    }

    /// Requires streaming.
    #[must_use]
    pub fn streaming(mut self) -> Self {
        self.streaming = true;
        self
    }

    /// Requires parallel execution.
    #[must_use]
    pub fn parallel(mut self) -> Self {
        self.parallel = true;
        self
    }

    /// Requires durability.
    #[must_use]
    pub fn durable(mut self) -> Self {
        self.durable = true;
        self
    }

    /// Requires GPUs.
    #[must_use]
    pub fn gpu(mut self) -> Self {
        self.gpu = true;
        self
    }

    /// The required capabilities.
    pub fn capabilities(&self) -> Vec<Capability> {
        [
            (self.distributed, Capability::Distributed),
            (self.streaming, Capability::Streaming),
            (self.parallel, Capability::Parallel),
            (self.durable, Capability::Durable),
            (self.gpu, Capability::Gpu),
        ]
        .into_iter()
        .filter_map(|(required, capability)| required.then_some(capability))
        .collect()
    }
}

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
        DEFAULT.write().unwrap_or_else(PoisonError::into_inner).name = Some(registration.name);
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
            Some(name) => Some(table.lookup(name)?.name),
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
            .find(|r| r.capabilities.has_all(required))
            .map(|r| r.name))
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
                .is_some_and(|r| r.capabilities.has_all(&required))
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
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["native", "nats"];
        assert_eq!(suggest("nativ", &names), Some("native"));
        assert_eq!(suggest("nast", &names), Some("nats"));
        assert_eq!(suggest("kubernetes", &names), None);
    }

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
