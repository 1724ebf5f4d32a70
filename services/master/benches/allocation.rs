//! Times allocation cycles at 10,000 agents and 100 frameworks (in 4 roles), through the
//! allocator's public API, and prints a markdown table. Run with `cargo bench --bench allocation`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use corral_master::allocator::{Allocation, Allocator, AllocatorConfig, Refusal};
use corral_wire::mesos::{AgentId, FrameworkId, ResourceSet};

const AGENTS: usize = 10_000;
const FRAMEWORKS: usize = 100;
const ROLES: usize = 4;
const RUNS: usize = 9;
const AGENT_RESOURCES: &str = "cpus:8;mem:32768;disk:100000;ports:[31000-32000]";

fn main() {
    let now = Instant::now();
    let mut rows = Vec::new();

    rows.push(measure("add 10,000 agents to an empty allocator", || {
        let start = Instant::now();
        let allocator = black_box(cluster());
        let elapsed = start.elapsed();
        drop(allocator);
        (elapsed, 0)
    }));

    rows.push(measure("one cycle, every agent free", || {
        let mut allocator = cluster();
        timed(|| allocator.allocate(now))
    }));

    rows.push(measure("one cycle, nothing free", || {
        let mut allocator = cluster();
        drop(allocator.allocate(now));
        // The first small allocation after 10,000 offers are freed pays for glibc consolidating its
        // free lists (several ms, whoever allocates); a steady state has long paid it.
        drop(allocator.allocate(now));
        timed(|| allocator.allocate(now))
    }));

    rows.push(measure("one cycle, nothing free, right after 10,000 offers were freed", || {
        let mut allocator = cluster();
        drop(allocator.allocate(now));
        timed(|| allocator.allocate(now))
    }));

    rows.push(measure("one cycle, 10% of agents free", || {
        let mut allocator = cluster();
        let offers = allocator.allocate(now);
        give_back(&mut allocator, offers.iter().step_by(10), None);
        timed(|| allocator.allocate(now))
    }));

    rows.push(measure("one cycle, 10% free, refused by their last holders", || {
        let mut allocator = cluster();
        let offers = allocator.allocate(now);
        give_back(&mut allocator, offers.iter().step_by(10), Some(Refusal { duration: Duration::from_secs(5), now }));
        timed(|| allocator.allocate(now))
    }));

    rows.push(measure("event-driven cycle over 1 agent", || {
        let mut allocator = cluster();
        let offers = allocator.allocate(now);
        give_back(&mut allocator, offers.iter().take(1), None);
        let agents = [offers[0].agent_id.clone()];
        timed(|| allocator.allocate_agents(&agents, now))
    }));

    println!("{AGENTS} agents of `{AGENT_RESOURCES}`, {FRAMEWORKS} frameworks in {ROLES} roles; {RUNS} runs each.\n");
    println!("| scenario | offers | median | min | max |");
    println!("|---|---:|---:|---:|---:|");
    for row in rows {
        println!("| {} | {} | {:.2?} | {:.2?} | {:.2?} |", row.name, row.offers, row.median, row.min, row.max);
    }
}

struct Row {
    name: &'static str,
    offers: usize,
    median: Duration,
    min: Duration,
    max: Duration,
}

/// Runs `run` (which times only what it means to) `RUNS` times.
fn measure(name: &'static str, mut run: impl FnMut() -> (Duration, usize)) -> Row {
    let mut times = Vec::with_capacity(RUNS);
    let mut offers = 0;
    for _ in 0..RUNS {
        let (time, count) = run();
        times.push(time);
        offers = count;
    }
    times.sort();
    Row { name, offers, median: times[RUNS / 2], min: times[0], max: times[RUNS - 1] }
}

fn timed(cycle: impl FnOnce() -> Vec<Allocation>) -> (Duration, usize) {
    let start = Instant::now();
    let allocations = black_box(cycle());
    (start.elapsed(), allocations.len())
}

fn cluster() -> Allocator {
    let mut allocator = Allocator::new(AllocatorConfig::default());
    let resources = ResourceSet::parse(AGENT_RESOURCES).unwrap();
    for framework in 0..FRAMEWORKS {
        allocator.add_framework(framework_id(framework), format!("role-{}", framework % ROLES), false);
    }
    for agent in 0..AGENTS {
        allocator.add_agent(agent_id(agent), resources.clone(), &[]);
    }
    allocator
}

fn give_back<'a>(allocator: &mut Allocator, offers: impl Iterator<Item = &'a Allocation>, refusal: Option<Refusal>) {
    for offer in offers {
        allocator.recover(&offer.framework_id, &offer.agent_id, &offer.resources, refusal);
    }
}

fn agent_id(n: usize) -> AgentId {
    AgentId::new(format!("20260101-000000-0000000000-0000-S{n}"))
}

fn framework_id(n: usize) -> FrameworkId {
    FrameworkId::new(format!("20260101-000000-0000000000-0000-{n:04}"))
}
