//! The link-time registry of node kinds.
//!
//! Every `#[node("kind")]` in a linked crate places one [`NodeKindRegistration`] in a `linkme`
//! distributed slice: the linker gathers them into one array, with no start-up code at all.
//! The TOML loader and remote workers find node code here by kind name.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::deserialize::from_value;
use crate::diagnostics::RegistrationSite;
use crate::error::{BoxError, Error, Result};
use crate::link_rules::{Duplicate, sorted_unique, suggest};
use crate::node::Node;

/// A node type that can be made by kind name from a configuration value.
///
/// Implement it next to [`Node`] for a type annotated with [`#[node("kind")]`](crate::node).
///
/// ```
/// use nadoo_flow_core::{async_trait, node, BoxError, Node, NodeContext, NodeKind, NodeResult, NodeRegistry};
/// use serde::Deserialize;
/// use serde_json::json;
///
/// /// Adds a fixed number to the global `n`.
/// #[node("add")]
/// #[derive(Debug)]
/// pub struct Add { by: i64 }
///
/// /// Configuration of [`Add`].
/// #[derive(Debug, Deserialize)]
/// #[serde(deny_unknown_fields)]
/// pub struct AddConfig {
///     /// How much to add.
///     by: i64,
/// }
///
/// impl NodeKind for Add {
///     type Config = AddConfig;
///     fn from_config(config: AddConfig) -> Result<Self, BoxError> {
///         Ok(Add { by: config.by })
///     }
/// }
///
/// #[async_trait]
/// impl Node for Add {
///     async fn execute(&self, ctx: &NodeContext) -> Result<NodeResult, BoxError> {
///         let n = ctx.input.lookup("n").and_then(|v| v.as_i64()).unwrap_or(0);
///         Ok(NodeResult::ok(json!({ "n": n + self.by })))
///     }
/// }
///
/// let node = nadoo_flow_core::NodeSpec::from_kind("plus-two", "add", json!({ "by": 2 }))?;
/// assert_eq!(node.kind(), "add");
/// let err = NodeRegistry::create("add", json!({ "by": 2, "times": 3 })).unwrap_err();
/// assert!(err.to_string().contains("unknown field `times`"));
/// # Ok::<(), nadoo_flow_core::Error>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is registered with #[node] but does not implement `NodeKind`",
    label = "implement `Node` and `NodeKind` for this type",
    note = "`NodeKind` says how the registry makes `{Self}` from its typed configuration"
)]
pub trait NodeKind: Node + Sized {
    /// The typed configuration; deny unknown fields so that typos are errors.
    type Config: DeserializeOwned;

    /// Makes the node from its configuration.
    fn from_config(config: Self::Config) -> Result<Self, BoxError>;
}

/// The kind name a node type is registered under: `#[node("kind")]` implements it, on a
/// type and on a function alike, so that code can name a kind by its type
/// ([`NodeSpec::of`](crate::NodeSpec::of)) and the node records the name remote workers
/// know it by.
///
/// On an `async fn`, `#[node("kind")]` keeps the function and adds a type of the same name
/// (in the type namespace) whose `spec` makes a node of the kind. The input is read from the
/// node's input (globals and predecessors' outputs, by id), the optional second argument is
/// the node's configuration, and the output becomes the node's output; an output that is not
/// an object is kept under `"value"`, and `()` is `{}`.
///
/// ```
/// use std::sync::Arc;
/// use nadoo_flow_core::{node, NodeContext, NodeInput, NodeSpec, RegisteredKind, builtin::Template};
/// use serde::{Deserialize, Serialize};
/// use serde_json::json;
///
/// #[derive(Deserialize)]
/// struct Text { text: String }
///
/// #[derive(Clone, Deserialize, Serialize)]
/// struct Shortest { min_len: usize }
///
/// /// Counts the words of `text` with at least `min_len` characters.
/// #[node("doc-word-count")]
/// async fn word_count(input: Text, config: Shortest) -> Result<usize, String> {
///     Ok(input.text.split_whitespace().filter(|w| w.len() >= config.min_len).count())
/// }
///
/// assert_eq!(word_count::KIND, "doc-word-count");
/// assert_eq!(Template::KIND, "template");
///
/// let count = word_count::spec("count", Shortest { min_len: 3 })?;
/// assert_eq!(count.kind(), "doc-word-count");
/// assert_eq!(count.config(), &json!({ "min_len": 3 }));
///
/// let globals = json!({ "text": "a node in one function" });
/// let input = NodeInput::new(Arc::new(globals.as_object().cloned().unwrap_or_default()));
/// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// let result = runtime.block_on(count.execute(&NodeContext::new("count", input)));
/// assert_eq!(result.output(), &json!({ "value": 3 }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait RegisteredKind {
    /// The kind name, as given to `#[node("...")]`.
    const KIND: &'static str;
}

