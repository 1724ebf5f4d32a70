//! Placing tasks into one offer: scalars to the thousandth, roles, several tasks and apps per offer,
//! and why a task does not fit.

use super::*;

#[test]
fn scalars_are_taken_exactly_until_the_offer_is_used_up() {
    let host = agent("a", "");
    let mut offer = matcher(&host, "cpus:1;mem:100;disk:50");
    let mut placed = AppPlacements::default();
    let small = TaskRequirements { disk: 5.0, ..task(0.1, 10.0) };
    let (launched, why) = offer.place_up_to(&small, &mut placed, 20);
    assert_eq!(launched.len(), 10);
    assert!(launched.iter().all(|resources| resources.total() == set("cpus:0.1;mem:10;disk:5")));
    let why = why.unwrap();
    assert_eq!(why, NoMatch::Insufficient { resource: ScalarResource::Cpus, wanted: 0.1, available: 0.0 });
    assert_eq!((why.kind(), why.to_string().as_str()), ("InsufficientCpus", "cpus: 0.1 wanted, 0 available"));
    assert!(offer.left().is_empty(), "left: {}", offer.left());
    assert_eq!(placed.len(), 10);
}

#[test]
fn the_first_scalar_short_is_the_reason() {
    #[rustfmt::skip]
    let cases: &[(TaskRequirements, Result<&str, &str>)] = &[
        (task(1.0, 128.0), Ok("cpus:1;mem:128")),
        (task(2.5, 128.0), Err("InsufficientCpus: cpus: 2.5 wanted, 2 available")),
        (task(1.0, 256.0), Err("InsufficientMemory: mem: 256 wanted, 200.5 available")),
        (TaskRequirements { disk: 1.0, ..task(1.0, 1.0) }, Err("InsufficientDisk: disk: 1 wanted, 0 available")),
        (TaskRequirements { gpus: 1.0, ..task(1.0, 1.0) }, Err("InsufficientGpus: gpus: 1 wanted, 0 available")),
        (task(2.0, 200.5), Ok("cpus:2;mem:200.5")),
        (task(0.0, 0.0), Ok("")),
    ];
    for (needs, expected) in cases {
        let mut offer = matcher(&agent("a", ""), "cpus:2;mem:200.5");
        let placed = offer.place(needs, &mut AppPlacements::default());
        let placed = placed.map(|r| r.total()).map_err(|why| format!("{}: {why}", why.kind()));
        assert_eq!(placed, expected.map(set).map_err(String::from), "{needs:?}");
    }
}

#[test]
fn resources_come_only_from_accepted_roles_in_offer_order() {
    let host = agent("a", "");
    let both = [("slave_public", "cpus:0.5;mem:64;ports:[80-80]"), ("*", "cpus:1;mem:128;ports:[31000-31001]")];
    let only_public = [("slave_public", "cpus:4;mem:1024")];
    let web = |roles: &[&str]| TaskRequirements {
        accepted_roles: strings(roles),
        ports: vec![PortRequest::Fixed(80), PortRequest::Dynamic],
        ..task(1.0, 100.0)
    };
    /// The offer by role, the task, and what it takes by role or why it does not fit.
    type Case<'a> = (&'a [(&'a str, &'a str)], TaskRequirements, Result<Vec<(&'a str, &'a str)>, &'a str>);
    #[rustfmt::skip]
    let cases: &[Case<'_>] = &[
        // Both roles accepted: slave_public first (the offer names it first), the rest from *.
        (&both, web(&["*", "slave_public"]), Ok(vec![
            ("slave_public", "cpus:0.5;mem:64;ports:[80-80]"),
            ("*", "cpus:0.5;mem:36;ports:[31000-31000]"),
        ])),
        // Only * by default: port 80 is not there.
        (&both, web(&[]), Err("InsufficientPorts")),
        (&both, web(&["slave_public"]), Err("InsufficientCpus")),
        (&only_public, task(1.0, 1.0), Err("UnfulfilledRole")),
        (&only_public, TaskRequirements { accepted_roles: strings(&["slave_public"]), ..task(1.0, 1.0) },
         Ok(vec![("slave_public", "cpus:1;mem:1")])),
    ];
    for (by_role, needs, expected) in cases {
        let mut offer = OfferMatcher::new(&offer(&host, by_role)).unwrap();
        let placed = offer.place(needs, &mut AppPlacements::default());
        let placed = placed.map(|r| r.by_role).map_err(|why| why.kind());
        let expected =
            expected.clone().map(|roles| roles.iter().map(|(role, text)| (role.to_string(), set(text))).collect());
        assert_eq!(placed, expected, "{by_role:?} with roles {:?}", needs.accepted_roles);
    }
}

