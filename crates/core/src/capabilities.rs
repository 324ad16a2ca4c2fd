//! What a backend can do, known before an instance exists.

use std::fmt;
use std::num::NonZeroUsize;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// One thing a backend may be able to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// Emits run events while a workflow runs.
    Streaming,
    /// Runs independent nodes at the same time.
    Parallel,
    /// Runs nodes as async tasks that do not block a thread while they wait.
    Async,
    /// Runs nodes on other processes or machines.
    Distributed,
    /// Keeps work that was handed out when a worker or the coordinator dies.
    Durable,
    /// Can schedule nodes on GPUs.
    Gpu,
}

impl Capability {
    /// Every capability, in declaration order.
    pub const ALL: [Capability; 6] = [
        Capability::Streaming,
        Capability::Parallel,
        Capability::Async,
        Capability::Distributed,
        Capability::Durable,
        Capability::Gpu,
    ];

    /// The lowercase name used in output and configuration (`"parallel"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Capability::Streaming => "streaming",
            Capability::Parallel => "parallel",
            Capability::Async => "async",
            Capability::Distributed => "distributed",
            Capability::Durable => "durable",
            Capability::Gpu => "gpu",
        }
    }

    /// The capability with this lowercase name, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Capability::ALL.into_iter().find(|c| c.as_str() == name)
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The set of [`Capability`] flags of a backend, plus its concurrency limit.
///
/// Built in `const` context, so that a registration can carry it:
///
/// ```
/// use nadoo_flow_core::{Capabilities, Capability};
///
/// const CAPS: Capabilities = Capabilities::NONE
///     .with(Capability::Parallel)
///     .with(Capability::Async);
/// assert!(CAPS.has(Capability::Parallel));
/// assert!(!CAPS.has(Capability::Distributed));
/// assert_eq!(CAPS.to_string(), "parallel, async");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Capabilities {
    flags: u8,
    max_concurrency: Option<NonZeroUsize>,
}

impl Capabilities {
    /// No capability at all.
    pub const NONE: Capabilities = Capabilities {
        flags: 0,
        max_concurrency: None,
    };

    /// These capabilities plus `capability`.
    #[must_use]
    pub const fn with(mut self, capability: Capability) -> Self {
        self.flags |= capability.bit();
        self
    }

    /// These capabilities with a fixed upper bound on concurrently running nodes.
    #[must_use]
    pub const fn with_max_concurrency(mut self, max: NonZeroUsize) -> Self {
        self.max_concurrency = Some(max);
        self
    }

    /// The capabilities both sets have; the lower concurrency limit.
    #[must_use]
    pub const fn intersection(self, other: Capabilities) -> Self {
        Capabilities {
            flags: self.flags & other.flags,
            max_concurrency: match (self.max_concurrency, other.max_concurrency) {
                (Some(a), Some(b)) => Some(if a.get() < b.get() { a } else { b }),
                (Some(a), None) | (None, Some(a)) => Some(a),
                (None, None) => None,
            },
        }
    }

    /// Whether `capability` is in the set.
    pub const fn has(&self, capability: Capability) -> bool {
        self.flags & capability.bit() != 0
    }

    /// Whether every capability in `required` is in the set.
    pub fn has_all(&self, required: &[Capability]) -> bool {
        required.iter().all(|c| self.has(*c))
    }

    /// The upper bound on concurrently running nodes, if the backend has one.
    pub const fn max_concurrency(&self) -> Option<NonZeroUsize> {
        self.max_concurrency
    }

    /// The capabilities in the set, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = Capability> + '_ {
        Capability::ALL.into_iter().filter(|c| self.has(*c))
    }
}

impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for capability in self.iter() {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            f.write_str(capability.as_str())?;
        }
        if let Some(max) = self.max_concurrency {
            if !first {
                f.write_str(", ")?;
            }
            write!(f, "max concurrency {max}")?;
        } else if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()?;
        if let Some(max) = self.max_concurrency {
            write!(f, " (max concurrency {max})")?;
        }
        Ok(())
    }
}

/// Serialized as `{"flags": ["parallel", ...], "max_concurrency": null}`.
impl Serialize for Capabilities {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let flags: Vec<&str> = self.iter().map(Capability::as_str).collect();
        let mut state = serializer.serialize_struct("Capabilities", 2)?;
        state.serialize_field("flags", &flags)?;
        state.serialize_field("max_concurrency", &self.max_concurrency)?;
        state.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_independent() {
        let caps = Capabilities::NONE
            .with(Capability::Distributed)
            .with(Capability::Durable);
        assert!(caps.has_all(&[Capability::Distributed, Capability::Durable]));
        assert!(!caps.has_all(&[Capability::Distributed, Capability::Gpu]));
        assert_eq!(caps.to_string(), "distributed, durable");
        assert_eq!(Capabilities::NONE.to_string(), "none");
    }

    #[test]
    fn names_round_trip() {
        for c in Capability::ALL {
            assert_eq!(Capability::from_name(c.as_str()), Some(c));
        }
        assert_eq!(Capability::from_name("quantum"), None);
    }

    #[test]
    fn serializes_names_and_limit() {
        let caps = Capabilities::NONE
            .with(Capability::Parallel)
            .with_max_concurrency(NonZeroUsize::new(8).expect("8 is not zero"));
        let json = serde_json::to_value(caps).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"flags": ["parallel"], "max_concurrency": 8})
        );
    }
}
