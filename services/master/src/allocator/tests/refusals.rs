//! Offer filters seen from outside: what a framework that refused resources is offered later.

use super::*;

const AGENT: &str = "cpus:4;mem:4096;ports:[31000-31009]";

struct Case<'a> {
    /// Frameworks besides `f`, which is first in line for the first offer.
    others: &'a [&'a str],
    /// What `f` launches from its offer of the whole agent; it gives back the rest with `refuse`.
    launched: &'a str,
    refuse: u64,
    /// Whether the launched task has finished (its resources came back) by the second cycle.
    finished: bool,
    /// Seconds after the refusal that the second cycle runs.
    after: u64,
    /// Who is offered what in the second cycle.
    offered: Option<(&'a str, &'a str)>,
}

fn check(case: Case<'_>) {
    let mut frameworks = vec![("f", "r")];
    frameworks.extend(case.others.iter().map(|name| (*name, "r")));
    let mut allocator = cluster(AllocatorConfig::default(), &[("s1", AGENT)], &frameworks);
    let start = Instant::now();
    let first = allocator.allocate(start);
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].framework_id.value.as_str(), &first[0].resources), ("f", &set(AGENT)));
    let launched = set(case.launched);
    let refusal = Refusal { duration: seconds(case.refuse), now: start };
    allocator.recover(&framework("f"), &agent("s1"), &set(AGENT).minus(&launched), Some(refusal));
    if case.finished {
        allocator.recover(&framework("f"), &agent("s1"), &launched, None);
    }
    audit(&allocator);
    let second = allocator.allocate(start + seconds(case.after));
    audit(&allocator);
    let second: Option<(&str, ResourceSet)> =
        second.iter().map(|a| (a.framework_id.value.as_str(), a.resources.clone())).next();
    let expected = case.offered.map(|(name, resources)| (name, set(resources)));
    assert_eq!(second, expected, "launched `{}`, refused for {} s, {} s later", case.launched, case.refuse, case.after);
}

#[test]
fn a_refusal_filters_what_was_refused_until_it_expires() {
    let task = "cpus:1;mem:1024;ports:[31000-31000]";
    let rest = "cpus:3;mem:3072;ports:[31001-31009]";
    #[rustfmt::skip]
    let cases = [
        Case { others: &[], launched: "", refuse: 5, finished: false, after: 1, offered: None },
        Case { others: &[], launched: "", refuse: 5, finished: false, after: 5, offered: Some(("f", AGENT)) },
        Case { others: &[], launched: "", refuse: 0, finished: false, after: 0, offered: Some(("f", AGENT)) },
        Case { others: &[], launched: task, refuse: 5, finished: false, after: 1, offered: None },
        Case { others: &[], launched: task, refuse: 5, finished: false, after: 6, offered: Some(("f", rest)) },
        // A finished task's resources make the free ones more than was refused.
        Case { others: &[], launched: task, refuse: 5, finished: true, after: 1, offered: Some(("f", AGENT)) },
        // Someone else is offered what f refused.
        Case { others: &["g"], launched: "", refuse: 5, finished: false, after: 1, offered: Some(("g", AGENT)) },
        Case { others: &["g"], launched: task, refuse: 5, finished: false, after: 1, offered: Some(("g", rest)) },
    ];
    for case in cases {
        check(case);
    }
}

#[test]
fn a_refusal_holds_on_its_agent_only_and_revive_clears_it() {
    let mut allocator = cluster(AllocatorConfig::default(), &[("s1", AGENT)], &[("f", "r")]);
    let now = Instant::now();
    let offer = allocator.allocate(now).remove(0);
    let refusal = Refusal { duration: seconds(3600), now };
    allocator.recover(&offer.framework_id, &offer.agent_id, &offer.resources, Some(refusal));
    allocator.add_agent(agent("s2"), set(AGENT), &[]);
    assert_eq!(who_got(&allocator.allocate(now)), [("s2".to_string(), "f".to_string())].into());
    assert_eq!(allocator.allocate(now), vec![]);
    allocator.revive(&framework("f"));
    assert_eq!(who_got(&allocator.allocate(now)), [("s1".to_string(), "f".to_string())].into());
    audit(&allocator);
}

#[test]
fn a_refusal_survives_disconnection_but_not_a_new_agent_under_the_same_id() {
    let mut allocator = cluster(AllocatorConfig::default(), &[("s1", AGENT)], &[("f", "r")]);
    let now = Instant::now();
    let offer = allocator.allocate(now).remove(0);
    allocator.recover(
        &offer.framework_id,
        &offer.agent_id,
        &offer.resources,
        Some(Refusal { duration: seconds(60), now }),
    );
    allocator.deactivate_framework(&framework("f"));
    allocator.activate_framework(&framework("f"));
    assert_eq!(allocator.allocate(now), vec![]);
    allocator.add_agent(agent("s1"), set(AGENT), &[]);
    assert_eq!(who_got(&allocator.allocate(now)), [("s1".to_string(), "f".to_string())].into());
}
