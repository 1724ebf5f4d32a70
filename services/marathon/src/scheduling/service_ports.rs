//! Cluster-unique service ports: the ports a load balancer listens on for an app, one per port
//! mapping or port definition.
//!
//! As in Marathon, a service port of 0 gets a port from the range (by default 10000-19999: the
//! upper bound is exclusive, as Marathon's `local_port_max` is): the app's own earlier ports first,
//! so an app updated with 0s keeps its ports, then the lowest free one. A port asked for by number
//! may lie outside the range but must not belong to another app.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;

/// Why service ports could not be assigned; the message is Marathon's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServicePortError {
    /// A port asked for by number belongs to another app.
    Conflict { port: u16, owner: String },
    /// The same port is asked for twice by one app.
    Duplicate(u16),
    /// Every port of the range is taken.
    Exhausted { range: Range<u16> },
}

impl fmt::Display for ServicePortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServicePortError::Conflict { port, owner } => {
                write!(f, "Requested service port {port} conflicts with a service port in app {owner}")
            }
            ServicePortError::Duplicate(port) => write!(f, "Requested service port {port} is listed more than once"),
            ServicePortError::Exhausted { range } => {
                write!(f, "All ports in the range [{}-{}) are already in use", range.start, range.end)
            }
        }
    }
}

impl std::error::Error for ServicePortError {}

/// Which app holds each service port.
#[derive(Debug, Clone)]
pub struct ServicePortAllocator {
    range: Range<u16>,
    owners: BTreeMap<u16, String>,
    /// Each app's ports, in the order of its port mappings or definitions.
    by_app: HashMap<String, Vec<u16>>,
    /// Every port of the range below this one is held: the search for a free port starts here.
    held_below: u16,
}

impl Default for ServicePortAllocator {
    fn default() -> Self {
        ServicePortAllocator::new(10000..20000)
    }
}

impl ServicePortAllocator {
    /// Dynamic ports come from `range` (upper bound exclusive).
    pub fn new(range: Range<u16>) -> ServicePortAllocator {
        ServicePortAllocator { held_below: range.start, range, owners: BTreeMap::new(), by_app: HashMap::new() }
    }

    /// Gives `app` the service ports `requested` asks for (0 = any), in order, replacing what it
    /// held; ports it held and no longer has are freed. On an error nothing changes.
    pub fn assign(&mut self, app: &str, requested: &[u16]) -> Result<Vec<u16>, ServicePortError> {
        let mut assigned = requested.to_vec();
        for (i, &port) in requested.iter().enumerate() {
            if port == 0 {
                continue;
            }
            if requested[..i].contains(&port) {
                return Err(ServicePortError::Duplicate(port));
            }
            if let Some(owner) = self.owners.get(&port).filter(|owner| *owner != app) {
                return Err(ServicePortError::Conflict { port, owner: owner.clone() });
            }
        }
        // The app's earlier ports in the range that it does not now ask for by number come first.
        let held = self.by_app.get(app).map(Vec::as_slice).unwrap_or_default();
        let mut reusable = held.iter().filter(|port| self.range.contains(port) && !requested.contains(port)).copied();
        let mut taken = Vec::new();
        let mut first_found = None;
        for slot in assigned.iter_mut().filter(|port| **port == 0) {
            *slot = match reusable.next() {
                Some(port) => port,
                None => {
                    let port = self.lowest_free(requested, &taken)?;
                    first_found.get_or_insert(port);
                    port
                }
            };
            taken.push(*slot);
        }
        // Every port below the first one found was busy, and is held now unless the app frees it below.
        if let Some(port) = first_found {
            self.held_below = port;
        }
        self.release(app);
        for &port in &assigned {
            self.owners.insert(port, app.to_string());
        }
        self.by_app.insert(app.to_string(), assigned.clone());
        Ok(assigned)
    }

    /// Frees every port of `app` (the app was deleted).
    pub fn release(&mut self, app: &str) {
        for port in self.by_app.remove(app).unwrap_or_default() {
            self.owners.remove(&port);
            if self.range.contains(&port) {
                self.held_below = self.held_below.min(port);
            }
        }
    }

    /// The app holding `port`.
    pub fn owner(&self, port: u16) -> Option<&str> {
        self.owners.get(&port).map(String::as_str)
    }

    /// The ports `app` holds, in order.
    pub fn ports_of(&self, app: &str) -> &[u16] {
        self.by_app.get(app).map(Vec::as_slice).unwrap_or_default()
    }

    /// The lowest port in the range that no app holds (the app's own free ones were offered
    /// first), that is not asked for by number and not `taken` already.
    fn lowest_free(&self, requested: &[u16], taken: &[u16]) -> Result<u16, ServicePortError> {
        (self.held_below..self.range.end)
            .find(|port| !self.owners.contains_key(port) && !requested.contains(port) && !taken.contains(port))
            .ok_or_else(|| ServicePortError::Exhausted { range: self.range.clone() })
    }
}
