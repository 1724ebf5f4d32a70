//! Constraints: what `parse` accepts and says, and what each operator allows given where the app's
//! tasks already run.

use super::*;

#[test]
fn parse_accepts_marathon_constraints_and_explains_bad_ones() {
    #[rustfmt::skip]
    let cases: &[(&[&str], Result<(), &str>)] = &[
        (&["hostname", "UNIQUE"], Ok(())),
        (&["rack", "CLUSTER", "rack-1"], Ok(())),
        (&["rack", "CLUSTER"], Ok(())),
        (&["rack", "GROUP_BY"], Ok(())),
        (&["rack", "GROUP_BY", "3"], Ok(())),
        (&["rack", "LIKE", "rack-[1-3]"], Ok(())),
        (&["rack", "UNLIKE", ".*"], Ok(())),
        (&["rack", "MAX_PER", "2"], Ok(())),
        (&["rack", "IS", "rack-1"], Ok(())),
        (&["hostname"], Err("Each constraint must have either 2 or 3 fields")),
        (&["hostname", "UNIQUE", "a", "b"], Err("Each constraint must have either 2 or 3 fields")),
        (&["", "UNIQUE"], Err("Constraint field must not be empty")),
        (&["hostname", "unique"],
         Err("Constraint operator must be one of the following: [UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS]")),
        (&["hostname", "UNIQUE", "x"], Err("Value specified but not used")),
        (&["rack", "GROUP_BY", "three"], Err("Value was specified but is not a number")),
        (&["rack", "GROUP_BY", ""], Err("Value was specified but is not a number")),
        (&["rack", "CLUSTER", ""], Ok(())),
        (&["rack", "MAX_PER"], Err("Value was not specified or is not a number")),
        (&["rack", "MAX_PER", "2.5"], Err("Value was not specified or is not a number")),
        (&["rack", "LIKE"], Err("A regular expression value must be provided")),
        (&["rack", "UNLIKE", ""], Err("A regular expression value must be provided")),
        (&["rack", "LIKE", "rack-[1-"], Err("'rack-[1-' is not a valid regular expression")),
        (&["rack", "IS"], Err("IS needs a value")),
    ];
    for (parts, expected) in cases {
        let parsed = Constraint::parse(&strings(parts));
        assert_eq!(parsed.as_ref().map(|_| ()).map_err(String::as_str), *expected, "{parts:?}");
        if let Ok(parsed) = parsed {
            assert_eq!(parsed.as_strings(), strings(parts), "written back as given");
        }
    }
    assert_eq!(constraint(&["rack", "GROUP_BY", "3"]).to_string(), r#"["rack", "GROUP_BY", "3"]"#);
    assert_eq!(constraint(&["@hostname", "UNIQUE"]).field(), &ConstraintField::Hostname);
}

struct Case<'a> {
    constraint: &'a [&'a str],
    /// Where the app's tasks run: `(hostname, attributes)`.
    placed: &'a [(&'a str, &'a str)],
    /// The agent offering.
    offered: (&'a str, &'a str),
    allowed: bool,
}

