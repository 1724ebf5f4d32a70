//! A whole matching round at the size it must handle: 10,000 tasks of ten apps over 1,000 offers,
//! with constraints, checked for what must hold rather than timed.

use std::collections::{BTreeSet, HashMap};

use super::*;

#[test]
fn ten_thousand_tasks_fit_into_a_thousand_offers_without_breaking_a_rule() {
    let agents: Vec<Placement> =
        (0..1000).map(|i| agent(&format!("agent-{i}"), &format!("rack:r{}", i % 10))).collect();
    let resources = "cpus:16;mem:32768;ports:[31000-31099]";
    let apps: Vec<(TaskRequirements, usize)> = (0..10)
        .map(|app| {
            let constraints = match app {
                0..3 => vec![constraint(&["rack", "GROUP_BY", "10"]), constraint(&["hostname", "UNIQUE"])],
                3..7 => vec![constraint(&["hostname", "MAX_PER", "2"])],
                _ => vec![],
            };
            let needs = TaskRequirements { ports: vec![PortRequest::Dynamic; 2], constraints, ..task(1.0, 256.0) };
            (needs, 1000)
        })
        .collect();
    let mut placed: Vec<AppPlacements> =
        apps.iter().map(|(needs, _)| AppPlacements::new(&needs.constraints, &[])).collect();
    let mut wanted: Vec<usize> = apps.iter().map(|(_, count)| *count).collect();
    // (app, hostname) for every task, and the host ports used on each agent.
    let mut tasks: Vec<(usize, String)> = Vec::new();
    let mut ports_by_agent: HashMap<String, Vec<u16>> = HashMap::new();
    for (i, host) in agents.iter().enumerate() {
        let mut offer = matcher(host, resources).with_port_start(i as u64 * 7);
        for (app, (needs, _)) in apps.iter().enumerate() {
            let (launched, _) = offer.place_up_to(needs, &mut placed[app], wanted[app]);
            wanted[app] -= launched.len();
            for resources in launched {
                tasks.push((app, host.hostname.clone()));
                ports_by_agent.entry(host.hostname.clone()).or_default().extend(resources.ports());
            }
        }
    }
    assert_eq!(wanted, [0; 10], "every task placed");
    assert_eq!(tasks.len(), 10_000);
    for ports in ports_by_agent.values() {
        assert_eq!(ports.iter().collect::<BTreeSet<_>>().len(), ports.len(), "a host port handed out twice");
    }
    let mut per_host: HashMap<(usize, &str), usize> = HashMap::new();
    let mut per_rack: HashMap<(usize, String), usize> = HashMap::new();
    for (app, host) in &tasks {
        *per_host.entry((*app, host.as_str())).or_default() += 1;
        let rack = host.trim_start_matches("agent-").parse::<usize>().unwrap() % 10;
        *per_rack.entry((*app, format!("r{rack}"))).or_default() += 1;
    }
    for ((app, host), count) in &per_host {
        match app {
            0..3 => assert_eq!(*count, 1, "app {app} has {count} tasks on {host}"),
            3..7 => assert!(*count <= 2, "app {app} has {count} tasks on {host}"),
            _ => {}
        }
    }
    for ((app, rack), count) in &per_rack {
        if *app < 3 {
            assert_eq!(*count, 100, "app {app} has {count} tasks in rack {rack}");
        }
    }
}
