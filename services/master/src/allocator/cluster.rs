//! What the allocator knows of each agent, framework and role. The books that keep these
//! consistent with one another are in `ledger.rs`.

use std::collections::{BTreeMap, BTreeSet};

use corral_wire::mesos::{AgentId, FrameworkId, ResourceSet};

use super::filters::OfferFilters;
use super::quantities::Quantities;

#[derive(Debug)]
pub(super) struct Agent {
    pub(super) id: AgentId,
    pub(super) total: ResourceSet,
    /// Neither offered to nor used by any framework.
    pub(super) free: ResourceSet,
    /// What each framework (by slot) holds here: offered and not yet recovered, or used by tasks.
    pub(super) held: BTreeMap<usize, ResourceSet>,
}

#[derive(Debug)]
pub(super) struct Framework {
    pub(super) id: FrameworkId,
    /// Slot of its role; `None` while it is known only from the tasks of a re-registered agent
    /// (after a master failover agents come back before their frameworks do).
    pub(super) role: Option<usize>,
    /// Connected: a disconnected framework keeps what it holds but is offered nothing.
    pub(super) active: bool,
    pub(super) suppressed: bool,
    pub(super) filters: OfferFilters,
    /// The sum of what it holds on every agent.
    pub(super) allocated: Quantities,
    /// `allocated`'s dominant share of the cluster.
    pub(super) share: f64,
    /// Slots of the agents where it holds something.
    pub(super) held_on: BTreeSet<usize>,
}

impl Framework {
    /// A framework known only from resources it holds.
    pub(super) fn unregistered(id: FrameworkId) -> Self {
        Framework {
            id,
            role: None,
            active: false,
            suppressed: false,
            filters: OfferFilters::default(),
            allocated: Quantities::default(),
            share: 0.0,
            held_on: BTreeSet::new(),
        }
    }

    pub(super) fn wants_offers(&self) -> bool {
        self.role.is_some() && self.active && !self.suppressed
    }
}

#[derive(Debug)]
pub(super) struct Role {
    pub(super) name: String,
    pub(super) weight: f64,
    /// The sum of what its frameworks hold.
    pub(super) allocated: Quantities,
    /// `allocated`'s dominant share of the cluster, not yet divided by the weight.
    pub(super) share: f64,
}

impl Role {
    /// What DRF orders roles by.
    pub(super) fn weighted_share(&self) -> f64 {
        self.share / self.weight
    }
}
