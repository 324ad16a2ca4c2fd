//! **Implementation detail of `nadoo-flow`: the `#[backend("name")]`, `#[node("kind")]` and
//! `#[store("name")]` attributes.**
//!
//! Use it through `nadoo_flow::backend` or `nadoo_flow_core::backend`; the documentation
//! lives there.

mod args;
mod expand;
mod node_fn;

use proc_macro::TokenStream;

/// Registers a backend under a name: on a struct or enum that implements `Backend` and
/// `BackendType`, or on a factory function taking the backend's typed configuration.
///
/// ```text
/// /// Runs nodes in-process.
/// #[backend("inline")]
/// struct InlineBackend { /* ... */ }
///
/// /// A backend made by a factory.
/// #[backend("custom", capabilities = Capabilities::NONE.with(Capability::Async))]
/// fn custom(config: CustomConfig) -> Result<CustomBackend, MyError> { /* ... */ }
/// ```
///
/// Arguments after the name:
/// - `crate = path`: where `nadoo_flow_core` is, when it is neither a dependency nor reachable
///   through `nadoo_flow`;
/// - `capabilities = expr` (factory functions only): a constant `Capabilities`.
///
/// The item is left unchanged; one `inventory::submit!` of a constant registration is added.
#[proc_macro_attribute]
pub fn backend(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(args as args::Args);
    let item = syn::parse_macro_input!(item as syn::Item);
    expand::backend(args, item)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Registers a node kind under a name: on an `async fn`, or on a struct or enum that
/// implements `Node` and `NodeKind`. The TOML loader and remote workers make nodes of this
/// kind by name.
///
/// ```text
/// /// Counts the words of `text`.
/// #[node("word-count")]
/// async fn word_count(input: Text, config: CountConfig) -> Result<Counted, MyError> { /* ... */ }
///
/// /// Adds a number to its input.
/// #[node("add")]
/// struct Add { by: i64 }
/// ```
///
/// On a function, the input (`In: Deserialize`) is read from the node's input, the optional
/// second argument (`Cfg: Deserialize`, or `&Cfg`) is the node's configuration, an optional
/// last argument `&NodeContext` is the execution's context (to emit events), and the
/// output (`Out: Serialize`) is the node's output. The function is left unchanged; a type of
/// the same name implementing `Node`, `NodeKind` and `RegisteredKind` is added, whose
/// `spec(id)` (or `spec(id, config)`) makes a node of the kind.
///
/// On a type, the item is left unchanged and `RegisteredKind` is implemented. Either way one
/// element of a `linkme` distributed slice is added, so registration costs nothing at
/// start-up. `crate = path` says where `nadoo_flow_core` is.
#[proc_macro_attribute]
pub fn node(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(args as args::Args);
    let item = syn::parse_macro_input!(item as syn::Item);
    expand::node(args, item)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Registers a run store under a name, the scheme of its URLs: on a struct or enum that
/// implements `RunStore` and `StoreType`.
///
/// ```text
/// /// Keeps runs in a SQLite file.
/// #[store("sqlite")]
/// struct SqliteStore { /* ... */ }
/// ```
///
/// The item is left unchanged; one `inventory::submit!` of a constant registration is added.
/// `crate = path` says where `nadoo_flow_core` is.
#[proc_macro_attribute]
pub fn store(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(args as args::Args);
    let item = syn::parse_macro_input!(item as syn::Item);
    expand::store(args, item)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
