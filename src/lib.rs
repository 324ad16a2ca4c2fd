//! **A workflow engine whose execution backends form a compile-time plugin registry.**
//!
//! Define a workflow once; run it in-process while you develop and on a cluster in
//! production by changing one name. Backends register themselves with
//! [`#[backend("name")]`](backend) and are linked in by this crate's Cargo features; programs
//! pick one by name at run time.
//!
//! # Feature flags
//!
//! | feature | enables | default |
//! |---|---|---|
//! | `native` | [`nadoo-flow-native`](backends::native): runs workflows in-process on tokio | ✔ |
//! | `nats` | [`nadoo-flow-nats`](backends::nats): runs node executions on NATS JetStream workers | |
//! | `sqlite` | [`nadoo-flow-store-sqlite`](stores::sqlite): keeps durable runs in an SQLite file (`sqlite://PATH`) | ✔ |
//!
//! Each enabled backend appears in [`BackendRegistry::list_available`]; asking for a backend
//! of this workspace whose feature is off gives [`Error::BackendNotCompiled`], which names the
//! feature to enable.
//!
//! # Quickstart
//!
//! ```
//! use nadoo_flow::{
//!     async_trait, BackendRegistry, BoxError, Node, NodeContext, NodeResult, NodeSpec,
//!     Workflow, WorkflowContext, WorkflowStatus,
//! };
//! use serde_json::json;
//!
//! #[derive(Debug)]
//! struct Greet;
//!
//! #[async_trait]
//! impl Node for Greet {
//!     async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
//!         let name = ctx.input.lookup("name").and_then(|v| v.as_str()).unwrap_or("world");
//!         Ok(NodeResult::ok(json!({ "greeting": format!("hello, {name}") })))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), nadoo_flow::Error> {
//! # // Built without the `native` feature, there is no default backend to run on.
//! # if !nadoo_flow::BackendRegistry::is_available("native")? { return Ok(()); }
//! let workflow = Workflow::builder("hello")
//!     .node(NodeSpec::start("start").next("greet"))
//!     .node(NodeSpec::new("greet", Greet).next("end"))
//!     .node(NodeSpec::end("end"))
//!     .build()?;
//!
//! let backend = BackendRegistry::get_default()?; // `native` unless chosen otherwise
//! let run = backend
//!     .execute_workflow(&workflow, WorkflowContext::new().with_input(json!({ "name": "rust" })))
//!     .await?;
//! assert_eq!(run.status, WorkflowStatus::Success);
//! assert_eq!(run.output("greet"), Some(&json!({ "greeting": "hello, rust" })));
//! # Ok(())
//! # }
//! ```
//!
//! # Streaming events
//!
//! [`Backend::run_stream`] runs a workflow as a stream of [`RunEvent`]s, each carrying the
//! run id, then gives its result; nodes send events of their own with [`NodeContext::emit`].
//! `examples/streaming.rs` in the repository consumes one.
//!
//! # Writing a backend
//!
//! A backend crate depends on `nadoo-flow-core` (or on this crate), implements
//! [`Backend`] and [`BackendType`] for a type, and annotates it with `#[backend("name")]`.
//! See [`BackendType`] for a complete example. The program that wants it names the crate once
//! (`use my_backend as _;`) so that rustc links it.
//!
//! # FAQ
//!
//! **Why link-time registration?** The set of backends is decided by what you compile in:
//! no start-up code to call, nothing to forget, nothing registered twice by accident. A test
//! binary can register its own mock backend by annotating a type, and no other binary sees it.
//!
//! **Why is my backend missing from `list_available`?** rustc links only crates that are
//! named somewhere in the program. A dependency that is never mentioned is dropped together
//! with its registration. Name it once: `use my_backend as _;`. This crate does so for every
//! backend feature it enables.
//!
//! **What if two versions of `nadoo-flow-core` end up in one build?** They would keep two
//! registries and each backend would see only one of them. `nadoo-flow-core` sets Cargo's
//! `links` key, so such a build fails at dependency resolution instead of running wrongly.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), deny(unused_crate_dependencies))]

pub use nadoo_flow_core::*;

#[doc(hidden)]
pub use nadoo_flow_core::__private;

/// The backend crates of this workspace, by registered name.
///
/// This is the only list of backends kept by hand. For each entry it declares the crate as
/// linked when its feature is on, and registers the name → feature pair that lets the registry
/// answer "enable Cargo feature `x`" for a backend that is known but not compiled in.
macro_rules! workspace_backends {
    ($($module:ident: $name:literal => $krate:ident),* $(,)?) => {
        /// The backend crates enabled by this build's features.
        pub mod backends {
            $(
                #[cfg(feature = $name)]
                #[cfg_attr(docsrs, doc(cfg(feature = $name)))]
                #[doc = concat!("The `", $name, "` backend.")]
                pub use ::$krate as $module;
            )*
        }
        $(
            $crate::__private::inventory::submit! {
                $crate::__private::WorkspaceBackend::new($name, $name)
            }
        )*
    };
}

workspace_backends! {
    native: "native" => nadoo_flow_native,
    nats: "nats" => nadoo_flow_nats,
}

/// The run store crates enabled by this build's features.
pub mod stores {
    /// The `sqlite` run store.
    #[cfg(feature = "sqlite")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
    pub use ::nadoo_flow_store_sqlite as sqlite;
}

// A known store whose feature is off says which feature to enable.
nadoo_flow_core::__private::inventory::submit! {
    nadoo_flow_core::__private::WorkspaceStore::new("sqlite", "sqlite")
}
nadoo_flow_core::__private::inventory::submit! {
    nadoo_flow_core::__private::WorkspaceStore::new("nats", "nats")
}
