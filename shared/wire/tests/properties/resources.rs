//! Resources: the agent's `--resources` text and Mesos' JSON `Resource` lists never make the parser
//! panic (nor the arithmetic done on what it accepts), valid quantities survive the text and JSON
//! forms, and `ResourceSet`'s arithmetic keeps the laws the allocator relies on.

use corral_wire::mesos::{Range, Ranges, Resource, ResourceSet, Scalar, Set, ValueType};
use proptest::prelude::*;

/// Quantities compared as quantities: each holds the other. (Structural equality also tells an
/// absent set resource from an empty one, which `subtract` leaves behind.)
fn same_quantities(a: &ResourceSet, b: &ResourceSet) -> bool {
    a.contains(b) && b.contains(a)
}

/// Exercises everything callers do with a parsed set; none of it may panic.
fn use_every_way(set: &ResourceSet) {
    let _ = set.to_string();
    let _ = set.to_flat_json();
    let _ = ResourceSet::from_resources(&set.to_resources());
    let _ = set.plus(set).minus(set);
    let _ = set.contains(set);
    let _ = set.shortfall(&set.plus(set));
    let _ = set.range_values("ports").take(4).count();
    let _ = set.is_empty();
}

/// A scalar amount in thousandths, written exactly: up to a billion units.
fn amount() -> impl Strategy<Value = String> {
    (1u64..1_000_000_000_000).prop_map(|milli| format!("{}.{:03}", milli / 1000, milli % 1000))
}

fn range() -> impl Strategy<Value = (u64, u64)> {
    let begin = prop_oneof![0u64..70_000, any::<u64>(), (0u64..16).prop_map(|below| u64::MAX - below)];
    (begin, 0u64..1000).prop_map(|(begin, length)| (begin, begin.saturating_add(length)))
}

/// One `name:value` of the `--resources` text, valid, with names from `prefix`.
fn valid_part(prefix: &'static str) -> impl Strategy<Value = String> {
    let name = move |kind: &'static str| (0u8..3).prop_map(move |n| format!("{prefix}{kind}{n}"));
    let ranges = prop::collection::vec(range(), 1..4).prop_map(|ranges| {
        let text: Vec<String> = ranges.iter().map(|(begin, end)| format!("{begin}-{end}")).collect();
        format!("[{}]", text.join(","))
    });
    let items = prop::collection::vec("[a-z0-9_.-]{1,8}", 1..4).prop_map(|items| format!("{{{}}}", items.join(",")));
    prop_oneof![
        (prop_oneof![Just("cpus".to_string()), Just("mem".to_string()), name("s")], amount())
            .prop_map(|(name, amount)| format!("{name}:{amount}")),
        (name("r"), ranges).prop_map(|(name, ranges)| format!("{name}:{ranges}")),
        (name("t"), items).prop_map(|(name, items)| format!("{name}:{items}")),
    ]
}

/// A valid `--resources` text: `cpus` and `mem` shared by every prefix, the other names after it.
fn valid_text(prefix: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec(valid_part(prefix), 0..8).prop_map(|parts| parts.join(";"))
}

fn valid_set(prefix: &'static str) -> impl Strategy<Value = ResourceSet> {
    valid_text(prefix).prop_map(|text| ResourceSet::parse(&text).expect("generated text is valid"))
}

/// Text that is often almost a `--resources` value: the parser's delimiters, numbers of every
/// size (`1e300`, `-0`, `NaN`, `18446744073709551616`), repeated names.
fn resource_like_text() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        "-?[0-9]{1,3}(\\.[0-9]{0,4})?(e-?[0-9]{1,3})?",
        Just("NaN".to_string()),
        Just("inf".to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        Just("18446744073709551616".to_string()),
    ];
    let value = prop_oneof![
        number.clone(),
        prop::collection::vec((number.clone(), prop::option::of(number)), 0..3).prop_map(|ranges| {
            let text: Vec<String> = ranges
                .iter()
                .map(|(begin, end)| end.as_ref().map_or(begin.clone(), |end| format!("{begin}-{end}")))
                .collect();
            format!("[{}]", text.join(","))
        }),
        "\\{[a-c ,{}]{0,6}\\}",
        "[a-c\\[\\]{}:,; -]{0,6}",
    ];
    let part = (prop_oneof!["[a-c]", Just(String::new()), "[ a-c:;\\[{]{0,3}"], value)
        .prop_map(|(name, value)| format!("{name}:{value}"));
    prop::collection::vec(part, 0..6).prop_map(|parts| parts.join(";"))
}