#[test]
fn mesos_resources_carry_their_role() {
    let host = agent("a", "");
    let mut offer =
        OfferMatcher::new(&offer(&host, &[("slave_public", "cpus:1;ports:[80-80]"), ("*", "mem:64")])).unwrap();
    let needs = TaskRequirements {
        accepted_roles: strings(&["slave_public", "*"]),
        ports: vec![PortRequest::Fixed(80)],
        ..task(1.0, 64.0)
    };
    let resources = offer.place(&needs, &mut AppPlacements::default()).unwrap();
    let json = serde_json::to_value(resources.to_resources()).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.0}, "role": "slave_public"},
            {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 80, "end": 80}]}, "role": "slave_public"},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 64.0}, "role": "*"},
        ])
    );
    assert_eq!(resources.ports(), [80]);
}

#[test]
fn several_apps_share_one_offer() {
    let host = agent("a", "");
    let mut offer = matcher(&host, "cpus:4;mem:1024;ports:[31000-31009]");
    let (mut web_placed, mut db_placed) = (AppPlacements::default(), AppPlacements::default());
    let web = TaskRequirements { ports: vec![PortRequest::Dynamic], ..task(1.0, 128.0) };
    let db = TaskRequirements { ports: vec![PortRequest::Fixed(31000)], ..task(2.0, 512.0) };
    let (webs, why) = offer.place_up_to(&web, &mut web_placed, 2);
    assert_eq!((webs.len(), why), (2, None));
    // The web tasks took 31000 and 31001, so the database's fixed port is gone.
    let why = offer.place(&db, &mut db_placed).unwrap_err();
    assert_eq!(why, NoMatch::InsufficientPorts("host port 31000 is not offered".into()));
    let db = TaskRequirements { ports: vec![PortRequest::Fixed(31009)], ..db };
    assert_eq!(offer.place(&db, &mut db_placed).unwrap().host_ports, [Some(31009)]);
    assert_eq!(offer.left(), set("mem:256;ports:[31002-31008]"));
    assert_eq!((web_placed.len(), db_placed.len()), (2, 1));
    assert_eq!(offer.place(&web, &mut web_placed).unwrap_err().kind(), "InsufficientCpus");
}

#[test]
fn constraints_count_tasks_placed_earlier_in_the_same_offer_and_in_other_offers() {
    let (a, b) = (agent("a", "rack:1"), agent("b", "rack:1"));
    let resources = "cpus:8;mem:8192";
    #[rustfmt::skip]
    let cases: &[(&[&str], [usize; 3])] = &[
        // Tasks placed on a, then on b, then on a again in a new offer.
        (&["hostname", "UNIQUE"], [1, 1, 0]),
        (&["hostname", "MAX_PER", "3"], [3, 3, 0]),
        (&["rack", "MAX_PER", "4"], [4, 0, 0]),
        // Groups are known only from tasks: alone, a's group is the smallest and keeps growing;
        // b's is new, then the smallest; back on a, a may run one ahead of b.
        (&["hostname", "GROUP_BY"], [5, 5, 1]),
        // A group may run one ahead of the smallest once two groups exist.
        (&["hostname", "GROUP_BY", "2"], [1, 2, 2]),
        (&["hostname", "CLUSTER"], [5, 0, 5]),
        (&["rack", "CLUSTER", "1"], [5, 5, 5]),
    ];
    for (parts, expected) in cases {
        let needs = TaskRequirements { constraints: vec![constraint(parts)], ..task(0.1, 1.0) };
        let mut placed = AppPlacements::new(&needs.constraints, &[]);
        let mut counts = [0; 3];
        for (count, host) in counts.iter_mut().zip([&a, &b, &a]) {
            let (launched, why) = matcher(host, resources).place_up_to(&needs, &mut placed, 5);
            *count = launched.len();
            if launched.len() < 5 {
                assert_eq!(why.map(|why| why.kind()), Some("UnfulfilledConstraint"), "{parts:?}");
            }
        }
        assert_eq!(counts, *expected, "{parts:?}");
    }
}

#[test]
fn a_task_that_does_not_fit_takes_nothing() {
    let host = agent("a", "rack:1");
    let mut offer = matcher(&host, "cpus:2;mem:256;ports:[31000-31001]");
    let mut placed = AppPlacements::new(&[constraint(&["rack", "MAX_PER", "1"])], &[]);
    let before = offer.left();
    let too_many_ports = TaskRequirements { ports: vec![PortRequest::Dynamic; 3], ..task(1.0, 1.0) };
    assert_eq!(
        offer.place(&too_many_ports, &mut placed),
        Err(NoMatch::InsufficientPorts("3 dynamic host ports wanted, 2 offered".into()))
    );
    let elsewhere = TaskRequirements { constraints: vec![constraint(&["rack", "IS", "2"])], ..task(1.0, 1.0) };
    let why = offer.place(&elsewhere, &mut placed).unwrap_err();
    assert_eq!(why.to_string(), r#"constraint ["rack", "IS", "2"] is not met"#);
    assert_eq!((offer.left(), placed.len()), (before, 0));
}

#[test]
fn an_offer_with_invalid_resources_is_refused() {
    let mut bad = offer(&agent("a", ""), &[("*", "cpus:1")]);
    bad.resources[0].scalar = None;
    assert!(OfferMatcher::new(&bad).is_err());
}
