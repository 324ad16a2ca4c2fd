//! Not public API. Used by generated code.

/// Not public API. Used by generated code.
pub use async_trait::async_trait;
/// Not public API. Used by generated code.
pub use inventory;
/// Not public API. Used by generated code.
pub use linkme;

/// Not public API. Used by generated code.
pub use serde;
/// Not public API. Used by generated code.
pub use serde_json::Value;

/// Not public API. Used by generated code.
pub use crate::backend::{Backend, BackendType, FactoryOutput};
/// Not public API. Used by generated code.
pub use crate::builtin::NoConfig;
/// Not public API. Used by generated code.
pub use crate::capabilities::Capabilities;
/// Not public API. Used by generated code.
pub use crate::context::NodeContext;
/// Not public API. Used by generated code.
pub use crate::error::BoxError;
/// Not public API. Used by generated code.
pub use crate::error::Result;
/// Not public API. Used by generated code.
pub use crate::graph::workflow::NodeSpec;
/// Not public API. Used by generated code.
pub use crate::node::Node;
/// Not public API. Used by generated code.
pub use crate::node_id::NodeId;
/// Not public API. Used by generated code.
pub use crate::node_registry::{NODE_KINDS, NodeKind, NodeKindRegistration, RegisteredKind};
/// Not public API. Used by generated code.
pub use crate::registry::{
    BackendRegistration, RegistrationSite, WorkspaceBackend, deserialize_config,
};
/// Not public API. Used by generated code.
pub use crate::result::NodeResult;
/// Not public API. Used by generated code.
pub use crate::store_registry::{StoreRegistration, WorkspaceStore};
/// Not public API. Used by generated code.
pub use crate::typed::private as typed;

/// Not public API. Used by generated code: calls a `#[backend]` factory with its typed
/// configuration deserialized from `config`.
pub fn call_factory<C, R>(
    name: &'static str,
    config: Value,
    factory: fn(C) -> R,
) -> Result<Box<dyn Backend>>
where
    C: crate::backend::BackendConfig,
    R: FactoryOutput,
{
    let config = deserialize_config::<C>(name, config)?;
    factory(config).into_backend(name)
}

/// Not public API. Used by the registry benchmark: gathers and checks the registrations as
/// the first registry call does, and returns how many there are (0 on a duplicate).
pub fn rebuild_backend_table() -> usize {
    crate::registry::build_table_len()
}
