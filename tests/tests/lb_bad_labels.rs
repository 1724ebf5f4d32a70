//! corral-lb leaves out only the app whose label is broken, with its reason in `/v1/status`, and
//! never lets the label's value into HAProxy's config; apps created afterwards are routed, and
//! fixing the label routes the app. (A file of its own: each test binary's cluster uses the
//! agents' ports alone.)

use std::time::Duration;

use corral_testkit::{eventually, port_echo_app, running_ports, LbProcess, MarathonCluster, MarathonClusterOptions};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_broken_label_leaves_only_its_app_out_until_it_is_fixed() {
    let cluster = MarathonCluster::start(MarathonClusterOptions::default()).await;
    let lb = LbProcess::start(&cluster, &[]).await;
    let broken = json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "broken.test\n  bind :1"});
    assert_eq!(cluster.post_app(&port_echo_app("/broken", 1, broken)).await.0, 201);
    cluster.wait_for_running("/broken", 1).await;
    let reason = eventually("/broken excluded with its reason", Duration::from_secs(10), || async {
        let status = lb.status().await;
        let excluded = status["excluded"].as_array().cloned().unwrap_or_default();
        excluded.iter().find(|e| e["app"] == "/broken").map(|e| e["reason"].as_str().unwrap_or_default().to_string())
    })
    .await;
    assert!(reason.contains("HAPROXY_0_VHOST"), "{reason}");
    assert!(!lb.config().await.contains("bind :1\n"), "the label's value reached the config");

    // Another app created afterwards is routed.
    let labels = json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "after.test"});
    assert_eq!(cluster.post_app(&port_echo_app("/after", 1, labels)).await.0, 201);
    let after = running_ports(&cluster.wait_for_running("/after", 1).await);
    lb.wait_until_routed("after.test", &after).await;
    cluster.wait_for_deployments_done().await;

    // Fixing the label brings the app in.
    let fixed = json!({"labels": {"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "broken.test"}});
    let (status, _, body) = cluster.call(Method::PUT, "/v2/apps/broken", Some(&fixed)).await;
    assert_eq!(status, 200, "{body}");
    cluster.wait_for_deployments_done().await;
    let ports = running_ports(&cluster.wait_for_running("/broken", 1).await);
    lb.wait_until_routed("broken.test", &ports).await;
    let status = lb.status().await;
    assert_eq!(status["excluded"], json!([]), "{status}");
    assert_eq!(status["apps"], 2, "{status}");
}
