//! Resolving which backend to run and how, from every source, by precedence.

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::env::EnvConfig;
use super::file::ConfigFile;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::registry::BackendRegistry;
use crate::scheduler::EngineOptions;
use crate::secrets::{redact, redact_map};

/// What the program says explicitly (API call or CLI flag): the highest precedence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Explicit {
    /// The backend name (`--backend`).
    pub backend: Option<String>,
    /// The path of a `nadoo.toml` (`--config`).
    pub config_path: Option<PathBuf>,
    /// Engine options.
    pub engine: EngineOptions,
    /// The run store's URL (`--store`), or `none`.
    pub store: Option<String>,
}

impl Explicit {
    /// Nothing explicit.
    pub fn new() -> Self {
        Self::default()
    }

    /// Run on `backend`.
    #[must_use]
    pub fn backend(mut self, backend: impl Into<String>) -> Self {
        self.backend = Some(backend.into());
        self
    }

    /// Read this `nadoo.toml`.
    #[must_use]
    pub fn config_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_path = Some(path.into());
        self
    }

    /// These engine options.
    #[must_use]
    pub fn engine(mut self, engine: EngineOptions) -> Self {
        self.engine = engine;
        self
    }

    /// Keep runs in the store at `url` (`none`: keep nothing).
    #[must_use]
    pub fn store(mut self, url: impl Into<String>) -> Self {
        self.store = Some(url.into());
        self
    }
}

/// The variable that names the run store's URL.
pub const NADOO_STORE: &str = "NADOO_STORE";

/// The backend to run and its configuration, resolved from every source with the precedence
/// explicit > environment > file > defaults.
///
/// - backend name: `--backend`, then `NADOO_BACKEND`, then `[registry] default`, then the
///   registry's default (`native`, or the only linked backend);
/// - engine options, key by key: explicit, then `NADOO_DEBUG` / `NADOO_MAX_WORKERS`, then
///   `[execution]`;
/// - the file: `--config`, then `NADOO_CONFIG`; none is fine;
/// - the backend's own settings: `[backends.<name>]`;
/// - the run store's URL: explicit, then `NADOO_STORE`, then `[store] url`; none is fine (a
///   program decides its default; the CLI's is an SQLite file).
///
/// ```
/// use nadoo_flow_core::{Explicit, Settings};
///
/// let env = |var: &str| (var == "NADOO_MAX_WORKERS").then(|| "8".to_owned());
/// let settings = Settings::resolve_with(Explicit::new().backend("native"), env)?;
/// assert_eq!(settings.backend, "native");
/// assert_eq!(settings.engine.max_workers.map(|n| n.get()), Some(8));
/// # Ok::<(), nadoo_flow_core::Error>(())
/// ```
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Settings {
    /// The backend to run on.
    pub backend: String,
    /// Where the backend name came from (`--backend`, `NADOO_BACKEND`, a file, `default`).
    pub backend_source: String,
    /// The engine options, merged.
    pub engine: EngineOptions,
    /// The backend's own settings from the file.
    pub backend_config: Map<String, Value>,
    /// The run store's URL, if any source names one (`none` means: keep nothing).
    pub store: Option<String>,
    file: Option<ConfigFile>,
}

