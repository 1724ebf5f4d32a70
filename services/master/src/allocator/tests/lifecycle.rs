//! Agents and frameworks coming and going, disconnecting, suppressing and reviving.

use super::*;

const AGENT: &str = "cpus:4;mem:4096;ports:[31000-31009]";

#[derive(Debug, Clone, Copy)]
enum Step {
    AddSuppressed,
    Suppress,
    Revive,
    Deactivate,
    Activate,
}

#[test]
fn only_connected_unsuppressed_frameworks_are_offered() {
    use Step::*;
    let cases: &[(&[Step], bool)] = &[
        (&[], true),
        (&[AddSuppressed], false),
        (&[AddSuppressed, Revive], true),
        (&[Suppress], false),
        (&[Suppress, Revive], true),
        (&[Suppress, Activate], false),
        (&[Deactivate], false),
        (&[Deactivate, Activate], true),
        (&[Deactivate, Revive], false),
        (&[Deactivate, Suppress, Activate], false),
    ];
    for &(steps, offered) in cases {
        let mut allocator = cluster(AllocatorConfig::default(), &[("s1", AGENT)], &[]);
        let f = framework("f");
        allocator.add_framework(f.clone(), "r".into(), matches!(steps.first(), Some(AddSuppressed)));
        for step in steps {
            match step {
                AddSuppressed => {}
                Suppress => allocator.suppress(&f),
                Revive => allocator.revive(&f),
                Deactivate => allocator.deactivate_framework(&f),
                Activate => allocator.activate_framework(&f),
            }
        }
        let allocations = allocator.allocate(Instant::now());
        assert_eq!(!allocations.is_empty(), offered, "after {steps:?}");
        audit(&allocator);
    }
}

#[test]
fn a_disconnected_framework_keeps_what_it_holds() {
    let mut allocator = cluster(AllocatorConfig::default(), &[("s1", AGENT), ("s2", AGENT)], &[("f", "r"), ("g", "r")]);
    let now = Instant::now();
    allocator.allocate(now);
    let held = allocator.dominant_share(&framework("f"));
    assert_eq!(held, 0.5);
    allocator.deactivate_framework(&framework("f"));
    assert_eq!(allocator.dominant_share(&framework("f")), held);
    let offer_of_f = ["s1", "s2"].into_iter().find(|s| allocator.allocated(&framework("f"), &agent(s)).is_some());
    let s = agent(offer_of_f.unwrap());
    allocator.recover(&framework("f"), &s, &set(AGENT), None);
    assert_eq!(who_got(&allocator.allocate(now)), [(s.value.clone(), "g".to_string())].into());
    audit(&allocator);
}

#[test]
fn an_agent_is_offered_once_until_its_resources_come_back() {
    let mut allocator = cluster(AllocatorConfig::default(), &[("s1", AGENT)], &[("f", "r"), ("g", "r")]);
    let now = Instant::now();
    assert_eq!(who_got(&allocator.allocate(now)), [("s1".to_string(), "f".to_string())].into());
    assert_eq!(allocator.allocate(now), vec![]);
    assert_eq!(allocator.available(&agent("s1")), Some(&ResourceSet::new()));
    // f keeps a task, gives back the rest (and, by mistake, more than it was offered).
    allocator.recover(&framework("f"), &agent("s1"), &set("cpus:3;mem:3072;disk:10;ports:[31005-31020]"), None);
    audit(&allocator);
    assert_eq!(allocator.allocated(&framework("f"), &agent("s1")), Some(&set("cpus:1;mem:1024;ports:[31000-31004]")));
    let allocations = allocator.allocate(now);
    assert_eq!(who_got(&allocations), [("s1".to_string(), "g".to_string())].into());
    assert_eq!(allocations[0].resources, set("cpus:3;mem:3072;ports:[31005-31009]"));
    audit(&allocator);
}

#[test]
fn too_little_free_is_not_offered() {
    // `(free resources after f's task, offered)`, with Mesos' minimum of cpus:0.01 or mem:32.
    let cases = [
        ("cpus:0.01", true),
        ("mem:32", true),
        ("cpus:0.009;mem:31;disk:1000", false),
        ("ports:[31000-31009]", false),
        ("", false),
    ];
    for (free, offered) in cases {
        let total = set("cpus:4;mem:4096;disk:1000;ports:[31000-31009]");
        let mut allocator = cluster(AllocatorConfig::default(), &[], &[("f", "r"), ("g", "r")]);
        allocator.add_agent(agent("s1"), total.clone(), &[(framework("f"), total.minus(&set(free)))]);
        audit(&allocator);
        assert_eq!(!allocator.allocate(Instant::now()).is_empty(), offered, "{free}");
    }
}

