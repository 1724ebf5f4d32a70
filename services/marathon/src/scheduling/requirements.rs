//! What one task of an app needs from an offer, and why an offer did not do.
//!
//! These are the scheduler's own terms, decoupled from the app's JSON: whoever reads an app
//! definition turns its networking into `PortRequest`s with the two constructors below.

use std::fmt;

use super::constraint::Constraint;

/// The host port one container port, or one port definition, needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortRequest {
    /// Any port the offer has (`hostPort: 0`, or a port definition without `requirePorts`).
    Dynamic,
    /// Exactly this port, which the offer must have.
    Fixed(u16),
    /// No host port at all (a bridge port mapping without `hostPort`): nothing is taken from the offer.
    NoHostPort,
}

impl PortRequest {
    /// HOST networking: a host port per port definition. With `requirePorts` the declared ports
    /// themselves (by then the service ports, never 0 once assigned), otherwise any offered ones.
    pub fn for_port_definitions(ports: &[u16], require_ports: bool) -> Vec<PortRequest> {
        ports
            .iter()
            .map(|&port| if require_ports && port != 0 { PortRequest::Fixed(port) } else { PortRequest::Dynamic })
            .collect()
    }

    /// BRIDGE networking: per port mapping, no `hostPort` means none, 0 any offered port, and any
    /// other number exactly that port.
    pub fn for_port_mappings(host_ports: &[Option<u16>]) -> Vec<PortRequest> {
        host_ports
            .iter()
            .map(|host_port| match host_port {
                None => PortRequest::NoHostPort,
                Some(0) => PortRequest::Dynamic,
                Some(port) => PortRequest::Fixed(*port),
            })
            .collect()
    }
}

/// Everything one task of an app needs from an offer. Mem and disk in MB.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRequirements {
    pub cpus: f64,
    pub mem: f64,
    pub disk: f64,
    pub gpus: f64,
    /// In the order of the app's port mappings or port definitions; the chosen host ports come
    /// back in the same order.
    pub ports: Vec<PortRequest>,
    /// Roles whose resources may be used (`acceptedResourceRoles`); empty means `["*"]`.
    pub accepted_roles: Vec<String>,
    pub constraints: Vec<Constraint>,
}

impl TaskRequirements {
    /// Whether resources of `role` may be used.
    pub(super) fn accepts_role(&self, role: &str) -> bool {
        if self.accepted_roles.is_empty() {
            role == "*"
        } else {
            self.accepted_roles.iter().any(|accepted| accepted == role)
        }
    }

    /// The scalars this task needs, by Mesos resource name.
    pub(super) fn scalars(&self) -> [(ScalarResource, f64); 4] {
        [
            (ScalarResource::Cpus, self.cpus),
            (ScalarResource::Mem, self.mem),
            (ScalarResource::Disk, self.disk),
            (ScalarResource::Gpus, self.gpus),
        ]
    }
}

/// A scalar resource a task can need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarResource {
    Cpus,
    Mem,
    Disk,
    Gpus,
}

impl ScalarResource {
    /// The Mesos resource name.
    pub fn name(self) -> &'static str {
        match self {
            ScalarResource::Cpus => "cpus",
            ScalarResource::Mem => "mem",
            ScalarResource::Disk => "disk",
            ScalarResource::Gpus => "gpus",
        }
    }
}

/// Why an offer cannot take one more task of an app. The first reason found is reported, checked
/// in this order: roles, scalars, constraints, ports.
#[derive(Debug, Clone, PartialEq)]
pub enum NoMatch {
    /// The offer has no resources of an accepted role.
    UnfulfilledRole,
    /// Less of a scalar than the task needs is left in the accepted roles.
    Insufficient { resource: ScalarResource, wanted: f64, available: f64 },
    /// The host ports cannot be had; the text says which.
    InsufficientPorts(String),
    /// One more task on this agent would break this constraint.
    UnfulfilledConstraint(Constraint),
}

impl NoMatch {
    /// Marathon's name for the reason (`NoOfferMatchReason`), as `/v2/queue` statistics count them.
    pub fn kind(&self) -> &'static str {
        match self {
            NoMatch::UnfulfilledRole => "UnfulfilledRole",
            NoMatch::Insufficient { resource: ScalarResource::Cpus, .. } => "InsufficientCpus",
            NoMatch::Insufficient { resource: ScalarResource::Mem, .. } => "InsufficientMemory",
            NoMatch::Insufficient { resource: ScalarResource::Disk, .. } => "InsufficientDisk",
            NoMatch::Insufficient { resource: ScalarResource::Gpus, .. } => "InsufficientGpus",
            NoMatch::InsufficientPorts(_) => "InsufficientPorts",
            NoMatch::UnfulfilledConstraint(_) => "UnfulfilledConstraint",
        }
    }
}

impl fmt::Display for NoMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoMatch::UnfulfilledRole => f.write_str("the offer has no resources of an accepted role"),
            NoMatch::Insufficient { resource, wanted, available } => {
                write!(f, "{}: {wanted} wanted, {available} available", resource.name())
            }
            NoMatch::InsufficientPorts(why) => f.write_str(why),
            NoMatch::UnfulfilledConstraint(constraint) => write!(f, "constraint {constraint} is not met"),
        }
    }
}
