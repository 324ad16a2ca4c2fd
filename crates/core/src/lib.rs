//! **Model, traits, registries and scheduler of `nadoo-flow`.**
//!
//! Most programs use the `nadoo-flow` facade crate, which re-exports everything here and links
//! the backends its Cargo features enable. Backend crates depend on this crate directly.
//!
//! # Running a workflow
//!
//! 1. Write nodes: types implementing [`Node`].
//! 2. Wire them into a [`Workflow`] with [`Workflow::builder`] and [`NodeSpec`].
//! 3. Pick a backend by name from the [`BackendRegistry`] and call
//!    [`execute_workflow`](Backend::execute_workflow).
//!
//! ```
//! use nadoo_flow_core::{
//!     async_trait, BoxError, Node, NodeContext, NodeResult, NodeSpec, Workflow, WorkflowContext,
//!     WorkflowStatus,
//! };
//! use serde_json::json;
//!
//! #[derive(Debug)]
//! struct Shout;
//!
//! #[async_trait]
//! impl Node for Shout {
//!     async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
//!         let text = ctx.input.lookup("text").and_then(|v| v.as_str()).unwrap_or_default();
//!         Ok(NodeResult::ok(json!({ "text": text.to_uppercase() })))
//!     }
//! }
//!
//! let workflow = Workflow::builder("shout")
//!     .node(NodeSpec::start("start").next("shout"))
//!     .node(NodeSpec::new("shout", Shout).next("end"))
//!     .node(NodeSpec::end("end"))
//!     .build()?;
//! # #[nadoo_flow_core::backend("doc-inline")]
//! # fn doc_inline(_: Cfg) -> Inline { Inline }
//! # #[derive(Debug, Default, serde::Serialize, serde::Deserialize)] struct Cfg {}
//! # #[derive(Debug)] struct Inline;
//! # #[async_trait]
//! # impl nadoo_flow_core::Backend for Inline {
//! #     fn name(&self) -> &str { "doc-inline" }
//! #     fn capabilities(&self) -> nadoo_flow_core::Capabilities { nadoo_flow_core::Capabilities::NONE }
//! #     async fn execute_node(&self, n: &NodeSpec, c: &NodeContext, _: &WorkflowContext)
//! #         -> nadoo_flow_core::Result<NodeResult> { Ok(n.node().execute(c).await.unwrap()) }
//! # }
//! # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # rt.block_on(async {
//! let backend = nadoo_flow_core::BackendRegistry::create("doc-inline", ())?;
//! let ctx = WorkflowContext::new().with_input(json!({ "text": "hello" }));
//! let done = backend.execute_workflow(&workflow, ctx).await?;
//! assert_eq!(done.status, WorkflowStatus::Success);
//! assert_eq!(done.output("shout"), Some(&json!({ "text": "HELLO" })));
//! # Ok::<(), nadoo_flow_core::Error>(())
//! # })?;
//! # Ok::<(), nadoo_flow_core::Error>(())
//! ```
//!
//! # Registering a backend
//!
//! Annotate a type that implements [`Backend`] and [`BackendType`] with
//! [`#[backend("name")]`](backend); see [`BackendType`] for a complete backend. The attribute
//! leaves the item as it is and adds one `inventory::submit!` of a constant registration
//! record. There is no registration call to forget.
//!
//! Names are lowercase: a letter, then letters, digits and `-`. Anything else is a compile
//! error on the name:
//!
//! ```compile_fail
//! #[nadoo_flow_core::backend("MyBackend")]
//! struct MyBackend;
//! ```
//!
//! # FAQ
//!
//! **How does registration work?** Each `#[backend]` places a static registration record in
//! the crate that declares it; `inventory` gathers the records of every crate linked into the
//! program. The first registry call sorts them into an immutable table.
//!
//! **Why is my backend missing?** rustc links only the crates a program names. A backend crate
//! that is a dependency but is never mentioned in code is not linked, and its registration is
//! not there. Name it once, for example `use my_backend_crate as _;`. The `nadoo-flow` facade
//! does this for every backend feature it enables.
//!
//! **What if two crates register the same name?** Every registry call returns
//! [`Error::DuplicateBackend`] naming both sites. Nothing is silently overridden.
//!
//! **What if two versions of this crate end up in one build?** They would hold two separate
//! registries, so the build is refused: this crate sets Cargo's `links` key, and Cargo allows
//! one package per `links` value.

