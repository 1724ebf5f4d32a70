//! One allocation cycle: the agents with offerable resources, in random order, each give their
//! whole free remainder to the framework DRF puts first there. The chosen framework's share,
//! and its role's, grow at once, so the next agent may go to someone else.

use std::mem;
use std::time::Instant;

use corral_wire::mesos::{AgentId, FrameworkId, ResourceSet};
use rand::seq::SliceRandom;

use super::Allocator;

/// Resources offered to a framework: the whole free remainder of one agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub framework_id: FrameworkId,
    pub agent_id: AgentId,
    pub resources: ResourceSet,
}

/// A framework that wants offers this cycle.
struct Candidate {
    framework: usize,
    role: usize,
    /// The position of its role's name among the candidates' roles: breaks ties between roles.
    role_rank: usize,
}

impl Allocator {
    /// A cycle over every agent.
    pub fn allocate(&mut self, now: Instant) -> Vec<Allocation> {
        let agents: Vec<usize> = self.offerable.iter().copied().collect();
        self.allocate_slots(agents, now)
    }

    /// A cycle over these agents only: one that just registered, or whose resources came back.
    pub fn allocate_agents(&mut self, agents: &[AgentId], now: Instant) -> Vec<Allocation> {
        let mut slots: Vec<usize> = agents
            .iter()
            .filter_map(|agent| self.agents.slot(agent))
            .filter(|slot| self.offerable.contains(slot))
            .collect();
        slots.sort_unstable();
        slots.dedup();
        self.allocate_slots(slots, now)
    }

    fn allocate_slots(&mut self, mut agents: Vec<usize>, now: Instant) -> Vec<Allocation> {
        let candidates = self.candidates();
        if candidates.is_empty() {
            return Vec::new();
        }
        agents.shuffle(&mut self.rng);
        let mut allocations = Vec::new();
        for agent in agents {
            if let Some(framework) = self.first_in_line(&candidates, agent, now) {
                allocations.push(self.offer_free_remainder(agent, framework));
            }
        }
        allocations
    }

    /// The frameworks that want offers, by role name then framework id: scanning them in this
    /// order and keeping the first of equal shares breaks ties by name, then by id.
    fn candidates(&self) -> Vec<Candidate> {
        let mut wanting: Vec<(&str, &FrameworkId, usize, usize)> = self
            .frameworks
            .iter()
            .filter(|(_, framework)| framework.wants_offers())
            .filter_map(|(slot, framework)| {
                let role = framework.role?;
                Some((self.roles[role].name.as_str(), &framework.id, slot, role))
            })
            .collect();
        wanting.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let mut role_rank = 0;
        let mut candidates: Vec<Candidate> = Vec::with_capacity(wanting.len());
        for (framework, role) in wanting.iter().map(|&(_, _, framework, role)| (framework, role)) {
            if candidates.last().is_some_and(|last| last.role != role) {
                role_rank += 1;
            }
            candidates.push(Candidate { framework, role, role_rank });
        }
        candidates
    }

    /// The candidate DRF puts first for the agent's free resources: lowest weighted role share,
    /// then role name, then lowest framework share, then framework id; filtered ones are skipped.
    fn first_in_line(&mut self, candidates: &[Candidate], agent: usize, now: Instant) -> Option<usize> {
        let free = &self.agents[agent].free;
        let mut best: Option<((f64, usize, f64), usize)> = None;
        for candidate in candidates {
            let framework = &mut self.frameworks[candidate.framework];
            let key = (self.roles[candidate.role].weighted_share(), candidate.role_rank, framework.share);
            if best.is_some_and(|(best_key, _)| key >= best_key) {
                continue;
            }
            if framework.filters.blocks(agent, free, now) {
                continue;
            }
            best = Some((key, candidate.framework));
        }
        best.map(|(_, framework)| framework)
    }

    fn offer_free_remainder(&mut self, agent: usize, framework: usize) -> Allocation {
        let resources = mem::take(&mut self.agents[agent].free);
        self.offerable.remove(&agent);
        self.hold(agent, framework, &resources);
        Allocation {
            framework_id: self.frameworks[framework].id.clone(),
            agent_id: self.agents[agent].id.clone(),
            resources,
        }
    }
}
