//! Choosing a backend: the process-wide default, and requirements a backend must meet.

use std::sync::RwLock;

use serde_json::Value;

use crate::capabilities::Capability;

/// The process-wide default selection.
pub(super) struct Selection {
    pub(super) name: Option<&'static str>,
    pub(super) config: Value,
}

pub(super) static DEFAULT: RwLock<Selection> = RwLock::new(Selection {
    name: None,
    config: Value::Null,
});

/// What [`BackendRegistry::configure_default`](crate::BackendRegistry::configure_default)
/// sets: which backend [`get_default`](crate::BackendRegistry::get_default) makes, and with
/// what configuration.
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
}

/// What a job needs of a backend, for [`BackendRegistry::select`](crate::BackendRegistry::select).
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
