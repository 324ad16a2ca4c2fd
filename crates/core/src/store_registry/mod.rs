//! The link-time registry of run stores: `#[store("name")]` registers a [`StoreType`], and
//! [`StoreRegistry::open`] opens a store by URL, its scheme naming the store.
//!
//! The rules are the backends': names sorted and unique among linked crates (a duplicate is
//! an error naming both sites), an unknown name gets a suggestion, and a store of this
//! workspace whose Cargo feature is off says which feature to enable. `memory://` is always
//! there; `sqlite://PATH` comes with the facade's `sqlite` feature, `nats://HOST:PORT` with
//! `nats`.
//!
//! ```
//! use nadoo_flow_core::StoreRegistry;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store = StoreRegistry::open("memory://").await?;
//! assert_eq!(store.url(), "memory://");
//! assert!(StoreRegistry::names()?.contains(&"memory"));
//!
//! let err = StoreRegistry::open("memroy://").await.unwrap_err();
//! assert!(err.to_string().starts_with("unknown run store `memroy` (did you mean `memory`?)"));
//! # Ok::<(), nadoo_flow_core::Error>(())
//! # }).unwrap();
//! ```

mod url;

use std::fmt;
use std::sync::{Arc, OnceLock};

use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use self::url::StoreUrl;
use crate::deserialize::{Invalid, from_value};
use crate::diagnostics::RegistrationSite;
use crate::error::{Error, Result};
use crate::link_rules::{Duplicate, sorted_unique, suggest};
use crate::run_store::{MemoryStore, RunStore};

/// A run store the registry can open from a URL; register it with `#[store("name")]`.
///
/// ```
/// use std::time::Duration;
/// use nadoo_flow_core::run_store::{JournalEntry, LeaseHolder, Millis, RunFilter, RunRecord, StoredRun};
/// use nadoo_flow_core::{
///     MemoryStore, Result, RunStore, StoreRegistry, StoreType, StoreUrl, WorkflowStatus,
///     async_trait, store,
/// };
///
/// /// Keeps runs in memory under a name.
/// #[store("named")]
/// #[derive(Debug)]
/// struct Named {
///     runs: MemoryStore,
///     url: String,
/// }
///
/// impl StoreType for Named {
///     type Config = ();
///     async fn open(url: StoreUrl, (): ()) -> Result<Self> {
///         Ok(Named { runs: MemoryStore::new(), url: url.redacted })
///     }
/// }
///
/// #[async_trait]
/// impl RunStore for Named {
///     fn url(&self) -> &str { &self.url }
///     async fn create(&self, r: &RunRecord) -> Result<()> { self.runs.create(r).await }
///     async fn append(&self, id: &str, e: &[JournalEntry]) -> Result<()> { self.runs.append(id, e).await }
///     async fn set_status(&self, id: &str, s: WorkflowStatus, e: Option<&str>) -> Result<()> {
///         self.runs.set_status(id, s, e).await
///     }
///     async fn get(&self, id: &str) -> Result<StoredRun> { self.runs.get(id).await }
///     async fn list(&self, f: &RunFilter) -> Result<Vec<RunRecord>> { self.runs.list(f).await }
///     async fn lease(&self, id: &str, h: &LeaseHolder, t: Duration) -> Result<()> {
///         self.runs.lease(id, h, t).await
///     }
///     async fn release(&self, id: &str, h: &LeaseHolder) -> Result<()> { self.runs.release(id, h).await }
///     async fn prune(&self, b: Millis) -> Result<usize> { self.runs.prune(b).await }
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let store = StoreRegistry::open("named://team-a").await?;
/// assert_eq!(store.url(), "named://team-a");
/// # Ok::<(), nadoo_flow_core::Error>(())
/// # }).unwrap();
/// ```
pub trait StoreType: RunStore + Sized + 'static {
    /// The store's options, read from the URL's query (`?busy_timeout_ms=5000`); unknown
    /// keys should be refused (`#[serde(deny_unknown_fields)]`).
    type Config: DeserializeOwned + Default + fmt::Debug + Send;

    /// Opens (or creates) the store the URL names.
    fn open(url: StoreUrl, config: Self::Config) -> impl Future<Output = Result<Self>> + Send;
}

/// Opens a store from its URL and configuration.
type Opener = fn(StoreUrl, Value) -> BoxFuture<'static, Result<Arc<dyn RunStore>>>;

/// One run store registered with `#[store("name")]`.
#[derive(Clone, Copy)]
pub struct StoreRegistration {
    name: &'static str,
    site: RegistrationSite,
    description: &'static str,
    opener: Opener,
}

impl StoreRegistration {
    /// The registration of store type `T` under `name` (used by `#[store]`).
    #[doc(hidden)]
    pub const fn of<T: StoreType>(
        name: &'static str,
        site: RegistrationSite,
        description: &'static str,
    ) -> Self {
        StoreRegistration {
            name,
            site,
            description,
            opener: open::<T>,
        }
    }

    /// The registered name: the scheme of its URLs.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Where the registration was written.
    pub fn site(&self) -> RegistrationSite {
        self.site
    }

    /// The first line of the store type's documentation.
    pub fn description(&self) -> &'static str {
        self.description
    }
}