/// Secret values (passwords, tokens, keys, at any depth) are shown as `"<redacted>"`, and
/// credentials inside URLs as `***`.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = redact_map(&self.backend_config);
        f.debug_struct("Settings")
            .field("backend", &self.backend)
            .field("backend_source", &self.backend_source)
            .field("engine", &self.engine)
            .field("backend_config", &redacted)
            .field("store", &self.store.as_deref().map(redact))
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Resolves settings from `explicit`, the process environment and the file they name.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] naming the file and line or the variable; [`Error::ReadFile`].
    pub fn resolve(explicit: Explicit) -> Result<Self> {
        Self::resolve_with(explicit, |var| std::env::var(var).ok())
    }

    /// [`resolve`](Self::resolve) with the environment read through `lookup`.
    ///
    /// # Errors
    ///
    /// As [`resolve`](Self::resolve).
    pub fn resolve_with(
        explicit: Explicit,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let env_store = lookup(NADOO_STORE).filter(|url| !url.is_empty());
        let env = EnvConfig::from_lookup(lookup)?;
        let file = match explicit.config_path.as_ref().or(env.config_path.as_ref()) {
            Some(path) => Some(ConfigFile::read(path)?),
            None => None,
        };
        let file_default = file.as_ref().and_then(|f| f.registry.default.clone());
        let (backend, backend_source) = match (explicit.backend, env.backend, file_default) {
            (Some(name), _, _) => (name, "explicit".to_owned()),
            (None, Some(name), _) => (name, super::env::NADOO_BACKEND.to_owned()),
            (None, None, Some(name)) => (name, "[registry] default".to_owned()),
            (None, None, None) => (
                BackendRegistry::default_name()?.to_owned(),
                "default".to_owned(),
            ),
        };
        let file_engine = file
            .as_ref()
            .map(|f| f.execution.clone())
            .unwrap_or_default();
        let engine = explicit.engine.or(env.engine).or(file_engine);
        let backend_config = file
            .as_ref()
            .and_then(|f| f.backends.get(&backend))
            .map(|table| match serde_json::to_value(table) {
                Ok(Value::Object(map)) => map,
                _ => Map::new(),
            })
            .unwrap_or_default();
        let store = explicit
            .store
            .or(env_store)
            .or_else(|| file.as_ref().and_then(|f| f.store.url.clone()));
        Ok(Settings {
            backend,
            backend_source,
            engine,
            backend_config,
            store,
            file,
        })
    }

    /// The run store's URL alone, by the same precedence as [`resolve`](Self::resolve)
    /// (explicit, `NADOO_STORE`, `[store] url`), for a program that needs no backend, such as
    /// one that only lists runs.
    ///
    /// ```
    /// use nadoo_flow_core::{Explicit, Settings};
    ///
    /// let env = |var: &str| (var == "NADOO_STORE").then(|| "sqlite://runs.db".to_owned());
    /// let url = Settings::resolve_store_with(Explicit::new(), env)?;
    /// assert_eq!(url.as_deref(), Some("sqlite://runs.db"));
    /// let url = Settings::resolve_store_with(Explicit::new().store("memory://"), env)?;
    /// assert_eq!(url.as_deref(), Some("memory://"));
    /// # Ok::<(), nadoo_flow_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`resolve`](Self::resolve), for the configuration file.
    pub fn resolve_store_with(
        explicit: Explicit,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<String>> {
        if let Some(url) = explicit.store {
            return Ok(Some(url));
        }
        if let Some(url) = lookup(NADOO_STORE).filter(|url| !url.is_empty()) {
            return Ok(Some(url));
        }
        let path = explicit.config_path.or_else(|| {
            lookup(super::env::NADOO_CONFIG)
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
        });
        match path {
            Some(path) => Ok(ConfigFile::read(path)?.store.url),
            None => Ok(None),
        }
    }

    /// [`resolve_store_with`](Self::resolve_store_with) on the process environment.
    ///
    /// # Errors
    ///
    /// As [`resolve`](Self::resolve), for the configuration file.
    pub fn resolve_store(explicit: Explicit) -> Result<Option<String>> {
        Self::resolve_store_with(explicit, |var| std::env::var(var).ok())
    }

    /// Makes the backend: its own settings plus the engine options.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownBackend`] or [`Error::BackendNotCompiled`]; a rejected setting of the
    /// file as [`Error::InvalidSetting`] naming file, line and key.
    pub fn create_backend(&self) -> Result<Box<dyn Backend>> {
        let mut config = Value::Object(self.backend_config.clone());
        if let (Value::Object(map), Ok(Value::Object(engine))) =
            (&mut config, serde_json::to_value(&self.engine))
        {
            map.extend(engine.into_iter().filter(|(_, v)| !v.is_null()));
        }
        BackendRegistry::create(&self.backend, config).map_err(|error| match (error, &self.file) {
            (Error::InvalidConfig { key, message, .. }, Some(file))
                if key.as_deref().is_none_or(|k| {
                    !EngineOptions::KEYS.contains(&k.split('.').next().unwrap_or(k))
                }) =>
            {
                Error::InvalidSetting {
                    origin: file.locate_backend_key(&self.backend, key.as_deref()),
                    key: Some(match key {
                        Some(key) => format!("backends.{}.{key}", self.backend),
                        None => format!("backends.{}", self.backend),
                    }),
                    message,
                }
            }
            (other, _) => other,
        })
    }
}
