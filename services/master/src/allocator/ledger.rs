//! The allocator's books: the only functions that move resources between an agent's free pool
//! and a framework's holdings, change the cluster total or move a framework between roles.
//! Each keeps these true:
//!
//! - for every agent, `free` plus everything `held` there is its `total` (resources used beyond
//!   the total by an agent's re-registered tasks aside);
//! - every framework's and role's `allocated` is the sum of what it holds, and its `share` is
//!   that sum's dominant share of the current cluster total;
//! - a framework's `held_on` names exactly the agents whose `held` has an entry for it;
//! - `offerable` names exactly the agents whose free resources are allocatable;
//! - a framework known only from re-registered tasks is forgotten once it holds nothing.

use std::borrow::Cow;
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::mem;

use corral_wire::mesos::ResourceSet;

use super::quantities::Quantities;
use super::Allocator;

impl Allocator {
    /// Records that `framework` holds `resources` on `agent`. The caller has taken them out of the
    /// agent's free pool (and refreshes `offerable`).
    pub(super) fn hold(&mut self, agent: usize, framework: usize, resources: &ResourceSet) {
        match self.agents[agent].held.entry(framework) {
            Entry::Vacant(entry) => {
                entry.insert(resources.clone());
            }
            Entry::Occupied(mut entry) => entry.get_mut().add(resources),
        }
        self.frameworks[framework].held_on.insert(agent);
        let quantities = self.scalar_names.quantities(resources);
        self.charge(framework, &quantities);
    }

    /// Gives back to `agent`'s free pool what `framework` holds there of `resources`; whatever of
    /// `resources` it does not hold (recovered twice, or never offered) is ignored.
    pub(super) fn release(&mut self, agent: usize, framework: usize, resources: &ResourceSet) {
        let agent_state = &mut self.agents[agent];
        let Some(held) = agent_state.held.get_mut(&framework) else {
            return;
        };
        let returned = if held.contains(resources) {
            Cow::Borrowed(resources)
        } else {
            Cow::Owned(held.minus(&held.minus(resources)))
        };
        held.subtract(&returned);
        if held.is_empty() {
            agent_state.held.remove(&framework);
            self.frameworks[framework].held_on.remove(&agent);
        }
        agent_state.free.add(&returned);
        let quantities = self.scalar_names.quantities(&returned);
        self.refund(framework, &quantities);
        self.refresh_offerable(agent);
        self.forget_if_unregistered_and_idle(framework);
    }

    /// Gives back everything `framework` holds, on every agent.
    pub(super) fn release_everything(&mut self, framework: usize) {
        for agent in mem::take(&mut self.frameworks[framework].held_on) {
            let agent_state = &mut self.agents[agent];
            if let Some(resources) = agent_state.held.remove(&framework) {
                agent_state.free.add(&resources);
            }
            self.refresh_offerable(agent);
        }
        let allocated = self.frameworks[framework].allocated.clone();
        self.refund(framework, &allocated);
    }

    /// Drops what frameworks held on a removed agent: those resources have left the cluster.
    pub(super) fn forget_holdings(&mut self, agent: usize, held: &BTreeMap<usize, ResourceSet>) {
        for (&framework, resources) in held {
            self.frameworks[framework].held_on.remove(&agent);
            let quantities = self.scalar_names.quantities(resources);
            self.refund(framework, &quantities);
            self.forget_if_unregistered_and_idle(framework);
        }
    }

    /// Puts `framework`, and what it holds, in `role`.
    pub(super) fn assign_role(&mut self, framework: usize, role: usize) {
        let framework = &mut self.frameworks[framework];
        let previous = framework.role.replace(role);
        if previous == Some(role) {
            return;
        }
        if let Some(previous) = previous {
            let previous = &mut self.roles[previous];
            previous.allocated.subtract(&framework.allocated);
            previous.share = previous.allocated.dominant_share(&self.total);
        }
        let role = &mut self.roles[role];
        role.allocated.add(&framework.allocated);
        role.share = role.allocated.dominant_share(&self.total);
    }

    pub(super) fn grow_total(&mut self, resources: &ResourceSet) {
        self.scalar_names.learn(resources);
        self.total.add(&self.scalar_names.quantities(resources));
        self.refresh_shares();
    }

    pub(super) fn shrink_total(&mut self, resources: &ResourceSet) {
        self.total.subtract(&self.scalar_names.quantities(resources));
        self.refresh_shares();
    }

    pub(super) fn refresh_offerable(&mut self, agent: usize) {
        if self.config.allocatable(&self.agents[agent].free) {
            self.offerable.insert(agent);
        } else {
            self.offerable.remove(&agent);
        }
    }

    fn charge(&mut self, framework: usize, quantities: &Quantities) {
        let framework = &mut self.frameworks[framework];
        framework.allocated.add(quantities);
        framework.share = framework.allocated.dominant_share(&self.total);
        if let Some(role) = framework.role {
            let role = &mut self.roles[role];
            role.allocated.add(quantities);
            role.share = role.allocated.dominant_share(&self.total);
        }
    }

    fn refund(&mut self, framework: usize, quantities: &Quantities) {
        let framework = &mut self.frameworks[framework];
        framework.allocated.subtract(quantities);
        framework.share = framework.allocated.dominant_share(&self.total);
        if let Some(role) = framework.role {
            let role = &mut self.roles[role];
            role.allocated.subtract(quantities);
            role.share = role.allocated.dominant_share(&self.total);
        }
    }

    /// Every share, after the cluster total changed.
    fn refresh_shares(&mut self) {
        for framework in self.frameworks.values_mut() {
            framework.share = framework.allocated.dominant_share(&self.total);
        }
        for role in self.roles.values_mut() {
            role.share = role.allocated.dominant_share(&self.total);
        }
    }

    fn forget_if_unregistered_and_idle(&mut self, framework: usize) {
        let framework = &self.frameworks[framework];
        if framework.role.is_none() && framework.held_on.is_empty() {
            let id = framework.id.clone();
            self.frameworks.remove(&id);
        }
    }
}
