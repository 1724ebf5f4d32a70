//! Sessions and ephemeral nodes: an ephemeral node never vanishes while its session is kept
//! alive (also across a leader change), and vanishes — with exactly one delete event — no later
//! than twice the timeout after its session's heartbeats stop.

use std::time::{Duration, Instant};

use corral_coord_client::{CoordAddresses, CoordClient, CreateMode, EventKind, WatchItem, WatchSpec};
use corral_testkit::{eventually, ClusterOptions, CoordinatorCluster};

#[tokio::test]
async fn ephemeral_nodes_live_exactly_as_long_as_their_sessions() {
    let mut cluster = CoordinatorCluster::start(ClusterOptions::default()).await;
    let client = CoordClient::new(CoordAddresses::parse(&cluster.servers()).unwrap());
    let start = client.create("/e", "", CreateMode::Persistent, None).await.unwrap().zxid;
    let mut watch = client.watch(WatchSpec::prefix("/e"), start);

    let kept = client.create_session(Duration::from_secs(3)).await.unwrap();
    client.create("/e/kept", "", CreateMode::Ephemeral, Some(kept.id())).await.unwrap();
    let abandoned_timeout = Duration::from_millis(1500);
    let abandoned = client.create_session(abandoned_timeout).await.unwrap();
    client.create("/e/abandoned", "", CreateMode::Ephemeral, Some(abandoned.id())).await.unwrap();

    // Stop the heartbeats of one session (dropping the handle stops its keepalive).
    drop(abandoned);
    let stopped_at = Instant::now();
    let gone_after = eventually("the abandoned ephemeral to vanish", Duration::from_secs(10), || async {
        matches!(client.exists("/e/abandoned").await, Ok(None)).then(|| stopped_at.elapsed())
    })
    .await;
    assert!(gone_after <= 2 * abandoned_timeout, "vanished {gone_after:?} after its heartbeats stopped");

    // A leader change must not expire the session that is kept alive.
    let leader = cluster.leader().await;
    cluster.kill(leader);
    let watch_until = Instant::now() + Duration::from_secs(8);
    while Instant::now() < watch_until {
        if let Ok(exists) = client.exists("/e/kept").await {
            assert!(exists.is_some(), "the kept-alive ephemeral vanished during a leader change");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(kept.is_alive(), "the session was lost across the leader change");

    // Closing the kept session deletes its node; every delete is announced exactly once.
    kept.close().await.unwrap();
    assert_eq!(client.exists("/e/kept").await.unwrap(), None);
    let mut deletes = Vec::new();
    while deletes.len() < 2 {
        let item = tokio::time::timeout(Duration::from_secs(10), watch.next()).await.expect("watch event").unwrap();
        if let WatchItem::Event(event) = item {
            if event.kind == EventKind::Deleted {
                deletes.push(event.path);
            }
        }
    }
    // Anything further would be a duplicate delete.
    client.create("/e/marker", "", CreateMode::Persistent, None).await.unwrap();
    loop {
        let item = tokio::time::timeout(Duration::from_secs(10), watch.next()).await.expect("watch event").unwrap();
        match item {
            WatchItem::Event(event) if event.path == "/e/marker" => break,
            WatchItem::Event(event) => assert_ne!(event.kind, EventKind::Deleted, "a second delete of {}", event.path),
            WatchItem::Reset { .. } => panic!("the history is large enough; no reset expected"),
        }
    }
    deletes.sort();
    assert_eq!(deletes, vec!["/e/abandoned".to_string(), "/e/kept".to_string()]);
}

#[tokio::test]
async fn sequential_names_stay_unique_and_increasing_across_nodes() {
    let cluster = CoordinatorCluster::start(ClusterOptions::default()).await;
    let setup = CoordClient::new(CoordAddresses::parse(&cluster.servers()).unwrap());
    setup.create("/seq", "", CreateMode::Persistent, None).await.unwrap();
    let creators = cluster.client_addrs().into_iter().map(|addr| {
        tokio::spawn(async move {
            let client = CoordClient::new(CoordAddresses::parse(&addr).unwrap());
            let mut names = Vec::new();
            for _ in 0..100 {
                let created = client.create("/seq/n-", "", CreateMode::PersistentSequential, None).await.unwrap();
                names.push(created.path);
            }
            names
        })
    });
    let mut all = Vec::new();
    for creator in creators {
        let names = creator.await.unwrap();
        assert!(names.windows(2).all(|pair| pair[0] < pair[1]), "names of one creator increase: {names:?}");
        all.extend(names);
    }
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 300, "every sequential name is unique");
    let listed = setup.children_consistent("/seq").await.unwrap().children;
    assert_eq!(listed.len(), 300);
}
