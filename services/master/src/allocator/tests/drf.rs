//! Dominant Resource Fairness: who gets the next agent, and where repeated offers converge.

use super::*;

/// Frameworks launch one task per offer, when it fits, and give back the rest; an offer the task
/// does not fit is declined for 5 s. Runs cycles (the clock standing still) until no offer is
/// made, and returns how many tasks each framework launched.
fn launch_until_quiet(allocator: &mut Allocator, tasks: &[(&str, &str)]) -> BTreeMap<String, usize> {
    let now = Instant::now();
    let tasks: BTreeMap<FrameworkId, ResourceSet> =
        tasks.iter().map(|(name, task)| (framework(name), set(task))).collect();
    let mut launched = BTreeMap::new();
    for _ in 0..10_000 {
        let allocations = allocator.allocate(now);
        if allocations.is_empty() {
            return launched;
        }
        for Allocation { framework_id, agent_id, resources } in allocations {
            let task = &tasks[&framework_id];
            if resources.contains(task) {
                *launched.entry(framework_id.value.clone()).or_default() += 1;
                allocator.recover(&framework_id, &agent_id, &resources.minus(task), None);
            } else {
                allocator.recover(&framework_id, &agent_id, &resources, Some(Refusal { duration: seconds(5), now }));
            }
        }
        audit(allocator);
    }
    panic!("offers never stopped");
}

struct Convergence<'a> {
    weights: &'a [(&'a str, f64)],
    agents: &'a [(&'a str, &'a str)],
    /// `(name, role, task)`.
    frameworks: &'a [(&'a str, &'a str, &'a str)],
    tasks: &'a [(&'a str, usize)],
}

fn check_convergence(case: Convergence<'_>) {
    let config = AllocatorConfig {
        role_weights: case.weights.iter().map(|(role, weight)| (role.to_string(), *weight)).collect(),
        ..AllocatorConfig::default()
    };
    let roles: Vec<(&str, &str)> = case.frameworks.iter().map(|(name, role, _)| (*name, *role)).collect();
    let mut allocator = cluster(config, case.agents, &roles);
    let tasks: Vec<(&str, &str)> = case.frameworks.iter().map(|(name, _, task)| (*name, *task)).collect();
    assert_eq!(launch_until_quiet(&mut allocator, &tasks), expected_counts(case.tasks));
}

#[test]
fn repeated_offers_converge_to_drf() {
    // The DRF paper's example: 9 CPUs and 18 GB; A runs <1 CPU, 4 GB> tasks, B <3 CPUs, 1 GB>.
    // A gets 3 tasks and B 2, both at a dominant share of 2/3.
    let paper = [("a", "analytics", "cpus:1;mem:4096"), ("b", "analytics", "cpus:3;mem:1024")];
    check_convergence(Convergence {
        weights: &[],
        agents: &[("s1", "cpus:9;mem:18432")],
        frameworks: &paper,
        tasks: &[("a", 3), ("b", 2)],
    });
    // The same with one framework per role: roles are compared the same way.
    check_convergence(Convergence {
        weights: &[],
        agents: &[("s1", "cpus:9;mem:18432")],
        frameworks: &[("a", "analytics", "cpus:1;mem:4096"), ("b", "batch", "cpus:3;mem:1024")],
        tasks: &[("a", 3), ("b", 2)],
    });
    // Equal demands share equally, across agents.
    check_convergence(Convergence {
        weights: &[],
        agents: &[("s1", "cpus:6;mem:6144"), ("s2", "cpus:6;mem:6144")],
        frameworks: &[("a", "r", "cpus:1;mem:1024"), ("b", "r", "cpus:1;mem:1024"), ("c", "r", "cpus:1;mem:1024")],
        tasks: &[("a", 4), ("b", 4), ("c", 4)],
    });
    // A role of weight 2 ends with twice the dominant share.
    check_convergence(Convergence {
        weights: &[("gold", 2.0)],
        agents: &[("s1", "cpus:10;mem:10240"), ("s2", "cpus:10;mem:10240"), ("s3", "cpus:10;mem:10240")],
        frameworks: &[("g", "gold", "cpus:1;mem:512"), ("s", "silver", "cpus:1;mem:512")],
        tasks: &[("g", 20), ("s", 10)],
    });
    // A framework whose tasks fit nowhere declines, and the others get everything.
    check_convergence(Convergence {
        weights: &[],
        agents: &[("s1", "cpus:8;mem:8192"), ("s2", "cpus:8;mem:8192")],
        frameworks: &[("big", "r", "cpus:16;mem:1024"), ("small", "r", "cpus:1;mem:1024")],
        tasks: &[("big", 0), ("small", 16)],
    });
}

