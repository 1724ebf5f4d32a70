//! corral-lb follows two marathon instances: when the leader is killed (`kill -9`), HAProxy keeps
//! serving the last config (every request through the lb still answers), and a change made on
//! the new leader reaches HAProxy within 5 s.

use std::time::{Duration, Instant};

use corral_testkit::{eventually, port_echo_app, running_ports, LbProcess, MarathonCluster, MarathonClusterOptions};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn the_lb_keeps_serving_through_a_marathon_failover_and_follows_the_new_leader() {
    let options = MarathonClusterOptions { marathons: 2, ..MarathonClusterOptions::default() };
    let mut cluster = MarathonCluster::start(options).await;
    let lb = LbProcess::start(&cluster, &[]).await;
    let app = port_echo_app("/web", 1, json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "web.test"}));
    assert_eq!(cluster.post_app(&app).await.0, 201);
    cluster.wait_for_running("/web", 1).await;
    eventually("web.test served", Duration::from_secs(20), || async {
        (lb.get("web.test", "/port.txt").await.0 == 200).then_some(())
    })
    .await;

    let leader = cluster.leader_index().await;
    cluster.marathons[leader].process.kill();
    // Until another instance leads, the lb keeps its config and HAProxy keeps answering.
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        let (status, _) = lb.get("web.test", "/port.txt").await;
        assert_eq!(status, 200, "the lb stopped serving when marathon's leader died\n{}", lb.log_tail());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let new_leader = cluster.leader_index().await;
    assert_ne!(new_leader, leader);
    let (status, _, body) = cluster.call(Method::PUT, "/v2/apps/web", Some(&json!({"instances": 2}))).await;
    assert_eq!(status, 200, "{body}");
    let changed = Instant::now();
    let running = cluster.wait_for_running("/web", 2).await;
    let ports = running_ports(&running);
    let backend = lb
        .config()
        .await
        .lines()
        .find_map(|line| line.strip_prefix("backend web_").map(|rest| format!("web_{rest}")))
        .unwrap();
    eventually("the new task served", Duration::from_secs(10), || async {
        (lb.serving_ports(&backend) == ports).then_some(())
    })
    .await;
    let followed = changed.elapsed();
    eprintln!("a change on the new leader reached HAProxy {followed:?} after it was accepted");
    assert!(followed < Duration::from_secs(5), "the lb took {followed:?} to follow the new leader\n{}", lb.log_tail());
}