#[test]
fn removing_an_agent_takes_its_resources_out_of_every_share() {
    let mut allocator = cluster(AllocatorConfig::default(), &[("s1", AGENT), ("s2", AGENT)], &[("f", "r"), ("g", "r")]);
    let now = Instant::now();
    let allocations = allocator.allocate(now);
    let on_s1 = allocations.iter().find(|a| a.agent_id == agent("s1")).unwrap().framework_id.clone();
    let on_s2 = allocations.iter().find(|a| a.agent_id == agent("s2")).unwrap().framework_id.clone();
    allocator.remove_agent(&agent("s1"));
    audit(&allocator);
    assert_eq!(allocator.dominant_share(&on_s1), 0.0);
    assert_eq!(allocator.dominant_share(&on_s2), 1.0);
    assert_eq!(allocator.role_share("r"), 1.0);
    assert_eq!(allocator.available(&agent("s1")), None);
    assert_eq!(allocator.allocated(&on_s1, &agent("s1")), None);
    // The master rescinds the offer; that recovery finds nothing to give back.
    allocator.recover(&on_s1, &agent("s1"), &set(AGENT), None);
    allocator.remove_agent(&agent("s1"));
    audit(&allocator);
    assert_eq!(allocator.allocate(now), vec![]);
}

#[test]
fn removing_a_framework_frees_what_it_held() {
    let mut allocator = cluster(AllocatorConfig::default(), &[("s1", AGENT), ("s2", AGENT)], &[("f", "r")]);
    let now = Instant::now();
    assert_eq!(allocator.allocate(now).len(), 2);
    allocator.recover(&framework("f"), &agent("s2"), &set("cpus:3;mem:3072"), None);
    allocator.add_framework(framework("g"), "other".into(), false);
    allocator.remove_framework(&framework("f"));
    audit(&allocator);
    assert_eq!(allocator.dominant_share(&framework("f")), 0.0);
    assert_eq!(allocator.role_share("r"), 0.0);
    assert_eq!(allocator.available(&agent("s1")), Some(&set(AGENT)));
    allocator.recover(&framework("f"), &agent("s1"), &set(AGENT), None);
    let allocations = allocator.allocate(now);
    assert_eq!(counts(&allocations), expected_counts(&[("g", 2)]));
    assert!(allocations.iter().all(|a| a.resources == set(AGENT)));
    audit(&allocator);
}

#[test]
fn tasks_of_a_reregistered_agent_count_before_their_framework_returns() {
    let mut allocator = cluster(AllocatorConfig::default(), &[], &[("g", "r")]);
    let used = set("cpus:2;mem:1024;ports:[31000-31004]");
    allocator.add_agent(agent("s1"), set(AGENT), &[(framework("f"), used.clone())]);
    allocator.add_agent(agent("s2"), set(AGENT), &[(framework("gone"), set("cpus:1"))]);
    audit(&allocator);
    assert_eq!(allocator.dominant_share(&framework("f")), 0.25);
    assert_eq!(allocator.role_share("r"), 0.0);
    // f is not subscribed yet: everything free goes to g.
    let allocations = allocator.allocate(Instant::now());
    assert_eq!(counts(&allocations), expected_counts(&[("g", 2)]));
    for allocation in &allocations {
        allocator.recover(&allocation.framework_id, &allocation.agent_id, &allocation.resources, None);
    }
    allocator.add_framework(framework("f"), "r".into(), false);
    assert_eq!(allocator.role_share("r"), 0.25);
    assert_eq!(allocator.allocated(&framework("f"), &agent("s1")), Some(&used));
    // The tasks of a framework that never comes back are killed; their resources come back.
    allocator.recover(&framework("gone"), &agent("s2"), &set("cpus:1"), None);
    audit(&allocator);
    assert_eq!(allocator.available(&agent("s2")), Some(&set(AGENT)));
    assert!(allocator.frameworks.slot(&framework("gone")).is_none());
}

#[test]
fn a_framework_subscribing_again_may_change_role() {
    let mut allocator = cluster(AllocatorConfig::default(), &[("s1", AGENT), ("s2", AGENT)], &[("f", "x")]);
    allocator.add_agent(agent("s1"), set(AGENT), &[(framework("f"), set("cpus:2"))]);
    assert_eq!(allocator.role_share("x"), 0.25);
    allocator.add_framework(framework("f"), "y".into(), true);
    audit(&allocator);
    assert_eq!((allocator.role_share("x"), allocator.role_share("y")), (0.0, 0.25));
    assert_eq!(allocator.allocate(Instant::now()), vec![]);
}

#[test]
fn allocate_agents_visits_only_the_named_agents() {
    let mut allocator =
        cluster(AllocatorConfig::default(), &[("s1", AGENT), ("s2", AGENT), ("s3", AGENT)], &[("f", "r")]);
    let now = Instant::now();
    let allocations = allocator.allocate_agents(&[agent("s2"), agent("unknown"), agent("s2")], now);
    assert_eq!(who_got(&allocations), [("s2".to_string(), "f".to_string())].into());
    assert_eq!(allocator.allocate_agents(&[agent("s2")], now), vec![]);
    assert_eq!(allocator.allocate(now).len(), 2);
    audit(&allocator);
}

#[test]
fn adding_a_known_agent_replaces_it() {
    let mut allocator = cluster(AllocatorConfig::default(), &[("s1", AGENT)], &[("f", "r")]);
    allocator.allocate(Instant::now());
    allocator.add_agent(agent("s1"), set("cpus:8;mem:8192"), &[(framework("f"), set("cpus:1;mem:128"))]);
    audit(&allocator);
    assert_eq!(allocator.allocated(&framework("f"), &agent("s1")), Some(&set("cpus:1;mem:128")));
    assert_eq!(allocator.available(&agent("s1")), Some(&set("cpus:7;mem:8064")));
}
