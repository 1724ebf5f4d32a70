//! `kill -9` of the leader while a client writes in a loop: a new leader within 3 s, every
//! acknowledged write survives, writes resume, and the restarted node catches up to the same zxid
//! (through a snapshot, since the log it missed has been purged).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use corral_coord_client::{CoordAddresses, CoordClient, CreateMode};
use corral_testkit::{eventually, ClusterOptions, CoordinatorCluster};

#[tokio::test]
async fn killing_the_leader_loses_no_acknowledged_write() {
    let options = ClusterOptions { snapshot_every: 100, keep_logs: 20, ..Default::default() };
    let mut cluster = CoordinatorCluster::start(options).await;
    let client = CoordClient::new(CoordAddresses::parse(&cluster.servers()).unwrap());
    client.create("/w", "", CreateMode::Persistent, None).await.unwrap();

    let acknowledged = Arc::new(Mutex::new(Vec::<(Instant, String)>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = tokio::spawn({
        let (client, acknowledged, stop) = (client.clone(), acknowledged.clone(), stop.clone());
        async move {
            let mut attempt = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                attempt += 1;
                let path = format!("/w/k{attempt:06}");
                if client.create(&path, "x", CreateMode::Persistent, None).await.is_ok() {
                    acknowledged.lock().unwrap().push((Instant::now(), path));
                }
            }
        }
    });
    tokio::time::sleep(Duration::from_secs(2)).await;

    let old_leader = cluster.leader().await;
    let zxid_at_kill = cluster.status(old_leader).await.unwrap().zxid;
    let killed_at = Instant::now();
    cluster.kill(old_leader);
    let survivors: Vec<usize> = (0..3).filter(|index| *index != old_leader).collect();
    let new_leader = eventually("a new leader", Duration::from_secs(10), || async {
        for &index in &survivors {
            if cluster.status(index).await.is_some_and(|s| s.mode == "leader") {
                return Some(index);
            }
        }
        None
    })
    .await;
    let failover = killed_at.elapsed();
    assert!(failover < Duration::from_secs(3), "new leader after {failover:?}");

    // Writes resume under the new leader.
    eventually("writes after the failover", Duration::from_secs(10), || async {
        let resumed = acknowledged.lock().unwrap().iter().filter(|(at, _)| *at > killed_at).count();
        (resumed >= 300).then_some(())
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.await.unwrap();

    let acknowledged: Vec<String> = acknowledged.lock().unwrap().iter().map(|(_, path)| path.clone()).collect();
    let stored = client.children_consistent("/w").await.unwrap().children;
    for path in &acknowledged {
        let name = path.trim_start_matches("/w/");
        assert!(stored.binary_search(&name.to_string()).is_ok(), "acknowledged {path} is lost");
    }

    // The killed node comes back and catches up to the leader's zxid.
    cluster.restart(old_leader);
    let leader_zxid = cluster.status(new_leader).await.unwrap().zxid;
    eventually("the restarted node to catch up", Duration::from_secs(20), || async {
        cluster.status(old_leader).await.filter(|s| s.zxid >= leader_zxid && s.mode == "follower").map(|_| ())
    })
    .await;
    // It had to catch up from a snapshot: the log it missed was purged meanwhile.
    let metrics = reqwest::get(format!("http://{}/metrics", cluster.nodes[old_leader].client))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let snapshot_zxid: u64 = metrics
        .lines()
        .find_map(|line| line.strip_prefix("corral_coordinator_snapshot_zxid "))
        .and_then(|value| value.parse().ok())
        .expect("the snapshot gauge");
    assert!(snapshot_zxid > zxid_at_kill, "caught up through a snapshot ({snapshot_zxid} > {zxid_at_kill})");
    let restarted = CoordClient::new(CoordAddresses::parse(&cluster.nodes[old_leader].client).unwrap());
    let on_restarted = restarted.children("/w").await.unwrap().children;
    assert_eq!(on_restarted, stored, "the restarted node holds the same children");
    println!("failover took {failover:?}; {} writes acknowledged; leader zxid {leader_zxid}", acknowledged.len());
}

#[tokio::test]
async fn a_cluster_killed_whole_recovers_every_acknowledged_write_from_disk() {
    let mut cluster =
        CoordinatorCluster::start(ClusterOptions { snapshot_every: 50, keep_logs: 10, ..Default::default() }).await;
    let client = CoordClient::new(CoordAddresses::parse(&cluster.servers()).unwrap());
    client.create("/d", "", CreateMode::Persistent, None).await.unwrap();
    let writes: Vec<_> = (0..120)
        .map(|index| {
            let client = client.clone();
            tokio::spawn(
                async move { client.create(&format!("/d/k{index:03}"), "x", CreateMode::Persistent, None).await },
            )
        })
        .collect();
    for write in writes {
        write.await.unwrap().expect("every write is acknowledged");
    }
    let before = client.children_consistent("/d").await.unwrap().children;
    assert_eq!(before.len(), 120);

    for index in 0..3 {
        cluster.kill(index);
    }
    for index in 0..3 {
        cluster.restart(index);
    }
    cluster.leader().await;
    let fresh = CoordClient::new(CoordAddresses::parse(&cluster.servers()).unwrap());
    let after = eventually("the restarted cluster to serve reads", Duration::from_secs(20), || async {
        fresh.children_consistent("/d").await.ok().map(|children| children.children)
    })
    .await;
    assert_eq!(after, before, "every acknowledged write survives a crash of the whole cluster");
}