#![cfg_attr(docsrs, feature(doc_cfg))]

// The attribute macros expand to `::nadoo_flow_core` paths, also inside this crate (the
// built-in node kinds).
extern crate self as nadoo_flow_core;

mod backend;
// Each built-in kind is an element of the node-kind distributed slice, which `linkme` places
// with `#[link_section]`; inside this crate that counts as unsafe code. Nothing else is.
#[allow(
    unsafe_code,
    reason = "linkme places node-kind registrations with #[link_section]"
)]
pub mod builtin;
mod capabilities;
mod checkpoint;
// The composite kinds are elements of the node-kind and composite-kind distributed slices,
// which `linkme` places with `#[link_section]`; inside this crate that counts as unsafe code.
#[allow(
    unsafe_code,
    reason = "linkme places node-kind registrations with #[link_section]"
)]
pub mod composite;
mod config;
mod context;
mod deserialize;
mod diagnostics;
mod error;
mod graph;
pub mod layers;
mod link_rules;
mod node;
mod node_id;
mod node_registry;
mod registry;
mod result;
pub mod run_store;
pub mod scheduler;
mod secrets;
mod store_registry;
mod typed;
mod workflow_file;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use async_trait::async_trait;
pub use nadoo_flow_macros::{backend, node, store};

pub use crate::backend::{Backend, BackendConfig, BackendType, FactoryOutput};
pub use crate::builtin::{EndNode, StartNode};
pub use crate::capabilities::{Capabilities, Capability};
pub use crate::config::{
    ConfigFile, EngineOptions, EnvConfig, Explicit, NADOO_BACKEND, NADOO_CONFIG, NADOO_DEBUG,
    NADOO_MAX_WORKERS, NADOO_STORE, RegistrySection, SettingSource, Settings, StoreSection,
};
pub use crate::context::NodeContexts;
pub use crate::context::{
    EventRecorder, NodeContext, NodeEvent, NodeInput, NodeStatus, Outputs, WorkflowContext,
    WorkflowStatus,
};
pub use crate::error::{BoxError, Error, Result};
pub use crate::graph::validate::Problem;
pub use crate::graph::workflow::{
    DEFAULT_MAX_STEPS, NodeRole, NodeSpec, Workflow, WorkflowBuilder,
};
pub use crate::layers::{
    BackendMetrics, BackendPool, CacheLayer, CachingBackend, ChainedBackend, Layer, MeteredBackend,
    MetricsLayer, MetricsSnapshot,
};
pub use crate::node::Node;
pub use crate::node_id::NodeId;
pub use crate::node_registry::{NodeKind, NodeKindRegistration, NodeRegistry, RegisteredKind};
pub use crate::registry::{
    BackendRegistration, BackendRegistry, DefaultConfig, RegistrationSite, Requirements,
    deserialize_config,
};
pub use crate::result::NodeResult;
pub use crate::run_store::{JournalEntry, MemoryStore, RunFilter, RunRecord, RunStore, StoredRun};
pub use crate::scheduler::{
    Checkpoint, ExecutionOptions, RunEvent, RunEventKind, RunOptions, RunStream,
};
pub use crate::secrets::{REDACTED, is_secret, redact, redact_list, redact_map, redact_value};
pub use crate::store_registry::{StoreRegistration, StoreRegistry, StoreType, StoreUrl};
pub use crate::typed::TypedNodeError;
pub use tokio_util::sync::CancellationToken;
