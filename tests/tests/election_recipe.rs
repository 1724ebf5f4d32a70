//! The leader-election recipe with three contender processes: `kill -9` of the leader's process
//! makes another lead, and at no moment do two contenders act as leader.

use std::collections::BTreeMap;
use std::time::Duration;

use corral_testkit::{binary, eventually, ChildProcess, ClusterOptions, CoordinatorCluster};

/// `(contender, first tick, last tick)` of each contiguous stretch of leadership, in time order.
fn leadership_terms(ticks: &str) -> Vec<(String, u128, u128)> {
    let mut terms: Vec<(String, u128, u128)> = Vec::new();
    let mut lines: Vec<(u128, String)> = ticks
        .lines()
        .filter_map(|line| {
            let (id, millis) = line.split_once(' ')?;
            Some((millis.parse().ok()?, id.to_string()))
        })
        .collect();
    lines.sort();
    for (millis, id) in lines {
        match terms.last_mut() {
            Some((last_id, _, end)) if *last_id == id => *end = millis,
            _ => terms.push((id, millis, millis)),
        }
    }
    terms
}

#[tokio::test]
async fn killing_the_leading_contender_hands_leadership_over_without_overlap() {
    let cluster = CoordinatorCluster::start(ClusterOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let ticks = dir.path().join("ticks");
    let program = binary("election-contender");
    let mut contenders: BTreeMap<String, ChildProcess> = ["a", "b", "c"]
        .iter()
        .map(|id| {
            let args =
                ["--server", &cluster.servers(), "--id", id, "--ticks", &ticks.display().to_string()].map(String::from);
            (id.to_string(), ChildProcess::spawn(&program, &args, &dir.path().join(format!("{id}.log"))))
        })
        .collect();

    let read_terms = || leadership_terms(&std::fs::read_to_string(&ticks).unwrap_or_default());
    let first = eventually("a first leader", Duration::from_secs(15), || async {
        read_terms().last().map(|(id, _, _)| id.clone())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    contenders.get_mut(&first).unwrap().kill();

    let second = eventually("a second leader", Duration::from_secs(15), || async {
        read_terms().last().map(|(id, _, _)| id.clone()).filter(|id| *id != first)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    contenders.get_mut(&second).unwrap().kill();
    eventually("a third leader", Duration::from_secs(15), || async {
        read_terms().last().map(|(id, _, _)| id.clone()).filter(|id| *id != first && *id != second)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let terms = read_terms();
    assert_eq!(terms.len(), 3, "exactly three stretches of leadership: {terms:?}");
    for pair in terms.windows(2) {
        assert!(pair[0].2 < pair[1].1, "two contenders led at once: {:?} and {:?}", pair[0], pair[1]);
    }
    let ids: Vec<&str> = terms.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids[0], first);
    assert_eq!(ids[1], second);
}