fn arbitrary_resource() -> impl Strategy<Value = Resource> {
    let value_type =
        prop_oneof![Just(ValueType::Scalar), Just(ValueType::Ranges), Just(ValueType::Set), Just(ValueType::Text)];
    let scalar = prop_oneof![any::<f64>(), 0.0..1e6, Just(1e300), Just(f64::MAX)].prop_map(|value| Scalar { value });
    let ranges = prop::collection::vec((any::<u64>(), any::<u64>()), 0..3)
        .prop_map(|pairs| Ranges { range: pairs.into_iter().map(|(begin, end)| Range { begin, end }).collect() });
    let set = prop::collection::vec(".{0,4}", 0..3).prop_map(|item| Set { item });
    (
        prop_oneof!["cpus", "[a-b]", ".{0,3}"],
        value_type,
        prop::option::of(scalar),
        prop::option::of(ranges),
        prop::option::of(set),
    )
        .prop_map(|(name, value_type, scalar, ranges, set)| Resource {
            name,
            value_type,
            scalar,
            ranges,
            set,
            role: Some("*".to_string()),
        })
}

proptest! {
    #![proptest_config(crate::cases(512))]

    #[test]
    fn any_text_parses_or_is_refused_without_panicking_and_what_parses_the_master_reads(
        text in prop_oneof![any::<String>(), resource_like_text()],
    ) {
        if let Ok(set) = ResourceSet::parse(&text) {
            use_every_way(&set);
            // The agent registers with `to_resources()`; the master reads them with `from_resources`.
            let read = ResourceSet::from_resources(&set.to_resources());
            prop_assert!(read.as_ref().is_ok_and(|read| same_quantities(read, &set)), "{:?}: {:?}", text, read);
        }
    }

    #[test]
    fn any_json_resources_parse_or_are_refused_without_panicking(
        resources in prop::collection::vec(arbitrary_resource(), 0..6),
    ) {
        if let Ok(set) = ResourceSet::from_resources(&resources) {
            use_every_way(&set);
        }
    }

    #[test]
    fn what_parses_prints_as_text_that_parses_to_the_same_set(text in valid_text("a")) {
        let set = ResourceSet::parse(&text).unwrap();
        let printed = set.to_string();
        prop_assert_eq!(ResourceSet::parse(&printed), Ok(set), "printed as {}", printed);
    }

    #[test]
    fn valid_sets_survive_mesos_resources(set in valid_set("a")) {
        prop_assert_eq!(ResourceSet::from_resources(&set.to_resources()), Ok(set));
    }

    #[test]
    fn a_sum_holds_both_its_parts_in_either_order(a in valid_set("a"), b in valid_set("b")) {
        let sum = a.plus(&b);
        prop_assert!(sum.contains(&a) && sum.contains(&b));
        prop_assert_eq!(&sum, &b.plus(&a));
        prop_assert!(a.contains(&a) && a.contains(&ResourceSet::new()));
    }

    #[test]
    fn taking_away_what_was_added_gives_back_the_start(a in valid_set("a"), b in valid_set("b")) {
        // Ranges and sets of `a` and `b` have different names; scalars are shared.
        prop_assert!(same_quantities(&a.plus(&b).minus(&b), &a));
    }

    #[test]
    fn taking_away_a_part_and_adding_it_back_gives_back_the_whole(
        part in valid_set("a"),
        extra in valid_set("a"),
    ) {
        let whole = part.plus(&extra);
        prop_assert!(whole.contains(&part));
        let rest = whole.minus(&part);
        prop_assert!(whole.contains(&rest));
        prop_assert!(same_quantities(&rest.plus(&part), &whole));
    }

    #[test]
    fn taking_away_never_leaves_more_than_there_was_nor_loses_what_was_not_taken(
        a in valid_set("a"),
        b in valid_set("a"),
    ) {
        let rest = a.minus(&b);
        prop_assert!(a.contains(&rest));
        prop_assert!(rest.plus(&b).contains(&a));
    }
}

/// Found by the properties above (overflows before the fix): amounts whose thousandths do not
/// fit twice in an `i64`. Sums saturate, so a task naming `cpus` twice never comes out negative.
#[test]
fn amounts_too_large_to_add_saturate_instead_of_overflowing() {
    let huge = ResourceSet::parse("a:4611686018427388").unwrap();
    assert!(huge.plus(&huge).contains(&huge));
    let twice = [Resource::scalar("cpus", 0.0), Resource::scalar("cpus", 1e300), Resource::scalar("cpus", 1e300)];
    let task = ResourceSet::from_resources(&twice).unwrap();
    assert!(task.scalar("cpus") > 0.0);
    assert!(!ResourceSet::parse("cpus:64").unwrap().contains(&task));
}

/// Found by the properties above: a resource without a name, which the agent accepted and the
/// master then refused at registration.
#[test]
fn a_resource_without_a_name_is_refused() {
    for text in [":1", " :[1-2]", "cpus:1; :{a}"] {
        assert!(ResourceSet::parse(text).is_err(), "{text}");
    }
}
