//! Tests of the allocator through its public API; after each step they also audit its books
//! (the invariants listed in `ledger.rs`) from the inside.

mod drf;
mod invariants;
mod lifecycle;
mod refusals;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use corral_wire::mesos::{AgentId, FrameworkId, ResourceSet};

use super::quantities::Quantities;
use super::{Allocation, Allocator, AllocatorConfig, Refusal};

fn set(text: &str) -> ResourceSet {
    ResourceSet::parse(text).unwrap()
}

fn agent(name: &str) -> AgentId {
    AgentId::new(name)
}

fn framework(name: &str) -> FrameworkId {
    FrameworkId::new(name)
}

fn seconds(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

/// An allocator with these agents (`(name, resources)`) and frameworks (`(name, role)`).
fn cluster(config: AllocatorConfig, agents: &[(&str, &str)], frameworks: &[(&str, &str)]) -> Allocator {
    let mut allocator = Allocator::new(config);
    for (name, resources) in agents {
        allocator.add_agent(agent(name), set(resources), &[]);
    }
    for (name, role) in frameworks {
        allocator.add_framework(framework(name), role.to_string(), false);
    }
    audit(&allocator);
    allocator
}

/// `agent -> framework` for each allocation, for tables that say who got what.
fn who_got(allocations: &[Allocation]) -> BTreeMap<String, String> {
    allocations.iter().map(|a| (a.agent_id.value.clone(), a.framework_id.value.clone())).collect()
}

/// How many allocations each framework got.
fn counts(allocations: &[Allocation]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for allocation in allocations {
        *counts.entry(allocation.framework_id.value.clone()).or_default() += 1;
    }
    counts
}

fn expected_counts(expected: &[(&str, usize)]) -> BTreeMap<String, usize> {
    expected.iter().filter(|(_, count)| *count > 0).map(|(name, count)| (name.to_string(), *count)).collect()
}

/// Checks the invariants of `ledger.rs` against the allocator's internals.
fn audit(allocator: &Allocator) {
    let names = &allocator.scalar_names;
    let mut total = Quantities::default();
    let mut held_by: BTreeMap<usize, Quantities> = BTreeMap::new();
    for (slot, agent) in allocator.agents.iter() {
        total.add(&names.quantities(&agent.total));
        let mut accounted = agent.free.clone();
        for (framework, resources) in &agent.held {
            assert!(!resources.is_empty(), "{} holds nothing on {}", framework, agent.id);
            assert!(allocator.frameworks[*framework].held_on.contains(&slot), "held_on misses {}", agent.id);
            accounted.add(resources);
            held_by.entry(*framework).or_default().add(&names.quantities(resources));
        }
        assert_eq!(accounted, agent.total, "free and held resources of {} make its total", agent.id);
        let offerable = allocator.config.allocatable(&agent.free);
        assert_eq!(allocator.offerable.contains(&slot), offerable, "offerable {}", agent.id);
    }
    assert_eq!(allocator.total, total, "the cluster total");
    let mut role_allocated: BTreeMap<usize, Quantities> = BTreeMap::new();
    for (slot, framework) in allocator.frameworks.iter() {
        let held = held_by.remove(&slot).unwrap_or_default();
        assert_eq!(framework.allocated, held, "allocated to {}", framework.id);
        assert_eq!(framework.share, held.dominant_share(&total), "share of {}", framework.id);
        for agent in &framework.held_on {
            assert!(allocator.agents[*agent].held.contains_key(&slot), "{} held_on a stale agent", framework.id);
        }
        match framework.role {
            Some(role) => role_allocated.entry(role).or_default().add(&held),
            None => assert!(!framework.held_on.is_empty(), "{} is unregistered and idle", framework.id),
        }
    }
    assert!(held_by.is_empty(), "resources held by unknown frameworks");
    for (slot, role) in allocator.roles.iter() {
        let allocated = role_allocated.remove(&slot).unwrap_or_default();
        assert_eq!(role.allocated, allocated, "allocated to role {}", role.name);
        assert_eq!(role.share, allocated.dominant_share(&total), "share of role {}", role.name);
    }
}
