//! The master's resource allocator: Dominant Resource Fairness over roles and frameworks, as
//! Mesos' hierarchical allocator does it.
//!
//! Whatever is offered to or used by a framework counts as allocated to it until it is
//! recovered. A cycle (`allocate`, every allocation interval; `allocate_agents`, on events)
//! visits the agents whose free resources are worth offering (see `min_allocatable`) in random
//! order and gives each agent's whole free remainder, as one offer, to the framework DRF puts
//! first there: the role with the lowest dominant share divided by its weight, then that role's
//! framework with the lowest dominant share, skipping frameworks that are disconnected,
//! suppressed or filtered on that agent.
//!
//! The module is pure: no IO, no clock (time comes in as `now`), no failure. The master owns
//! offers and tasks and tells the allocator what happened to them; ids the allocator does not
//! know (a late call about something already removed) are ignored.

mod cluster;
mod config;
mod cycle;
mod filters;
mod ledger;
mod quantities;
mod registry;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use corral_wire::mesos::{AgentId, FrameworkId, ResourceSet};
use rand::rngs::StdRng;
use rand::SeedableRng;

use cluster::{Agent, Framework, Role};
use quantities::{Quantities, ScalarNames};
use registry::Registry;

pub use config::AllocatorConfig;
pub use cycle::Allocation;
pub use filters::Refusal;

#[derive(Debug)]
pub struct Allocator {
    config: AllocatorConfig,
    rng: StdRng,
    scalar_names: ScalarNames,
    /// The scalar resources of every agent.
    total: Quantities,
    agents: Registry<AgentId, Agent>,
    frameworks: Registry<FrameworkId, Framework>,
    roles: Registry<String, Role>,
    /// Slots of the agents whose free resources are worth offering.
    offerable: BTreeSet<usize>,
}

impl Allocator {
    pub fn new(config: AllocatorConfig) -> Self {
        Allocator {
            rng: StdRng::seed_from_u64(config.seed),
            config,
            scalar_names: ScalarNames::default(),
            total: Quantities::default(),
            agents: Registry::new(),
            frameworks: Registry::new(),
            roles: Registry::new(),
            offerable: BTreeSet::new(),
        }
    }

    /// An agent joins with `total` resources, of which its running tasks use `used` (on
    /// re-registration), counted as allocated to their frameworks even before those frameworks
    /// are added. An agent already known is replaced.
    pub fn add_agent(&mut self, agent: AgentId, total: ResourceSet, used: &[(FrameworkId, ResourceSet)]) {
        self.remove_agent(&agent);
        self.grow_total(&total);
        let mut free = total.clone();
        for (_, resources) in used {
            free.subtract(resources);
        }
        let slot = self.agents.insert(agent.clone(), Agent { id: agent, total, free, held: BTreeMap::new() });
        for (framework, resources) in used {
            let framework = match self.frameworks.slot(framework) {
                Some(slot) => slot,
                None => self.frameworks.insert(framework.clone(), Framework::unregistered(framework.clone())),
            };
            self.hold(slot, framework, resources);
        }
        self.refresh_offerable(slot);
    }

    /// The agent's resources leave the cluster total and the allocation of every framework that
    /// held some of them (the master rescinds its offers and reports its tasks lost).
    pub fn remove_agent(&mut self, agent: &AgentId) {
        let Some((slot, removed)) = self.agents.remove(agent) else {
            return;
        };
        self.offerable.remove(&slot);
        self.forget_holdings(slot, &removed.held);
        for framework in self.frameworks.values_mut() {
            framework.filters.forget_agent(slot);
        }
        self.shrink_total(&removed.total);
    }

    /// A framework subscribes (or subscribes again, after a failover) in `role`; it is connected,
    /// and takes over whatever re-registered agents said its tasks use.
    pub fn add_framework(&mut self, framework: FrameworkId, role: String, suppressed: bool) {
        let role = match self.roles.slot(&role) {
            Some(slot) => slot,
            None => {
                let weight = self.config.weight(&role);
                let state = Role { name: role.clone(), weight, allocated: Quantities::default(), share: 0.0 };
                self.roles.insert(role, state)
            }
        };
        let slot = match self.frameworks.slot(&framework) {
            Some(slot) => slot,
            None => self.frameworks.insert(framework.clone(), Framework::unregistered(framework)),
        };
        self.assign_role(slot, role);
        let framework = &mut self.frameworks[slot];
        framework.active = true;
        framework.suppressed = suppressed;
    }

    /// The framework is torn down: everything it holds goes back to the agents' free pools.
    pub fn remove_framework(&mut self, framework: &FrameworkId) {
        let Some(slot) = self.frameworks.slot(framework) else {
            return;
        };
        self.release_everything(slot);
        self.frameworks.remove(framework);
    }

    /// The framework is connected again and may receive offers.
    pub fn activate_framework(&mut self, framework: &FrameworkId) {
        self.update_framework(framework, |framework| framework.active = true);
    }

    /// The framework disconnected: it keeps what it holds (its tasks run on) but is offered nothing.
    pub fn deactivate_framework(&mut self, framework: &FrameworkId) {
        self.update_framework(framework, |framework| framework.active = false);
    }

    /// SUPPRESS: no offers until the framework revives.
    pub fn suppress(&mut self, framework: &FrameworkId) {
        self.update_framework(framework, |framework| framework.suppressed = true);
    }

    /// REVIVE: offers resume and every filter of the framework is cleared.
    pub fn revive(&mut self, framework: &FrameworkId) {
        self.update_framework(framework, |framework| {
            framework.suppressed = false;
            framework.filters.clear();
        });
    }

    /// `resources` the framework held on the agent come back: an offer declined or rescinded, the
    /// part of an offer an ACCEPT left unused, or a finished task's resources. With a `refusal`,
    /// the framework is not offered a subset of `resources` on this agent until it expires.
    pub fn recover(
        &mut self,
        framework: &FrameworkId,
        agent: &AgentId,
        resources: &ResourceSet,
        refusal: Option<Refusal>,
    ) {
        let (Some(framework), Some(agent)) = (self.frameworks.slot(framework), self.agents.slot(agent)) else {
            return;
        };
        if let Some(refusal) = refusal {
            let framework = &mut self.frameworks[framework];
            if framework.role.is_some() {
                framework.filters.install(agent, resources.clone(), refusal);
            }
        }
        self.release(agent, framework, resources);
    }

    /// The framework's dominant share of the cluster: its largest fraction of any scalar resource.
    pub fn dominant_share(&self, framework: &FrameworkId) -> f64 {
        self.frameworks.by_key(framework).map_or(0.0, |framework| framework.share)
    }

    /// The role's dominant share of the cluster (before dividing by its weight).
    pub fn role_share(&self, role: &str) -> f64 {
        self.roles.by_key(role).map_or(0.0, |role| role.share)
    }

    /// The agent's resources that are neither offered nor used.
    pub fn available(&self, agent: &AgentId) -> Option<&ResourceSet> {
        self.agents.by_key(agent).map(|agent| &agent.free)
    }

    /// What the framework holds on the agent: outstanding offers and its tasks' resources.
    pub fn allocated(&self, framework: &FrameworkId, agent: &AgentId) -> Option<&ResourceSet> {
        let framework = self.frameworks.slot(framework)?;
        self.agents.by_key(agent)?.held.get(&framework)
    }

    fn update_framework(&mut self, framework: &FrameworkId, update: impl FnOnce(&mut Framework)) {
        if let Some(slot) = self.frameworks.slot(framework) {
            update(&mut self.frameworks[slot]);
        }
    }
}
