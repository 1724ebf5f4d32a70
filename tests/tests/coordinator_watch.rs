//! A prefix watch sees every event in zxid order, with no gap and no duplicate, while its client
//! moves to another node during a leader failover.

use std::collections::BTreeSet;
use std::time::Duration;

use corral_coord_client::{CoordAddresses, CoordClient, CreateMode, EventKind, WatchItem, WatchSpec};
use corral_testkit::{ClusterOptions, CoordinatorCluster};

#[tokio::test]
async fn a_prefix_watch_misses_nothing_across_a_leader_failover() {
    let mut cluster = CoordinatorCluster::start(ClusterOptions::default()).await;
    let leader = cluster.leader().await;
    // The watcher talks to the leader first, so the failover forces it onto another node.
    let mut addrs = cluster.client_addrs();
    addrs.swap(0, leader);
    let watcher = CoordClient::new(CoordAddresses::from_entries(&addrs).unwrap());
    let writer = CoordClient::new(CoordAddresses::parse(&cluster.servers()).unwrap());
    let start = writer.create("/p", "", CreateMode::Persistent, None).await.unwrap().zxid;
    let mut stream = watcher.watch(WatchSpec::prefix("/p"), start);

    let mut acknowledged = BTreeSet::new();
    for round in 0..300 {
        if round == 100 {
            cluster.kill(leader);
        }
        let path = format!("/p/k{round:04}");
        if writer.create(&path, "", CreateMode::Persistent, None).await.is_ok() {
            acknowledged.insert(path);
        }
    }
    assert!(acknowledged.len() >= 250, "writes resumed after the failover: {}", acknowledged.len());

    let last = writer.create("/p/last", "", CreateMode::Persistent, None).await.unwrap().zxid;
    let mut created = Vec::new();
    let mut previous_zxid = start;
    loop {
        let item = tokio::time::timeout(Duration::from_secs(15), stream.next()).await.expect("an event").unwrap();
        let event = match item {
            WatchItem::Event(event) => event,
            WatchItem::Reset { zxid } => panic!("unexpected history reset at {zxid}"),
        };
        assert!(event.zxid >= previous_zxid, "events out of zxid order: {} after {previous_zxid}", event.zxid);
        previous_zxid = event.zxid;
        if event.kind == EventKind::Created {
            created.push(event.path.clone());
        }
        if event.zxid >= last {
            break;
        }
    }
    let unique: BTreeSet<String> = created.iter().cloned().collect();
    assert_eq!(unique.len(), created.len(), "a creation was reported twice");
    let missing: Vec<&String> = acknowledged.iter().filter(|path| !unique.contains(*path)).collect();
    assert!(missing.is_empty(), "the watch missed {missing:?}");
}