#[test]
fn shares_grow_within_a_cycle() {
    // `(agents, frameworks as (name, role), weights, allocations per framework in one cycle)`.
    type Case<'a> = (usize, &'a [(&'a str, &'a str)], &'a [(&'a str, f64)], &'a [(&'a str, usize)]);
    let cases: &[Case<'_>] = &[
        (4, &[("a", "r"), ("b", "r")], &[], &[("a", 2), ("b", 2)]),
        (9, &[("a", "r"), ("b", "r"), ("c", "r")], &[], &[("a", 3), ("b", 3), ("c", 3)]),
        (1, &[("b", "r"), ("a", "r")], &[], &[("a", 1)]),
        // Roles first: role x's two frameworks split what role y's one framework gets alone.
        (4, &[("x1", "x"), ("x2", "x"), ("y1", "y")], &[], &[("x1", 1), ("x2", 1), ("y1", 2)]),
        (30, &[("g", "gold"), ("s", "silver")], &[("gold", 2.0)], &[("g", 20), ("s", 10)]),
        (12, &[("g", "gold"), ("s", "silver")], &[("gold", 3.0)], &[("g", 9), ("s", 3)]),
        (6, &[("a", "r"), ("b", "r")], &[("r", 5.0)], &[("a", 3), ("b", 3)]),
    ];
    for &(agents, frameworks, weights, expected) in cases {
        let config = AllocatorConfig {
            role_weights: weights.iter().map(|(role, weight)| (role.to_string(), *weight)).collect(),
            ..AllocatorConfig::default()
        };
        let names: Vec<String> = (0..agents).map(|i| format!("s{i}")).collect();
        let agents: Vec<(&str, &str)> = names.iter().map(|name| (name.as_str(), "cpus:4;mem:4096")).collect();
        let mut allocator = cluster(config, &agents, frameworks);
        let allocations = allocator.allocate(Instant::now());
        audit(&allocator);
        assert_eq!(counts(&allocations), expected_counts(expected), "{frameworks:?} with weights {weights:?}");
    }
}

#[test]
fn weighted_role_shares_are_proportional_to_weights() {
    let config = AllocatorConfig { role_weights: [("gold".to_string(), 2.0)].into(), ..AllocatorConfig::default() };
    let names: Vec<String> = (0..300).map(|i| format!("s{i}")).collect();
    let agents: Vec<(&str, &str)> = names.iter().map(|name| (name.as_str(), "cpus:2;mem:4096")).collect();
    let mut allocator = cluster(config, &agents, &[("g1", "gold"), ("g2", "gold"), ("s1", "silver")]);
    allocator.allocate(Instant::now());
    let (gold, silver) = (allocator.role_share("gold"), allocator.role_share("silver"));
    assert!((gold / silver - 2.0).abs() < 0.02, "gold {gold}, silver {silver}");
    assert!((allocator.dominant_share(&framework("g1")) - gold / 2.0).abs() < 0.01);
    assert!((allocator.dominant_share(&framework("s1")) - silver).abs() < 1e-12);
}

#[test]
fn the_dominant_resource_decides() {
    // a's tasks use most of the memory, b's most of the CPUs. The next agent goes to whoever's
    // dominant share is lower, b at 8/10 of the CPUs, though a has fewer CPUs and the lower id.
    let mut allocator = cluster(AllocatorConfig::default(), &[("next", "cpus:1;mem:1024")], &[("a", "r"), ("b", "r")]);
    allocator.add_agent(agent("mem-heavy"), set("cpus:1;mem:9216"), &[(framework("a"), set("cpus:1;mem:9216"))]);
    allocator.add_agent(agent("cpu-heavy"), set("cpus:8;mem:512"), &[(framework("b"), set("cpus:8;mem:512"))]);
    audit(&allocator);
    assert_eq!(allocator.dominant_share(&framework("a")), 9216.0 / 10752.0);
    assert_eq!(allocator.dominant_share(&framework("b")), 8.0 / 10.0);
    assert_eq!(who_got(&allocator.allocate(Instant::now())), [("next".to_string(), "b".to_string())].into());
}
