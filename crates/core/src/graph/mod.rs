//! The workflow graph: nodes and their edges, the builder and its checks, the plan the
//! scheduler follows, the fingerprint that ties a checkpoint to its workflow, and drawings.

pub(crate) mod fingerprint;
pub(crate) mod id_index;
pub(crate) mod kept_config;
pub(crate) mod plan;
mod render;
pub(crate) mod validate;
pub(crate) mod workflow;
