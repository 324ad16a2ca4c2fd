//! Pools made by name: the registry makes each member.

use std::num::NonZeroUsize;

use serde::Serialize;

use super::BackendRegistry;
use crate::error::{Error, Result};
use crate::layers::BackendPool;

impl BackendPool {
    /// `size` instances of backend `name`, each made from `config`.
    ///
    /// # Errors
    ///
    /// As [`BackendRegistry::create`](crate::BackendRegistry::create).
    pub fn new(name: &str, size: NonZeroUsize, config: impl Serialize) -> Result<Self> {
        let config = serde_json::to_value(config)
            .map_err(|e| Error::invalid_config(name, None, e.to_string()))?;
        let members = (0..size.get())
            .map(|_| BackendRegistry::create(name, &config))
            .collect::<Result<Vec<_>>>()?;
        Self::from_backends(members)
    }
}
