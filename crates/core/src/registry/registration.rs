//! One backend's registration: where it was written, what it offers, how it is made.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::empty_config::is_empty as is_empty_config;
use crate::backend::{Backend, BackendConfig, BackendType};
use crate::capabilities::{Capabilities, Capability};
use crate::deserialize::from_value;
pub use crate::diagnostics::RegistrationSite;
use crate::error::{Error, Result};
use crate::layers::{CacheLayer, EngineLayer, Layer};
use crate::scheduler::EngineOptions;

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
    pub(super) name: &'static str,
    pub(super) feature: &'static str,
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
    from_value(&value).map_err(|e| Error::invalid_config(backend, e.key.as_deref(), e.message))
}

fn default_config<C: BackendConfig>() -> Value {
    serde_json::to_value(C::default()).unwrap_or(Value::Null)
}
