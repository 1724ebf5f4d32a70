//! Placement constraints on agent attributes: with `["rack", "UNIQUE"]` on two racks, two
//! instances land one per rack, and a third waits in `/v2/queue` (no rack is left for it) until
//! the app is scaled back; `["rack", "CLUSTER", "b"]` puts every task on rack b.

use std::collections::BTreeSet;
use std::time::Duration;

use corral_testkit::{eventually, MarathonCluster, MarathonClusterOptions, MesosClusterOptions};
use reqwest::Method;
use serde_json::{json, Value};

fn agents_of(app: &Value) -> Vec<String> {
    let tasks = app["tasks"].as_array().into_iter().flatten();
    tasks.filter_map(|task| task["slaveId"].as_str().map(str::to_string)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn unique_and_cluster_constraints_place_tasks_by_attribute() {
    let mesos = MesosClusterOptions { agents: 0, ..MesosClusterOptions::default() };
    let mut cluster =
        MarathonCluster::start(MarathonClusterOptions { mesos, ..MarathonClusterOptions::default() }).await;
    cluster.mesos.add_agent(&["--attributes", "rack:a"]);
    cluster.mesos.add_agent(&["--attributes", "rack:b"]);
    cluster.mesos.wait_for_agents(2).await;
    let state = cluster.mesos.state().await;
    let rack_b: String = state["slaves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|agent| agent["attributes"]["rack"] == "b")
        .and_then(|agent| agent["id"].as_str())
        .unwrap_or_else(|| panic!("an agent on rack b: {state}"))
        .to_string();

    let spread = json!({"id": "/spread", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": 2,
                        "portDefinitions": [], "constraints": [["rack", "UNIQUE"]]});
    let (status, _, body) = cluster.post_app(&spread).await;
    assert_eq!(status, 201, "{body}");
    let app = cluster.wait_for_running("/spread", 2).await;
    let agents: BTreeSet<String> = agents_of(&app).into_iter().collect();
    assert_eq!(agents.len(), 2, "one task per rack: {app}");
    // Running tasks come a moment before the deployment that started them is finished; a
    // scale while it is still listed would (rightly) be refused as locked.
    cluster.wait_for_deployments_done().await;

    let (status, _, body) = cluster.call(Method::PUT, "/v2/apps/spread", Some(&json!({"instances": 3}))).await;
    assert_eq!(status, 200, "{body}");
    eventually("the third instance to wait in the queue", Duration::from_secs(10), || async {
        let queue = cluster.get_json("/v2/queue").await;
        let item = queue["queue"].as_array()?.iter().find(|item| item["app"]["id"] == "/spread")?.clone();
        (item["count"] == 1).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(cluster.app("/spread").await["tasksRunning"], 2, "UNIQUE allows no third task");
    let (status, _, body) =
        cluster.call(Method::PUT, "/v2/apps/spread?force=true", Some(&json!({"instances": 2}))).await;
    assert_eq!(status, 200, "{body}");
    eventually("the queue to empty", Duration::from_secs(10), || async {
        (cluster.get_json("/v2/queue").await == json!({"queue": []})).then_some(())
    })
    .await;

    let pinned = json!({"id": "/pinned", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": 3,
                        "portDefinitions": [], "constraints": [["rack", "CLUSTER", "b"]]});
    let (status, _, body) = cluster.post_app(&pinned).await;
    assert_eq!(status, 201, "{body}");
    let app = cluster.wait_for_running("/pinned", 3).await;
    assert!(agents_of(&app).iter().all(|agent| *agent == rack_b), "every task on rack b: {app}");
}
