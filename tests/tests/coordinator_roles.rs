//! A pseudo-cluster elects one leader; observers serve reads; writes through any node are
//! readable on every node, and a consistent read right after a write sees it everywhere.

use corral_coord_client::{CoordAddresses, CoordClient, CreateMode};
use corral_testkit::{ClusterOptions, CoordinatorCluster};

fn client_of(addrs: &[String]) -> CoordClient {
    CoordClient::new(CoordAddresses::from_entries(addrs).expect("addresses"))
}

#[tokio::test]
async fn three_participants_elect_one_leader_and_an_observer_serves_reads() {
    let cluster = CoordinatorCluster::start(ClusterOptions { observers: 1, ..Default::default() }).await;
    let mut modes = Vec::new();
    for index in 0..4 {
        modes.push(cluster.status(index).await.expect("status").mode);
    }
    let participants = &modes[..3];
    assert_eq!(participants.iter().filter(|m| *m == "leader").count(), 1, "{modes:?}");
    assert_eq!(participants.iter().filter(|m| *m == "follower").count(), 2, "{modes:?}");
    assert_eq!(modes[3], "observer");

    let observer = client_of(&cluster.client_addrs()[3..]);
    observer.create("/seen-by-observer", "42", CreateMode::Persistent, None).await.expect("write through the observer");
    assert_eq!(observer.get("/seen-by-observer").await.expect("read on the observer").data, "42");
    let srvr = reqwest::get(format!("http://{}/srvr", cluster.nodes[3].client)).await.unwrap().text().await.unwrap();
    assert!(srvr.contains("Mode: observer"), "{srvr}");
}

#[tokio::test]
async fn a_write_through_a_follower_is_readable_on_every_node() {
    let cluster = CoordinatorCluster::start(ClusterOptions::default()).await;
    let leader = cluster.leader().await;
    let follower = (0..3).find(|index| *index != leader).unwrap();
    let addrs = cluster.client_addrs();
    let through_follower = client_of(&addrs[follower..=follower]);
    through_follower.create("/config", "v1", CreateMode::Persistent, None).await.expect("create through a follower");
    for (index, addr) in addrs.iter().enumerate() {
        // A fresh client has seen nothing, so only the consistent read guarantees freshness.
        let fresh = client_of(std::slice::from_ref(addr));
        let znode = fresh.get_consistent("/config").await.unwrap_or_else(|e| panic!("node {index}: {e}"));
        assert_eq!(znode.data, "v1");
    }
    for round in 0..20 {
        let value = format!("v{round}");
        through_follower.set("/config", value.as_str(), -1).await.expect("set");
        for addr in &addrs {
            let fresh = client_of(std::slice::from_ref(addr));
            assert_eq!(fresh.get_consistent("/config").await.expect("consistent read").data, value);
        }
    }
}
