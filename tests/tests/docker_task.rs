//! A framework launches a Docker task through the master: BRIDGE networking with container port 80
//! mapped to an offered host port, in the locally built busybox image. It serves HTTP on the host
//! port, its stdout is readable through the agent's `/files/read`, and killing it removes the
//! container. Runs wherever a Docker engine answers (CI requires one).

use std::time::Duration;

use corral_testkit::{containers_of, docker_ready, MesosCluster, MesosClusterOptions, TEST_IMAGE};
use corral_tests::raw_scheduler::{first_offered_port, port, scalar, RawScheduler};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread")]
async fn a_docker_task_serves_on_its_host_port_and_is_removed_when_killed() {
    if !docker_ready("a_docker_task_serves_on_its_host_port_and_is_removed_when_killed") {
        return;
    }
    let mut options = MesosClusterOptions { agents: 1, ..MesosClusterOptions::default() };
    options.agent_args = vec!["--containerizers".into(), "docker,process".into()];
    let cluster = MesosCluster::start(options).await;
    let framework = json!({"user": "root", "name": "docker-test"});
    let mut scheduler = RawScheduler::subscribe(&cluster.scheduler_url().await, framework).await.unwrap();
    let event = scheduler.wait_for(WAIT, |event| event["type"] == "OFFERS").await.expect("an offer");
    let offer = &event["offers"]["offers"][0];
    let host_port = first_offered_port(offer);
    let task_id = format!("docker-web-{}", std::process::id());
    let task = json!({
        "name": "docker-web", "task_id": {"value": task_id}, "agent_id": offer["agent_id"],
        "resources": [scalar("cpus", 0.1), scalar("mem", 32.0), port(host_port)],
        "command": {"value": "echo hello-from-docker; exec httpd -f -p 80 -h /www"},
        "container": {"type": "DOCKER", "docker": {"image": TEST_IMAGE, "network": "BRIDGE",
            "port_mappings": [{"host_port": host_port, "container_port": 80, "protocol": "tcp"}]}}
    });
    let accept = json!({"type": "ACCEPT", "accept": {"offer_ids": [offer["id"]],
        "operations": [{"type": "LAUNCH", "launch": {"task_infos": [task]}}]}});
    assert_eq!(scheduler.call(accept).await.0, 202);
    scheduler.wait_for_state(&task_id, "TASK_RUNNING", WAIT).await.expect("the container runs");
    assert_eq!(containers_of(&task_id).len(), 1, "one container for the task");

    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{host_port}/");
    let mut page = String::new();
    for _ in 0..100 {
        if let Ok(response) = http.get(&url).send().await {
            page = response.text().await.unwrap_or_default();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(page.contains("corral busybox"), "the container serves on host port {host_port}: {page:?}");

    let agent = &cluster.agents[0];
    let state: Value = http.get(agent.url("/state")).send().await.unwrap().json().await.unwrap();
    let sandbox = state["frameworks"][0]["executors"][0]["directory"].as_str().expect("the task's sandbox").to_string();
    let read = agent.url(&format!("/files/read?path={sandbox}/stdout&offset=0"));
    let mut stdout = String::new();
    for _ in 0..100 {
        let answer: Value = http.get(&read).send().await.unwrap().json().await.unwrap();
        stdout = answer["data"].as_str().unwrap_or_default().to_string();
        if stdout.contains("hello-from-docker") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(stdout.contains("hello-from-docker"), "stdout through /files/read: {stdout:?}");

    let kill = json!({"type": "KILL", "kill": {"task_id": {"value": task_id}}});
    assert_eq!(scheduler.call(kill).await.0, 202);
    scheduler.wait_for_state(&task_id, "TASK_KILLED", WAIT).await.expect("the task is killed");
    assert!(containers_of(&task_id).is_empty(), "the container is removed");
}
