//! The one error type of the core crate.

use std::fmt;

use crate::diagnostics::{FileProblem, Problem, RegistrationSite, SettingSource};

/// A boxed error from a node or a backend's underlying system.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the registry, in configuration, or while running a workflow.
///
/// Every variant names the thing it is about (the backend, the key, the node), so that the
/// `Display` text alone tells a user what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No linked backend has this name.
    #[error(
        "unknown backend `{name}`{}; {}",
        DidYouMean(suggestion),
        Available(available)
    )]
    UnknownBackend {
        /// The name that was asked for.
        name: String,
        /// The names of the linked backends, sorted.
        available: Vec<&'static str>,
        /// The closest linked name, if one is close enough to be a likely typo.
        suggestion: Option<&'static str>,
    },

    /// The backend belongs to this workspace, but its Cargo feature is off in this build.
    #[error(
        "backend `{name}` is not compiled into this program; enable Cargo feature `{feature}` of nadoo-flow"
    )]
    BackendNotCompiled {
        /// The name that was asked for.
        name: String,
        /// The feature of the `nadoo-flow` crate that links it.
        feature: &'static str,
    },

    /// Two linked crates register a backend under the same name.
    ///
    /// Every registry call returns this error while the conflict exists: no registration wins.
    #[error(
        "backend `{name}` is registered more than once: {}; backend names must be unique among linked crates",
        Sites(sites)
    )]
    DuplicateBackend {
        /// The contested name.
        name: &'static str,
        /// Every site that registers it, sorted.
        sites: Vec<RegistrationSite>,
    },

    /// A default backend was asked for, but no backend is linked into the program.
    #[error(
        "no backend is linked into this program; enable a backend feature of nadoo-flow, such as the default `native`"
    )]
    NoBackendLinked,

    /// A default backend was asked for, several are linked, none is `native` and none was chosen.
    #[error(
        "no default backend is set and several are linked ({}); choose one with set_default",
        Available(available)
    )]
    NoDefaultBackend {
        /// The names of the linked backends, sorted.
        available: Vec<&'static str>,
    },

    /// No linked node kind has this name.
    #[error(
        "unknown node kind `{kind}`{}; {}",
        DidYouMean(suggestion),
        Kinds(available)
    )]
    UnknownNodeKind {
        /// The kind that was asked for.
        kind: String,
        /// The linked kinds, sorted.
        available: Vec<&'static str>,
        /// The closest linked kind, if one is close enough to be a likely typo.
        suggestion: Option<&'static str>,
    },

    /// Two linked crates register a node kind under the same name.
    #[error(
        "node kind `{kind}` is registered more than once: {}; kind names must be unique among linked crates",
        Sites(sites)
    )]
    DuplicateNodeKind {
        /// The contested name.
        kind: &'static str,
        /// Every site that registers it, sorted.
        sites: Vec<RegistrationSite>,
    },

    /// A node's configuration was rejected by its kind.
    #[error("invalid configuration for node kind `{kind}`: {}{message}", Key(key))]
    InvalidNodeConfig {
        /// The node kind.
        kind: String,
        /// The offending key, as a dotted path, when one key is at fault.
        key: Option<String>,
        /// What is wrong with it.
        message: String,
    },

    /// A workflow file could not be read or does not describe a valid workflow.
    #[error("{}", FileProblems(file, problems))]
    WorkflowFile {
        /// The file, as given.
        file: String,
        /// Every problem found, in file order.
        problems: Vec<FileProblem>,
    },

    /// A file could not be read.
    #[error("cannot read {file}: {source}")]
    ReadFile {
        /// The file, as given.
        file: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// A workflow cannot be written as TOML.
    #[error("cannot write the workflow as TOML: {reason}")]
    NoTomlForm {
        /// Why.
        reason: String,
    },

    /// A setting from a configuration file or the environment was rejected.
    #[error("{origin}: {}{message}", Key(key))]
    InvalidSetting {
        /// Where it came from.
        origin: SettingSource,
        /// The offending key, dotted, when known.
        key: Option<String>,
        /// What is wrong with it.
        message: String,
    },

    /// A backend's version does not meet a requirement.
    #[error(
        "backend `{name}` is version {version} (crate {crate_name}), which does not meet the requirement `{requirement}`"
    )]
    IncompatibleVersion {
        /// The backend.
        name: String,
        /// Its crate.
        crate_name: &'static str,
        /// Its crate's version.
        version: &'static str,
        /// The requirement it fails.
        requirement: String,
    },

    /// A version requirement could not be read.
    #[error("invalid version requirement `{requirement}`: {message}")]
    InvalidVersionRequirement {
        /// The requirement as given.
        requirement: String,
        /// Why it is not one.
        message: String,
    },

    /// A backend's configuration was rejected.
    #[error("invalid configuration for backend `{backend}`: {}{message}", Key(key))]
    InvalidConfig {
        /// The backend whose configuration this is.
        backend: String,
        /// The offending key, as a dotted path, when one key is at fault.
        key: Option<String>,
        /// What is wrong with it.
        message: String,
    },

    /// The workflow cannot run: every problem found, in a stable order.
    #[error("invalid workflow: {}", Problems(.0))]
    InvalidWorkflow(Vec<Problem>),

    /// A checkpoint cannot be resumed on this workflow.
    #[error("cannot resume workflow `{workflow}` from this checkpoint: {reason}")]
    InvalidCheckpoint {
        /// The workflow asked to resume.
        workflow: String,
        /// Why the checkpoint does not fit it.
        reason: String,
    },

    /// The backend does not support an operation.
    #[error("backend `{backend}` does not support {operation}")]
    Unsupported {
        /// The backend.
        backend: String,
        /// The operation, in words.
        operation: &'static str,
    },

    /// No linked run store has this name (the scheme of a store URL).
    #[error(
        "unknown run store `{name}`{}; {}",
        DidYouMean(suggestion),
        Stores(available)
    )]
    UnknownStore {
        /// The name that was asked for.
        name: String,
        /// The names of the linked stores, sorted.
        available: Vec<&'static str>,
        /// The closest linked name, if one is close enough to be a likely typo.
        suggestion: Option<&'static str>,
    },

    /// The run store belongs to this workspace, but its Cargo feature is off in this build.
    #[error(
        "run store `{name}` is not compiled into this program; enable Cargo feature `{feature}` of nadoo-flow"
    )]
    StoreNotCompiled {
        /// The name that was asked for.
        name: String,
        /// The feature of the `nadoo-flow` crate that links it.
        feature: &'static str,
    },

    /// Two linked crates register a run store under the same name.
    #[error(
        "run store `{name}` is registered more than once: {}; store names must be unique among linked crates",
        Sites(sites)
    )]
    DuplicateStore {
        /// The contested name.
        name: &'static str,
        /// Every site that registers it, sorted.
        sites: Vec<RegistrationSite>,
    },

    /// A run store URL that cannot be opened as written.
    #[error("invalid run store URL `{url}`: {message}")]
    InvalidStoreUrl {
        /// The URL, credentials removed.
        url: String,
        /// What is wrong with it.
        message: String,
    },

    /// The run store failed: unreachable, corrupt, or refusing a write.
    #[error("run store `{store}` failed: {message}")]
    Store {
        /// The store's URL, credentials removed.
        store: String,
        /// What failed.
        message: String,
    },

    /// The store holds no run with this id.
    #[error("run `{run_id}` is not in run store `{store}`")]
    UnknownRun {
        /// The id asked for.
        run_id: String,
        /// The store's URL, credentials removed.
        store: String,
    },

    /// A new run was given an id the store already holds.
    #[error(
        "run `{run_id}` already exists in run store `{store}` (status {status}); {}",
        if status == "success" || status == "failed" {
            "choose another run id"
        } else {
            "continue it with `resume` instead"
        }
    )]
    RunExists {
        /// The contested id.
        run_id: String,
        /// The store's URL, credentials removed.
        store: String,
        /// The status of the run already stored (`running`, `interrupted`, `success`, ...).
        status: String,
    },

    /// A run that finished cannot be resumed.
    #[error("run `{run_id}` has already finished with status {status}; there is nothing to resume")]
    RunFinished {
        /// The run.
        run_id: String,
        /// How it finished (`success` or `failed`).
        status: String,
    },

    /// Another process holds the run's lease: it is running or resuming it now.
    #[error(
        "run `{run_id}` is being run by another process ({holder}); its lease expires in {}s unless renewed",
        expires_in.as_secs()
    )]
    LeaseHeld {
        /// The run.
        run_id: String,
        /// Who holds the lease: host and process id.
        holder: String,
        /// How long until the lease expires if its holder stops renewing it.
        expires_in: std::time::Duration,
    },

    /// The backend's underlying system failed.
    #[error("backend `{backend}` failed: {source}")]
    Backend {
        /// The backend.
        backend: String,
        /// What failed underneath.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// An [`Error::InvalidConfig`] for `backend`, naming `key` when one key is at fault.
    pub fn invalid_config(
        backend: impl Into<String>,
        key: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Error::InvalidConfig {
            backend: backend.into(),
            key: key.map(str::to_owned),
            message: message.into(),
        }
    }

    /// An [`Error::Backend`] wrapping a failure of the backend's underlying system.
    pub fn backend(backend: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Backend {
            backend: backend.into(),
            source: source.into(),
        }
    }
}

