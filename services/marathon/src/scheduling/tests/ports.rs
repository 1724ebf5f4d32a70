//! Host ports: dynamic, fixed, `requirePorts`, bridge mappings without a host port, ports not
//! offered, and tasks of one offer never sharing a port.

use std::collections::BTreeSet;

use super::*;

use PortRequest::{Dynamic, Fixed, NoHostPort};

struct Case<'a> {
    offered: &'a str,
    requests: Vec<PortRequest>,
    /// Where dynamic ports start.
    start: u64,
    host_ports: Result<Vec<Option<u16>>, &'a str>,
}

fn check(cases: Vec<Case<'_>>) {
    for case in cases {
        let resources = format!("cpus:1;mem:64;{}", case.offered);
        let mut offer = matcher(&agent("a", ""), &resources).with_port_start(case.start);
        let needs = TaskRequirements { ports: case.requests.clone(), ..task(0.1, 1.0) };
        let placed = offer.place(&needs, &mut AppPlacements::default());
        let placed = placed.as_ref().map(|resources| resources.host_ports.clone()).map_err(|why| why.to_string());
        let expected = case.host_ports.clone().map_err(String::from);
        assert_eq!(placed, expected, "{:?} from {} starting at {}", case.requests, case.offered, case.start);
        if let Ok(chosen) = &case.host_ports {
            let left: Vec<u64> = offer.left().range_values("ports").collect();
            assert!(chosen.iter().flatten().all(|port| !left.contains(&u64::from(*port))), "chosen ports are taken");
        }
    }
}

#[test]
fn dynamic_ports_are_any_offered_ones_from_the_start_point_on() {
    let five = "ports:[31000-31004]";
    let split = "ports:[31000-31001,32000-32001]";
    #[rustfmt::skip]
    check(vec![
        Case { offered: five, requests: vec![Dynamic, Dynamic], start: 0, host_ports: Ok(vec![Some(31000), Some(31001)]) },
        Case { offered: five, requests: vec![Dynamic, Dynamic], start: 3, host_ports: Ok(vec![Some(31003), Some(31004)]) },
        Case { offered: five, requests: vec![Dynamic, Dynamic], start: 4, host_ports: Ok(vec![Some(31004), Some(31000)]) },
        Case { offered: five, requests: vec![Dynamic, Dynamic], start: 7, host_ports: Ok(vec![Some(31002), Some(31003)]) },
        Case { offered: split, requests: vec![Dynamic; 3], start: 1, host_ports: Ok(vec![Some(31001), Some(32000), Some(32001)]) },
        Case { offered: split, requests: vec![Dynamic; 3], start: 3, host_ports: Ok(vec![Some(32001), Some(31000), Some(31001)]) },
        Case { offered: five, requests: vec![Dynamic; 5], start: 2, host_ports: Ok((31000..31005).map(|p| Some((p - 31000 + 2) % 5 + 31000)).collect()) },
        Case { offered: five, requests: vec![Dynamic; 6], start: 0, host_ports: Err("6 dynamic host ports wanted, 5 offered") },
        Case { offered: "", requests: vec![Dynamic], start: 0, host_ports: Err("1 dynamic host ports wanted, 0 offered") },
        Case { offered: "", requests: vec![], start: 0, host_ports: Ok(vec![]) },
    ]);
}

#[test]
fn fixed_ports_must_be_offered_and_dynamic_ones_avoid_them() {
    let five = "ports:[31000-31004]";
    #[rustfmt::skip]
    check(vec![
        Case { offered: five, requests: vec![Fixed(31003)], start: 0, host_ports: Ok(vec![Some(31003)]) },
        Case { offered: five, requests: vec![Dynamic, Fixed(31002)], start: 2, host_ports: Ok(vec![Some(31003), Some(31002)]) },
        Case { offered: five, requests: vec![Fixed(80)], start: 0, host_ports: Err("host port 80 is not offered") },
        Case { offered: five, requests: vec![Fixed(31000), Fixed(31000)], start: 0, host_ports: Err("host port 31000 is requested twice") },
        Case { offered: five, requests: vec![Fixed(31000), Dynamic, Dynamic, Dynamic, Dynamic], start: 0,
               host_ports: Ok(vec![Some(31000), Some(31001), Some(31002), Some(31003), Some(31004)]) },
        Case { offered: five, requests: vec![Fixed(31000), Dynamic, Dynamic, Dynamic, Dynamic, Dynamic], start: 0,
               host_ports: Err("5 dynamic host ports wanted, 4 offered") },
        Case { offered: "ports:[70000-70010]", requests: vec![Dynamic], start: 0, host_ports: Err("1 dynamic host ports wanted, 0 offered") },
    ]);
}

#[test]
fn networking_modes_become_port_requests() {
    let offered = "ports:[10000-10001,31000-31004]";
    #[rustfmt::skip]
    check(vec![
        // HOST networking with requirePorts: the declared (service) ports themselves.
        Case { offered, requests: PortRequest::for_port_definitions(&[10001, 10000], true), start: 0,
               host_ports: Ok(vec![Some(10001), Some(10000)]) },
        Case { offered, requests: PortRequest::for_port_definitions(&[10005], true), start: 0,
               host_ports: Err("host port 10005 is not offered") },
        // Without requirePorts any offered ports.
        Case { offered, requests: PortRequest::for_port_definitions(&[10005, 10006], false), start: 2,
               host_ports: Ok(vec![Some(31000), Some(31001)]) },
        // BRIDGE: no hostPort takes nothing, 0 any port, a number that port.
        Case { offered, requests: PortRequest::for_port_mappings(&[None, Some(0), Some(31004)]), start: 0,
               host_ports: Ok(vec![None, Some(10000), Some(31004)]) },
        Case { offered: "", requests: PortRequest::for_port_mappings(&[None, None]), start: 0, host_ports: Ok(vec![None, None]) },
    ]);
    assert_eq!(PortRequest::for_port_definitions(&[0, 80], true), [Dynamic, Fixed(80)]);
    assert_eq!(PortRequest::for_port_mappings(&[Some(8080)]), [Fixed(8080)]);
    assert_eq!(PortRequest::for_port_mappings(&[None]), [NoHostPort]);
}

#[test]
fn tasks_of_one_offer_never_share_a_port() {
    for start in [0, 4, 9, 12345] {
        let mut offer =
            matcher(&agent("a", ""), "cpus:100;mem:10000;ports:[31000-31004,31100-31104]").with_port_start(start);
        let three = TaskRequirements { ports: vec![Dynamic; 3], ..task(0.1, 1.0) };
        let mut placed = AppPlacements::default();
        let (launched, why) = offer.place_up_to(&three, &mut placed, 10);
        assert_eq!(launched.len(), 3, "nine of ten ports, start {start}");
        assert_eq!(why, Some(NoMatch::InsufficientPorts("3 dynamic host ports wanted, 1 offered".into())));
        let ports: BTreeSet<u16> = launched.iter().flat_map(TaskResources::ports).collect();
        assert_eq!(ports.len(), 9, "start {start}: {ports:?}");
        let left: Vec<u64> = offer.left().range_values("ports").collect();
        assert_eq!(left.len(), 1);
        assert!(!ports.contains(&(left[0] as u16)));
        for resources in &launched {
            let ranges: BTreeSet<u16> = resources.total().range_values("ports").map(|p| p as u16).collect();
            assert_eq!(ranges, resources.ports().into_iter().collect(), "the ports resource holds the host ports");
        }
    }
}
