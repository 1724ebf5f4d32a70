//! Scale-down: which tasks go first.

use super::*;

use TaskPhase::{Running, Staging, Starting, Unreachable};

/// `(id, phase, healthy, staged at, started at, hostname, attributes)`.
type Row<'a> = (&'a str, TaskPhase, Option<bool>, u64, Option<u64>, &'a str, &'a str);

fn candidates(rows: &[Row<'_>]) -> Vec<KillCandidate> {
    rows.iter()
        .map(|&(id, phase, healthy, staged, started, host, attributes)| KillCandidate {
            task_id: id.to_string(),
            phase,
            healthy,
            staged_at_ms: staged,
            started_at_ms: started,
            placement: agent(host, attributes),
        })
        .collect()
}

fn check(rows: &[Row<'_>], count: usize, selection: KillSelection, constraints: &[&[&str]], expected: &[&str]) {
    let candidates = candidates(rows);
    let constraints: Vec<Constraint> = constraints.iter().map(|parts| constraint(parts)).collect();
    let chosen = choose_tasks_to_kill(&candidates, count, selection, &constraints);
    let ids: Vec<&str> = chosen.iter().map(|&i| candidates[i].task_id.as_str()).collect();
    assert_eq!(ids, expected, "kill {count} by {}, constraints {constraints:?}", selection.as_str());
}

#[test]
fn kill_selection_orders_running_tasks_by_start_time() {
    let rows: &[Row<'_>] = &[
        ("old", Running, None, 0, Some(100), "a", ""),
        ("new", Running, None, 0, Some(300), "a", ""),
        ("mid", Running, None, 0, Some(200), "a", ""),
        ("unknown", Running, None, 0, None, "a", ""),
    ];
    check(rows, 2, KillSelection::YoungestFirst, &[], &["unknown", "new"]);
    check(rows, 3, KillSelection::OldestFirst, &[], &["unknown", "old", "mid"]);
    check(rows, 9, KillSelection::YoungestFirst, &[], &["unknown", "new", "mid", "old"]);
    check(rows, 0, KillSelection::YoungestFirst, &[], &[]);
}

#[test]
fn unreachable_then_unhealthy_then_staging_then_starting_tasks_go_first() {
    let rows: &[Row<'_>] = &[
        ("healthy", Running, Some(true), 10, Some(500), "a", ""),
        ("unchecked", Running, None, 10, Some(600), "a", ""),
        ("starting", Starting, None, 400, None, "a", ""),
        ("staging-old", Staging, None, 300, None, "a", ""),
        ("staging-new", Staging, None, 350, None, "a", ""),
        ("unhealthy", Running, Some(false), 10, Some(100), "a", ""),
        ("lost", Unreachable, None, 10, Some(50), "a", ""),
    ];
    let youngest = ["lost", "unhealthy", "staging-new", "staging-old", "starting", "unchecked", "healthy"];
    check(rows, 7, KillSelection::YoungestFirst, &[], &youngest);
    let oldest = ["lost", "unhealthy", "staging-old", "staging-new", "starting", "healthy", "unchecked"];
    check(rows, 7, KillSelection::OldestFirst, &[], &oldest);
    assert_eq!(KillSelection::parse("OLDEST_FIRST"), Some(KillSelection::OldestFirst));
    assert_eq!(KillSelection::parse("youngest_first"), None);
    assert_eq!(KillSelection::default().as_str(), "YOUNGEST_FIRST");
}

#[test]
fn group_by_constraints_are_evened_out_first() {
    let rows: &[Row<'_>] = &[
        ("a1", Running, None, 0, Some(100), "a1", "rack:a"),
        ("a2", Running, None, 0, Some(200), "a2", "rack:a"),
        ("a3", Running, None, 0, Some(300), "a3", "rack:a"),
        ("b1", Staging, None, 400, None, "b1", "rack:b"),
        ("b2", Running, None, 0, Some(500), "b2", "rack:b"),
        ("c1", Running, None, 0, Some(600), "c1", "rack:c"),
    ];
    let rack = &[&["rack", "GROUP_BY"][..]][..];
    // Rack a (3 tasks) loses its youngest, then a and b (2 each) are the largest: b's staging task goes.
    check(rows, 2, KillSelection::YoungestFirst, rack, &["a3", "b1"]);
    check(rows, 2, KillSelection::OldestFirst, rack, &["a1", "b1"]);
    // Once even (1 per rack), the plain ranking decides.
    check(rows, 5, KillSelection::YoungestFirst, rack, &["a3", "b1", "a2", "c1", "b2"]);
    // Without the constraint the staging task goes first.
    check(rows, 2, KillSelection::YoungestFirst, &[], &["b1", "c1"]);
    // Other operators do not steer scale-down.
    check(rows, 1, KillSelection::YoungestFirst, &[&["rack", "MAX_PER", "3"]], &["b1"]);
}

#[test]
fn several_group_bys_are_evened_out_together_or_else_the_ranking_decides() {
    let rows: &[Row<'_>] = &[
        ("x", Running, None, 0, Some(100), "h1", "rack:a;zone:1"),
        ("y", Running, None, 0, Some(200), "h2", "rack:a;zone:2"),
        ("z", Running, None, 0, Some(300), "h3", "rack:b;zone:2"),
    ];
    // Rack a is the largest rack and zone 2 the largest zone: y is in both.
    check(rows, 1, KillSelection::OldestFirst, &[&["rack", "GROUP_BY"], &["zone", "GROUP_BY"]], &["y"]);
    // Racks say x or y, hosts are even: the oldest of x and y.
    check(rows, 1, KillSelection::OldestFirst, &[&["rack", "GROUP_BY"], &["hostname", "GROUP_BY"]], &["x"]);
    let rows: &[Row<'_>] = &[
        ("x", Running, None, 0, Some(100), "h1", "rack:a;zone:1"),
        ("y", Running, None, 0, Some(200), "h2", "rack:a;zone:1"),
        ("z", Running, None, 0, Some(300), "h3", "rack:b;zone:2"),
        ("w", Running, None, 0, Some(400), "h4", "rack:b;zone:2"),
        ("v", Running, None, 0, Some(500), "h5", "rack:c;zone:2"),
    ];
    // Racks a and b are the largest, zone 2 is: z or w; the youngest of them.
    check(rows, 1, KillSelection::YoungestFirst, &[&["rack", "GROUP_BY"], &["zone", "GROUP_BY"]], &["w"]);
    let rows: &[Row<'_>] = &[
        ("x", Running, None, 0, Some(100), "h1", "rack:a;zone:1"),
        ("y", Running, None, 0, Some(200), "h2", "rack:a;zone:2"),
        ("z", Running, None, 0, Some(300), "h3", "rack:b;zone:3"),
        ("v", Running, None, 0, Some(50), "h4", "rack:c;zone:3"),
    ];
    // Rack a says x or y, zone 3 says z or v: no task evens both, so the ranking alone decides.
    check(rows, 1, KillSelection::OldestFirst, &[&["rack", "GROUP_BY"], &["zone", "GROUP_BY"]], &["v"]);
}