impl fmt::Debug for StoreRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreRegistration")
            .field("name", &self.name)
            .field("site", &self.site)
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

impl serde::Serialize for StoreRegistration {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("StoreRegistration", 4)?;
        s.serialize_field("name", self.name)?;
        s.serialize_field("crate", self.site.crate_name)?;
        s.serialize_field("version", self.site.crate_version)?;
        s.serialize_field("description", self.description)?;
        s.end()
    }
}

inventory::collect!(StoreRegistration);

fn open<T: StoreType>(
    url: StoreUrl,
    config: Value,
) -> BoxFuture<'static, Result<Arc<dyn RunStore>>> {
    Box::pin(async move {
        let config = if config.as_object().is_some_and(Map::is_empty) {
            T::Config::default()
        } else {
            from_value::<T::Config>(&config).map_err(|Invalid { key, message }| {
                Error::InvalidStoreUrl {
                    url: url.redacted.clone(),
                    message: match key {
                        Some(key) => format!("option `{key}`: {message}"),
                        None => message,
                    },
                }
            })?
        };
        let store: Arc<dyn RunStore> = Arc::new(T::open(url, config).await?);
        Ok(store)
    })
}

/// A store that ships with this workspace, registered by the `nadoo-flow` facade whether or
/// not its feature is on, so that asking for it says which feature to enable.
#[doc(hidden)]
#[derive(Debug)]
pub struct WorkspaceStore {
    name: &'static str,
    feature: &'static str,
}

impl WorkspaceStore {
    /// Not public API. Used by the facade's table of workspace stores.
    pub const fn new(name: &'static str, feature: &'static str) -> Self {
        WorkspaceStore { name, feature }
    }
}

inventory::collect!(WorkspaceStore);

/// The registry of run stores linked into this program.
#[derive(Debug, Clone, Copy)]
pub struct StoreRegistry;

impl StoreRegistry {
    /// Every linked store, sorted by name.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateStore`] while two crates register one name.
    pub fn list() -> Result<&'static [&'static StoreRegistration]> {
        table()
    }

    /// The names of the linked stores, sorted.
    ///
    /// # Errors
    ///
    /// As [`list`](Self::list).
    pub fn names() -> Result<Vec<&'static str>> {
        Ok(table()?.iter().map(|r| r.name).collect())
    }

    /// The store registered as `name`.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownStore`] with a suggestion, [`Error::StoreNotCompiled`] naming the
    /// feature, [`Error::DuplicateStore`].
    pub fn get(name: &str) -> Result<&'static StoreRegistration> {
        let entries = table()?;
        match entries.binary_search_by(|r| r.name.cmp(name)) {
            Ok(i) => Ok(entries[i]),
            Err(_) => Err(not_found(name, entries)),
        }
    }

    /// Opens the store `url` names: `memory://`, `sqlite://runs.db`, `nats://host:4222`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidStoreUrl`] for a malformed URL or options, the errors of
    /// [`get`](Self::get) for its scheme, and the store's own when it cannot be opened.
    pub async fn open(url: &str) -> Result<Arc<dyn RunStore>> {
        let parsed = StoreUrl::parse(url)?;
        let registration = Self::get(&parsed.scheme)?;
        let config = Value::Object(parsed.config.clone());
        (registration.opener)(parsed, config).await
    }
}

#[cold]
#[inline(never)]
fn not_found(name: &str, entries: &[&'static StoreRegistration]) -> Error {
    if let Some(known) = inventory::iter::<WorkspaceStore>
        .into_iter()
        .find(|w| w.name == name)
    {
        return Error::StoreNotCompiled {
            name: name.to_owned(),
            feature: known.feature,
        };
    }
    let names: Vec<&'static str> = entries.iter().map(|r| r.name).collect();
    Error::UnknownStore {
        name: name.to_owned(),
        suggestion: suggest(name, &names),
        available: names,
    }
}

fn table() -> Result<&'static [&'static StoreRegistration]> {
    static TABLE: OnceLock<Result<Vec<&'static StoreRegistration>, Duplicate>> = OnceLock::new();
    let built = TABLE.get_or_init(|| {
        sorted_unique(
            inventory::iter::<StoreRegistration>.into_iter().collect(),
            |r| (r.name, r.site),
        )
    });
    match built {
        Ok(entries) => Ok(entries),
        Err(d) => Err(Error::DuplicateStore {
            name: d.name,
            sites: d.sites.clone(),
        }),
    }
}

/// `memory://`: runs kept in this process.
impl StoreType for MemoryStore {
    type Config = ();

    async fn open(url: StoreUrl, (): ()) -> Result<Self> {
        if !url.location.is_empty() {
            return Err(Error::InvalidStoreUrl {
                url: url.redacted,
                message: "a memory store has no location: write `memory://`".to_owned(),
            });
        }
        Ok(MemoryStore::new())
    }
}

inventory::submit! {
    StoreRegistration::of::<MemoryStore>(
        "memory",
        RegistrationSite {
            crate_name: env!("CARGO_PKG_NAME"),
            crate_version: env!("CARGO_PKG_VERSION"),
            module_path: module_path!(),
            file: file!(),
            line: line!(),
        },
        "Runs kept in this process's memory, for tests.",
    )
}
