//! Who may drive a run: a lease, held by one process at a time and renewed while it runs.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::record::{Millis, now_millis};

/// How long a lease lasts unless renewed; its holder renews it every third of that.
pub const LEASE_TTL: Duration = Duration::from_secs(30);

/// A process that drives runs: its host and process id, and a random token that tells two
/// drivers in one process apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseHolder {
    /// The host's name.
    pub host: String,
    /// The process id.
    pub pid: u32,
    /// Unique per driver.
    pub token: String,
}

impl LeaseHolder {
    /// This process, with a new token.
    pub fn this_process() -> Self {
        LeaseHolder {
            host: host_name(),
            pid: std::process::id(),
            token: uuid::Uuid::new_v4().simple().to_string(),
        }
    }

    /// Whether the holder is a process of this host that no longer exists, so that its lease
    /// can be taken over at once instead of after it expires.
    pub fn is_gone(&self) -> bool {
        if self.host != host_name() || self.pid == std::process::id() {
            return false;
        }
        process_is_gone(self.pid)
    }
}

impl fmt::Display for LeaseHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "process {} on {}", self.pid, self.host)
    }
}

/// A lease as a store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Who holds it.
    pub holder: LeaseHolder,
    /// When it expires unless renewed.
    pub expires: Millis,
}

impl Lease {
    /// A lease for `holder` lasting `ttl` from now.
    pub fn new(holder: LeaseHolder, ttl: Duration) -> Self {
        let ttl = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        Lease {
            holder,
            expires: now_millis().saturating_add(ttl),
        }
    }

    /// Whether `holder` may take this lease now: it holds it already, it has expired, or its
    /// holder's process is gone. `Err` says how long it still runs.
    pub fn may_be_taken_by(&self, holder: &LeaseHolder) -> Result<(), Duration> {
        let now = now_millis();
        if self.holder == *holder || self.expires <= now || self.holder.is_gone() {
            Ok(())
        } else {
            Err(Duration::from_millis(self.expires - now))
        }
    }
}

/// The host's name, as the kernel reports it; `localhost` when it cannot be read.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Whether process `pid` of this host has ended (seen through `/proc`; on systems without it,
/// no process is taken for gone, and leases simply expire).
fn process_is_gone(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    if !proc.join("self").exists() {
        return false;
    }
    match std::fs::read_to_string(proc.join(pid.to_string()).join("stat")) {
        // A zombie has ended but not been reaped yet.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_free_to_its_holder_once_expired_or_once_its_process_is_gone() {
        let me = LeaseHolder::this_process();
        let other = LeaseHolder::this_process();
        let lease = Lease::new(me.clone(), LEASE_TTL);
        assert!(lease.may_be_taken_by(&me).is_ok());
        let left = lease.may_be_taken_by(&other).unwrap_err();
        assert!(left > Duration::from_secs(25), "{left:?}");

        let expired = Lease {
            expires: now_millis() - 1,
            ..lease.clone()
        };
        assert!(expired.may_be_taken_by(&other).is_ok());

        let dead = Lease {
            holder: LeaseHolder {
                pid: u32::MAX - 1,
                ..me.clone()
            },
            ..lease
        };
        assert!(dead.holder.is_gone());
        assert!(dead.may_be_taken_by(&other).is_ok());
    }
}