/// Makes a node from its registered kind name and a configuration value.
type Constructor = fn(&'static str, &Value) -> Result<Arc<dyn Node>>;

/// One node kind registered with `#[node("kind")]`.
#[derive(Clone, Copy)]
pub struct NodeKindRegistration {
    name: &'static str,
    site: RegistrationSite,
    description: &'static str,
    constructor: Constructor,
}

impl NodeKindRegistration {
    /// The registration of node type `T` under `name` (used by `#[node]`).
    #[doc(hidden)]
    pub const fn of<T: NodeKind>(
        name: &'static str,
        site: RegistrationSite,
        description: &'static str,
    ) -> Self {
        NodeKindRegistration {
            name,
            site,
            description,
            constructor: construct::<T>,
        }
    }

    /// The kind name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Where the registration was written.
    pub fn site(&self) -> RegistrationSite {
        self.site
    }

    /// The first line of the annotated type's documentation.
    pub fn description(&self) -> &'static str {
        self.description
    }

    /// Makes a node of this kind from `config` (`()` or `null` for an empty configuration).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidNodeConfig`] naming the kind and the offending key.
    pub fn create(&self, config: impl Serialize) -> Result<Arc<dyn Node>> {
        let value = serde_json::to_value(config).map_err(|e| Error::InvalidNodeConfig {
            kind: self.name.to_owned(),
            key: None,
            message: e.to_string(),
        })?;
        (self.constructor)(self.name, &value)
    }

    /// A new node of this kind from `config`, a JSON value (an object, or `null` for the
    /// defaults), read in place: unlike [`create`](Self::create), nothing is copied first.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidNodeConfig`] naming the kind and the offending key.
    pub fn create_from_value(&self, config: &Value) -> Result<Arc<dyn Node>> {
        (self.constructor)(self.name, config)
    }
}

impl fmt::Debug for NodeKindRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeKindRegistration")
            .field("name", &self.name)
            .field("site", &self.site)
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

/// Every node kind linked into the program, in no particular order.
#[doc(hidden)]
#[allow(
    unsafe_code,
    reason = "linkme declares the slice's bounds with #[link_section]"
)]
#[linkme::distributed_slice]
pub static NODE_KINDS: [NodeKindRegistration];

fn construct<T: NodeKind>(kind: &'static str, config: &Value) -> Result<Arc<dyn Node>> {
    static EMPTY: std::sync::LazyLock<Value> =
        std::sync::LazyLock::new(|| Value::Object(Map::new()));
    let config = if config.is_null() { &*EMPTY } else { config };
    let config: T::Config = from_value(config).map_err(|e| Error::InvalidNodeConfig {
        kind: kind.to_owned(),
        key: e.key,
        message: e.message,
    })?;
    let node = T::from_config(config).map_err(|e| Error::InvalidNodeConfig {
        kind: kind.to_owned(),
        key: None,
        message: e.to_string(),
    })?;
    Ok(Arc::new(node))
}

struct Table {
    entries: Vec<&'static NodeKindRegistration>,
    names: Vec<&'static str>,
}

fn table() -> Result<&'static Table> {
    static TABLE: OnceLock<Result<Table, Duplicate>> = OnceLock::new();
    let built = TABLE.get_or_init(|| {
        let entries = sorted_unique(NODE_KINDS.iter().collect(), |r| (r.name, r.site))?;
        let names = entries.iter().map(|r| r.name).collect();
        Ok(Table { entries, names })
    });
    match built {
        Ok(table) => Ok(table),
        Err(d) => Err(Error::DuplicateNodeKind {
            kind: d.name,
            sites: d.sites.clone(),
        }),
    }
}

/// The registry of linked node kinds. Like [`BackendRegistry`](crate::BackendRegistry), it is
/// gathered at link time and never changes.
///
/// ```
/// use nadoo_flow_core::NodeRegistry;
///
/// let kinds = NodeRegistry::list_available()?;
/// for builtin in ["end", "fail", "interrupt", "map", "route", "set", "sleep", "start", "template", "workflow"] {
///     assert!(kinds.contains(&builtin));
/// }
/// let err = NodeRegistry::info("templte").unwrap_err();
/// assert!(err.to_string().contains("did you mean `template`?"));
/// # Ok::<(), nadoo_flow_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct NodeRegistry;

impl NodeRegistry {
    /// The names of the linked node kinds, sorted.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateNodeKind`] when a kind is registered twice.
    pub fn list_available() -> Result<&'static [&'static str]> {
        Ok(&table()?.names)
    }

    /// Whether a node kind named `kind` is linked.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateNodeKind`] when a kind is registered twice.
    pub fn is_available(kind: &str) -> Result<bool> {
        Ok(table()?.names.binary_search(&kind).is_ok())
    }

    /// Every registration, sorted by kind name.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateNodeKind`] when a kind is registered twice.
    pub fn registrations() -> Result<&'static [&'static NodeKindRegistration]> {
        Ok(&table()?.entries)
    }

    /// The registration of `kind`.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownNodeKind`] with the available kinds and the closest name.
    pub fn info(kind: &str) -> Result<&'static NodeKindRegistration> {
        let table = table()?;
        match table.names.binary_search(&kind) {
            Ok(i) => Ok(table.entries[i]),
            Err(_) => Err(Error::UnknownNodeKind {
                kind: kind.to_owned(),
                available: table.names.clone(),
                suggestion: suggest(kind, &table.names),
            }),
        }
    }

    /// A node of `kind` made from `config`.
    ///
    /// # Errors
    ///
    /// As [`info`](Self::info), and [`Error::InvalidNodeConfig`].
    pub fn create(kind: &str, config: impl Serialize) -> Result<Arc<dyn Node>> {
        Self::info(kind)?.create(config)
    }
}
