//! A long random run of everything the master may do, checking after every step that no
//! resource is offered twice, offers come from free resources only, and the books balance.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

/// The master's view: what is out on each agent, as offers and as tasks.
#[derive(Default)]
struct Outstanding {
    offers: Vec<Allocation>,
    /// `(framework, agent, resources)`.
    tasks: Vec<(FrameworkId, AgentId, ResourceSet)>,
}

impl Outstanding {
    fn forget_agent(&mut self, gone: &AgentId) {
        self.offers.retain(|offer| offer.agent_id != *gone);
        self.tasks.retain(|(_, agent, _)| agent != gone);
    }

    fn forget_framework(&mut self, gone: &FrameworkId) {
        self.offers.retain(|offer| offer.framework_id != *gone);
        self.tasks.retain(|(framework, _, _)| framework != gone);
    }

    /// Every agent's free resources, outstanding offers and tasks make its total.
    fn check(&self, allocator: &Allocator, totals: &BTreeMap<AgentId, ResourceSet>) {
        for (id, total) in totals {
            let mut accounted = allocator.available(id).unwrap().clone();
            for offer in self.offers.iter().filter(|offer| offer.agent_id == *id) {
                accounted.add(&offer.resources);
            }
            for (_, _, resources) in self.tasks.iter().filter(|(_, agent, _)| agent == id) {
                accounted.add(resources);
            }
            assert_eq!(&accounted, total, "{id}");
        }
    }
}

#[test]
fn random_operations_keep_the_books() {
    for seed in 0..8 {
        run(seed, 400);
    }
}

fn run(seed: u64, steps: usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let config = AllocatorConfig { seed, role_weights: [("b".to_string(), 2.0)].into(), ..AllocatorConfig::default() };
    let mut allocator = Allocator::new(config);
    let mut totals: BTreeMap<AgentId, ResourceSet> = BTreeMap::new();
    let mut out = Outstanding::default();
    let start = Instant::now();
    let frameworks: Vec<FrameworkId> = (0..5).map(|i| framework(&format!("f{i}"))).collect();
    let agents: Vec<AgentId> = (0..12).map(|i| agent(&format!("s{i}"))).collect();
    let task = set("cpus:0.5;mem:256;ports:[31000-31000]");
    let (mut offers_made, mut tasks_launched) = (0, 0);
    for step in 0..steps {
        let now = start + Duration::from_millis(step as u64 * 100);
        let framework = &frameworks[rng.gen_range(0..frameworks.len())];
        let agent = &agents[rng.gen_range(0..agents.len())];
        match rng.gen_range(0..100) {
            0..=4 => {
                out.forget_agent(agent);
                let total = set(&format!("cpus:{};mem:4096;ports:[31000-31004]", rng.gen_range(1..5)));
                allocator.add_agent(agent.clone(), total.clone(), &[]);
                totals.insert(agent.clone(), total);
            }
            5..=6 => {
                allocator.remove_agent(agent);
                out.forget_agent(agent);
                totals.remove(agent);
            }
            7..=10 => {
                let role = ["a", "b"][rng.gen_range(0..2)];
                allocator.add_framework(framework.clone(), role.to_string(), rng.gen_bool(0.2));
            }
            11 => {
                allocator.remove_framework(framework);
                out.forget_framework(framework);
            }
            12..=14 => allocator.deactivate_framework(framework),
            15..=18 => allocator.activate_framework(framework),
            19..=21 => allocator.suppress(framework),
            22..=26 => allocator.revive(framework),
            27..=50 => {
                let before: BTreeMap<AgentId, ResourceSet> =
                    totals.keys().map(|id| (id.clone(), allocator.available(id).unwrap().clone())).collect();
                let allocations = if rng.gen_bool(0.5) {
                    allocator.allocate(now)
                } else {
                    allocator.allocate_agents(&agents[..6], now)
                };
                let mut visited = BTreeMap::new();
                for allocation in &allocations {
                    assert_eq!(
                        allocation.resources, before[&allocation.agent_id],
                        "an offer is the whole free remainder"
                    );
                    assert!(visited.insert(allocation.agent_id.clone(), ()).is_none(), "an agent offered twice");
                }
                offers_made += allocations.len();
                out.offers.extend(allocations);
            }
            51..=80 if !out.offers.is_empty() => {
                // The framework answers an offer: it launches tasks that fit, and gives back the rest.
                let offer = out.offers.swap_remove(rng.gen_range(0..out.offers.len()));
                let mut rest = offer.resources.clone();
                for _ in 0..rng.gen_range(0..4) {
                    if !rest.contains(&task) {
                        break;
                    }
                    let ports = rest.ranges("ports").first().map(|(begin, _)| *begin).unwrap_or(0);
                    let launched = set(&format!("cpus:0.5;mem:256;ports:[{ports}-{ports}]"));
                    if !rest.contains(&launched) {
                        break;
                    }
                    rest.subtract(&launched);
                    out.tasks.push((offer.framework_id.clone(), offer.agent_id.clone(), launched));
                    tasks_launched += 1;
                }
                let refusal = Refusal { duration: Duration::from_millis(rng.gen_range(0..2000)), now };
                allocator.recover(&offer.framework_id, &offer.agent_id, &rest, rng.gen_bool(0.7).then_some(refusal));
            }
            88.. if !out.tasks.is_empty() => {
                let (framework, agent, resources) = out.tasks.swap_remove(rng.gen_range(0..out.tasks.len()));
                allocator.recover(&framework, &agent, &resources, None);
            }
            _ => {}
        }
        audit(&allocator);
        out.check(&allocator, &totals);
    }
    assert!(
        offers_made > steps / 20 && tasks_launched > steps / 20,
        "seed {seed}: {offers_made} offers, {tasks_launched} tasks"
    );
}
