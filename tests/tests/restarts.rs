//! Every service stopped (SIGTERM) and started again on the same data comes back with the same
//! state: marathon's apps, their versions and their tasks (the same ids, still running: tasks
//! outlive their agent), the framework id, the agent's id, and the coordinator's znodes.

use std::time::Duration;

use corral_testkit::{MarathonCluster, MarathonClusterOptions, MesosClusterOptions};
use reqwest::Method;
use serde_json::{json, Value};

const STOP_WITHIN: Duration = Duration::from_secs(20);

/// `GET path` on marathon's leader: its JSON, or what it answered instead.
async fn read(cluster: &MarathonCluster, path: &str) -> Result<Value, String> {
    match cluster.call(Method::GET, path, None).await {
        (200, _, body) => Ok(body),
        (status, _, body) => Err(format!("GET {path}: {status} {body}")),
    }
}

/// What must survive: each app with its version list and its tasks, the framework and agents.
async fn snapshot(cluster: &MarathonCluster) -> Result<Value, String> {
    let apps = read(cluster, "/v2/apps?embed=apps.tasks").await?;
    let mut shape = Vec::new();
    for app in apps["apps"].as_array().ok_or("no apps")? {
        let id = app["id"].as_str().ok_or("an app without an id")?;
        let versions = read(cluster, &format!("/v2/apps{id}/versions")).await?;
        let mut tasks: Vec<Value> = app["tasks"]
            .as_array()
            .ok_or("no tasks")?
            .iter()
            .map(|task| json!([task["id"], task["state"], task["ports"]]))
            .collect();
        tasks.sort_by_key(|task| task.to_string());
        shape.push(json!({"id": id, "instances": app["instances"], "version": app["version"],
                          "versions": versions["versions"], "tasks": tasks}));
    }
    let info = read(cluster, "/v2/info").await?;
    let state = cluster.mesos.state().await;
    let agents: Vec<&Value> = state["slaves"].as_array().ok_or("no agents")?.iter().map(|agent| &agent["id"]).collect();
    Ok(json!({"apps": shape, "framework": info["frameworkId"], "agents": agents}))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_service_restarted_on_its_data_comes_back_with_the_same_state() {
    let options = MarathonClusterOptions {
        mesos: MesosClusterOptions { coordinator_nodes: 3, agents: 1, ..MesosClusterOptions::default() },
        ..MarathonClusterOptions::default()
    };
    let mut cluster = MarathonCluster::start(options).await;
    for (id, instances) in [("/web", 2), ("/batch/worker", 1)] {
        let app = json!({"id": id, "cmd": "exec python3 -m http.server $PORT0 --bind 127.0.0.1",
                         "cpus": 0.1, "mem": 32, "instances": instances, "portDefinitions": [{"port": 0}]});
        assert_eq!(cluster.post_app(&app).await.0, 201);
    }
    cluster.wait_for_running("/web", 2).await;
    cluster.wait_for_running("/batch/worker", 1).await;
    cluster.wait_for_deployments_done().await;
    let scaled = cluster.call(Method::PUT, "/v2/apps/web", Some(&json!({"instances": 3}))).await;
    assert_eq!(scaled.0, 200, "{:?}", scaled.2);
    cluster.wait_for_running("/web", 3).await;
    cluster.wait_for_deployments_done().await;
    let before = snapshot(&cluster).await.unwrap();

    // Stop everything, the coordinators last, then start everything again on the same data.
    for marathon in &mut cluster.marathons {
        assert!(marathon.process.stop(STOP_WITHIN).await, "marathon did not stop");
    }
    for service in cluster.mesos.masters.iter_mut().chain(cluster.mesos.agents.iter_mut()) {
        assert!(service.process.stop(STOP_WITHIN).await, "a master or agent did not stop");
    }
    for node in &mut cluster.mesos.coordinator.nodes {
        assert!(node.process.stop(STOP_WITHIN).await, "a coordinator did not stop");
    }
    for index in 0..cluster.mesos.coordinator.nodes.len() {
        cluster.mesos.coordinator.restart(index);
    }
    for service in cluster.mesos.masters.iter_mut().chain(cluster.mesos.agents.iter_mut()) {
        service.process.restart();
    }
    for marathon in &mut cluster.marathons {
        marathon.process.restart();
    }

    cluster
        .wait_until("the same state after the restart", Duration::from_secs(60), || async {
            let after = snapshot(&cluster).await?;
            match after == before {
                true => Ok(()),
                false => Err(format!("before: {before}\nnow: {after}")),
            }
        })
        .await;
}
