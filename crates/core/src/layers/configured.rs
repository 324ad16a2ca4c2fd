//! The engine options of a backend's configuration, applied over the backend.

use super::{Layer, LayeredBackend};
use crate::backend::Backend;
use crate::scheduler::EngineOptions;
use crate::scheduler::{ExecutionOptions, RunOptions};

/// A backend made with engine options in its configuration.
#[derive(Debug)]
pub(crate) struct Configured {
    inner: Box<dyn Backend>,
    engine: EngineOptions,
}

impl Configured {
    pub(crate) fn new(inner: Box<dyn Backend>, engine: EngineOptions) -> Self {
        Configured { inner, engine }
    }
}

/// The [`Layer`] that applies the engine options of a backend's configuration over it: the
/// registry adds it when a configuration sets any.
#[derive(Debug, Clone)]
pub(crate) struct EngineLayer(pub(crate) EngineOptions);

impl Layer for EngineLayer {
    fn layer(&self, inner: Box<dyn Backend>) -> Box<dyn Backend> {
        Box::new(Configured::new(inner, self.0.clone()))
    }
}

impl LayeredBackend for Configured {
    const WRAPS_NODES: bool = false;

    fn inner(&self) -> &dyn Backend {
        self.inner.as_ref()
    }

    fn run_options(&self, mut options: RunOptions) -> RunOptions {
        options.engine = options.engine.or(self.engine.clone());
        options
    }

    fn execution_options(&self) -> ExecutionOptions {
        self.engine.apply(self.inner.execution_options())
    }
}