fn check(cases: &[Case<'_>]) {
    for case in cases {
        let constraints = vec![constraint(case.constraint)];
        let placed: Vec<Placement> = case.placed.iter().map(|(host, attributes)| agent(host, attributes)).collect();
        let placements = AppPlacements::new(&constraints, &placed);
        let offered = agent(case.offered.0, case.offered.1);
        let allowed = placements.unmet(&constraints, &offered).is_none();
        assert_eq!(
            allowed, case.allowed,
            "{:?} with tasks on {:?}, offered {:?}",
            case.constraint, case.placed, case.offered
        );
    }
}

#[test]
fn unique_allows_a_value_no_task_has() {
    #[rustfmt::skip]
    check(&[
        Case { constraint: &["hostname", "UNIQUE"], placed: &[], offered: ("a", ""), allowed: true },
        Case { constraint: &["hostname", "UNIQUE"], placed: &[("a", ""), ("b", "")], offered: ("c", ""), allowed: true },
        Case { constraint: &["hostname", "UNIQUE"], placed: &[("a", ""), ("b", "")], offered: ("a", ""), allowed: false },
        Case { constraint: &["rack", "UNIQUE"], placed: &[("a", "rack:1"), ("b", "rack:2")], offered: ("c", "rack:1"), allowed: false },
        Case { constraint: &["rack", "UNIQUE"], placed: &[("a", "rack:1"), ("b", "rack:2")], offered: ("c", "rack:3"), allowed: true },
        // Tasks on agents without the attribute do not block anyone; an agent without it is refused.
        Case { constraint: &["rack", "UNIQUE"], placed: &[("a", "")], offered: ("b", "rack:1"), allowed: true },
        Case { constraint: &["rack", "UNIQUE"], placed: &[], offered: ("b", ""), allowed: false },
    ]);
}

#[test]
fn cluster_keeps_every_task_on_one_value() {
    #[rustfmt::skip]
    check(&[
        Case { constraint: &["rack", "CLUSTER", "1"], placed: &[], offered: ("a", "rack:1"), allowed: true },
        Case { constraint: &["rack", "CLUSTER", "1"], placed: &[], offered: ("a", "rack:2"), allowed: false },
        Case { constraint: &["rack", "CLUSTER", "1"], placed: &[], offered: ("a", ""), allowed: false },
        // Without a value the first task chooses.
        Case { constraint: &["rack", "CLUSTER"], placed: &[], offered: ("a", "rack:2"), allowed: true },
        Case { constraint: &["rack", "CLUSTER"], placed: &[("a", "rack:2"), ("b", "rack:2")], offered: ("c", "rack:2"), allowed: true },
        Case { constraint: &["rack", "CLUSTER"], placed: &[("a", "rack:2")], offered: ("c", "rack:1"), allowed: false },
        Case { constraint: &["hostname", "CLUSTER"], placed: &[("a", "")], offered: ("a", ""), allowed: true },
        Case { constraint: &["hostname", "CLUSTER"], placed: &[("a", "")], offered: ("b", ""), allowed: false },
        Case { constraint: &["hostname", "CLUSTER", "b"], placed: &[], offered: ("b", ""), allowed: true },
        Case { constraint: &["hostname", "CLUSTER", "b"], placed: &[], offered: ("a", ""), allowed: false },
    ]);
}

#[test]
fn group_by_fills_the_smallest_group_once_enough_groups_exist() {
    #[rustfmt::skip]
    check(&[
        Case { constraint: &["rack", "GROUP_BY"], placed: &[], offered: ("a", "rack:1"), allowed: true },
        Case { constraint: &["rack", "GROUP_BY"], placed: &[("a", "rack:1"), ("b", "rack:1"), ("c", "rack:2")], offered: ("d", "rack:2"), allowed: true },
        Case { constraint: &["rack", "GROUP_BY"], placed: &[("a", "rack:1"), ("b", "rack:1"), ("c", "rack:2")], offered: ("d", "rack:1"), allowed: false },
        // A value no task has yet is always welcome.
        Case { constraint: &["rack", "GROUP_BY"], placed: &[("a", "rack:1"), ("b", "rack:1"), ("c", "rack:2")], offered: ("d", "rack:3"), allowed: true },
        // Even groups: any of them.
        Case { constraint: &["rack", "GROUP_BY"], placed: &[("a", "rack:1"), ("c", "rack:2")], offered: ("d", "rack:1"), allowed: true },
        // With a number, no group grows a second task before that many groups exist.
        Case { constraint: &["rack", "GROUP_BY", "3"], placed: &[("a", "rack:1"), ("c", "rack:2")], offered: ("d", "rack:1"), allowed: false },
        Case { constraint: &["rack", "GROUP_BY", "3"], placed: &[("a", "rack:1"), ("c", "rack:2")], offered: ("d", "rack:3"), allowed: true },
        Case { constraint: &["rack", "GROUP_BY", "3"], placed: &[("a", "rack:1"), ("b", "rack:2"), ("c", "rack:3")], offered: ("d", "rack:1"), allowed: true },
        // Tasks on agents without the attribute form a group of their own.
        Case { constraint: &["rack", "GROUP_BY"], placed: &[("a", "rack:1"), ("b", "")], offered: ("c", "rack:1"), allowed: true },
        Case { constraint: &["rack", "GROUP_BY"], placed: &[("a", "rack:1"), ("b", "rack:1"), ("c", "")], offered: ("d", "rack:1"), allowed: false },
        Case { constraint: &["hostname", "GROUP_BY"], placed: &[("a", ""), ("a", ""), ("b", "")], offered: ("b", ""), allowed: true },
    ]);
}

#[test]
fn like_and_unlike_match_the_whole_value() {
    #[rustfmt::skip]
    check(&[
        Case { constraint: &["rack", "LIKE", "rack-[1-3]"], placed: &[], offered: ("a", "rack:rack-2"), allowed: true },
        Case { constraint: &["rack", "LIKE", "rack-[1-3]"], placed: &[], offered: ("a", "rack:rack-4"), allowed: false },
        Case { constraint: &["rack", "LIKE", "rack-[1-3]"], placed: &[], offered: ("a", "rack:rack-22"), allowed: false },
        Case { constraint: &["rack", "LIKE", "rack-[1-3]"], placed: &[], offered: ("a", "rack:xrack-2"), allowed: false },
        Case { constraint: &["rack", "LIKE", ".*"], placed: &[], offered: ("a", ""), allowed: false },
        Case { constraint: &["rack", "LIKE", "a|b"], placed: &[], offered: ("a", "rack:b"), allowed: true },
        Case { constraint: &["hostname", "LIKE", "web-.*"], placed: &[], offered: ("web-1", ""), allowed: true },
        Case { constraint: &["rack", "UNLIKE", "rack-[7-9]"], placed: &[], offered: ("a", "rack:rack-8"), allowed: false },
        Case { constraint: &["rack", "UNLIKE", "rack-[7-9]"], placed: &[], offered: ("a", "rack:rack-1"), allowed: true },
        Case { constraint: &["rack", "UNLIKE", "rack-[7-9]"], placed: &[], offered: ("a", "rack:rack-88"), allowed: true },
        // UNLIKE is the only operator that accepts an agent without the attribute.
        Case { constraint: &["rack", "UNLIKE", "rack-[7-9]"], placed: &[], offered: ("a", ""), allowed: true },
        Case { constraint: &["hostname", "UNLIKE", "db-.*"], placed: &[("db-1", "")], offered: ("db-2", ""), allowed: false },
    ]);
}

#[test]
fn max_per_caps_the_tasks_per_value() {
    #[rustfmt::skip]
    check(&[
        Case { constraint: &["rack", "MAX_PER", "2"], placed: &[("a", "rack:1"), ("b", "rack:1"), ("c", "rack:2")], offered: ("d", "rack:1"), allowed: false },
        Case { constraint: &["rack", "MAX_PER", "2"], placed: &[("a", "rack:1"), ("b", "rack:1"), ("c", "rack:2")], offered: ("d", "rack:2"), allowed: true },
        Case { constraint: &["rack", "MAX_PER", "2"], placed: &[("a", "rack:1"), ("b", "rack:1"), ("c", "rack:2")], offered: ("d", "rack:3"), allowed: true },
        Case { constraint: &["hostname", "MAX_PER", "1"], placed: &[("a", "")], offered: ("a", ""), allowed: false },
        Case { constraint: &["hostname", "MAX_PER", "0"], placed: &[], offered: ("a", ""), allowed: false },
        Case { constraint: &["rack", "MAX_PER", "5"], placed: &[], offered: ("a", ""), allowed: false },
    ]);
}

#[test]
fn is_compares_the_value_as_text() {
    #[rustfmt::skip]
    check(&[
        Case { constraint: &["rack", "IS", "rack-1"], placed: &[("a", "rack:rack-1")], offered: ("b", "rack:rack-1"), allowed: true },
        Case { constraint: &["rack", "IS", "rack-1"], placed: &[], offered: ("b", "rack:rack-2"), allowed: false },
        Case { constraint: &["rack", "IS", "rack-1"], placed: &[], offered: ("b", ""), allowed: false },
        // Scalar attributes compare as `Attribute::value_text` prints them.
        Case { constraint: &["level", "IS", "3"], placed: &[], offered: ("b", "level:3"), allowed: true },
        Case { constraint: &["level", "IS", "3"], placed: &[], offered: ("b", "level:3.0"), allowed: true },
        Case { constraint: &["level", "IS", "2.5"], placed: &[], offered: ("b", "level:2.5"), allowed: true },
        Case { constraint: &["hostname", "IS", "b"], placed: &[], offered: ("b", ""), allowed: true },
    ]);
}

#[test]
fn every_constraint_must_hold_and_the_first_broken_one_is_named() {
    let constraints = vec![constraint(&["rack", "LIKE", "r.*"]), constraint(&["hostname", "UNIQUE"])];
    let placements = AppPlacements::new(&constraints, &[agent("a", "rack:r1")]);
    assert_eq!(placements.unmet(&constraints, &agent("b", "rack:r1")), None);
    assert_eq!(placements.unmet(&constraints, &agent("a", "rack:r1")), Some(&constraints[1]));
    assert_eq!(placements.unmet(&constraints, &agent("b", "rack:x")), Some(&constraints[0]));
    assert_eq!(placements.len(), 1);
}

#[test]
fn range_and_set_attributes_compare_in_mesos_text_form() {
    let json = serde_json::json!([
        {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 5, "end": 6}, {"begin": 1, "end": 3}]}},
        {"name": "zones", "type": "SET", "set": {"item": ["b", "a"]}},
    ]);
    let attributes: Vec<Attribute> = serde_json::from_value(json).unwrap();
    let texts: Vec<String> = attributes.iter().map(|a| attribute_text(a).into_owned()).collect();
    assert_eq!(texts, ["[1-3,5-6]", "{a,b}"]);
    let on = Placement { agent_id: AgentId::new("a"), hostname: "a".into(), attributes };
    let constraints = vec![constraint(&["zones", "IS", "{a,b}"]), constraint(&["ports", "LIKE", r"\[1-3,.*"])];
    assert_eq!(AppPlacements::new(&constraints, &[]).unmet(&constraints, &on), None);
}
