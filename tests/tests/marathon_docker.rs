//! A Docker app through Marathon: the locally built busybox image serving HTTP on container port 80,
//! BRIDGE networking (`networks: [{mode: container/bridge}]`) with `hostPort: 0`, runs and answers
//! on the host port Marathon picked from the agent's offer; deleting the app removes the
//! container. Runs wherever a Docker engine answers (CI requires one).

use std::time::Duration;

use corral_testkit::{
    app_summary, containers_of, docker_ready, MarathonCluster, MarathonClusterOptions, MesosClusterOptions, TEST_IMAGE,
};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_docker_app_serves_on_its_host_port_and_is_removed_when_deleted() {
    if !docker_ready("a_docker_app_serves_on_its_host_port_and_is_removed_when_deleted") {
        return;
    }
    let mut mesos = MesosClusterOptions { agents: 1, ..MesosClusterOptions::default() };
    mesos.agent_args = vec!["--containerizers".into(), "docker,process".into()];
    let cluster = MarathonCluster::start(MarathonClusterOptions { mesos, ..MarathonClusterOptions::default() }).await;
    let app = json!({
        "id": "/web-docker",
        "container": {"type": "DOCKER", "docker": {"image": TEST_IMAGE},
                      "portMappings": [{"containerPort": 80, "hostPort": 0}]},
        "networks": [{"mode": "container/bridge"}],
        "cmd": "busybox httpd -f -p 80 -h /www",
        "cpus": 0.1, "mem": 32, "instances": 1
    });
    let (status, _, body) = cluster.post_app(&app).await;
    assert_eq!(status, 201, "POST /v2/apps: {body}\n{}", cluster.log_tails());
    let running = cluster.wait_for_running("/web-docker", 1).await;
    let task = &running["tasks"][0];
    let task_id = task["id"].as_str().unwrap().to_string();
    let port = task["ports"][0].as_u64().unwrap_or_else(|| panic!("a host port: {}", app_summary(&running)));
    assert!((31_000..31_100).contains(&port), "the host port comes from the agent's offer: {task}");
    assert_eq!(containers_of(&task_id).len(), 1, "one container for task {task_id}");

    let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    let page = cluster
        .wait_until(&format!("the container to answer on {url}"), Duration::from_secs(10), || async {
            let answer = http.get(&url).send().await.map_err(|error| error.to_string())?;
            let status = answer.status();
            let page = answer.text().await.unwrap_or_default();
            (status == 200).then_some(page.clone()).ok_or(format!("{status} {page:?}"))
        })
        .await;
    assert!(page.contains("corral busybox"), "the image's page: {page:?}");

    let (status, _, body) = cluster.call(Method::DELETE, "/v2/apps/web-docker", None).await;
    assert_eq!(status, 200, "DELETE /v2/apps/web-docker: {body}\n{}", cluster.log_tails());
    cluster
        .wait_until("the container to be removed", Duration::from_secs(30), || async {
            let left = containers_of(&task_id);
            left.is_empty().then_some(()).ok_or(format!("containers {left:?}"))
        })
        .await;
    cluster.wait_for_deployments_done().await;
    let (status, _, _) = cluster.call(Method::GET, "/v2/apps/web-docker", None).await;
    assert_eq!(status, 404, "the deleted app is unknown");
    assert!(http.get(&url).send().await.is_err(), "nothing answers on {url} any more");
}