struct DidYouMean<'a>(&'a Option<&'static str>);

impl fmt::Display for DidYouMean<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(name) => write!(f, " (did you mean `{name}`?)"),
            None => Ok(()),
        }
    }
}

struct Available<'a>(&'a [&'static str]);

impl fmt::Display for Available<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no backend is linked into this program");
        }
        f.write_str("available backends: ")?;
        for (i, name) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

struct Stores<'a>(&'a [&'static str]);

impl fmt::Display for Stores<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "available run stores: {}", self.0.join(", "))
    }
}

struct Kinds<'a>(&'a [&'static str]);

impl fmt::Display for Kinds<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no node kind is linked into this program");
        }
        write!(f, "known kinds: {}", self.0.join(", "))
    }
}

struct FileProblems<'a>(&'a str, &'a [FileProblem]);

impl fmt::Display for FileProblems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.1.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}:{problem}", self.0)?;
        }
        Ok(())
    }
}

struct Sites<'a>(&'a [RegistrationSite]);

impl fmt::Display for Sites<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, site) in self.0.iter().enumerate() {
            match i {
                0 => f.write_str("by ")?,
                i if i + 1 == self.0.len() => f.write_str(" and by ")?,
                _ => f.write_str(", by ")?,
            }
            write!(f, "{site}")?;
        }
        Ok(())
    }
}

struct Key<'a>(&'a Option<String>);

impl fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(key) => write!(f, "key `{key}`: "),
            None => Ok(()),
        }
    }
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}
