//! The workflow graph: nodes and their edges, the builder and its checks, the plan the
//! scheduler follows, the fingerprint that ties a checkpoint to its workflow, and drawings.

// The composite kinds are elements of a distributed slice, which `linkme` declares with
// `#[link_section]`; inside this crate that counts as unsafe code.
#[allow(
    unsafe_code,
    reason = "linkme declares the composite-kind slice with #[link_section]"
)]
pub(crate) mod composite;
pub(crate) mod fingerprint;
pub(crate) mod id_index;
pub(crate) mod kept_config;
pub(crate) mod plan;
mod render;
pub(crate) mod validate;
pub(crate) mod workflow;
