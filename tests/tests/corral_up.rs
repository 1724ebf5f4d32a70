//! `corral up` starts a working local cluster with one command: a coordinator, a master that
//! leads, agents registered with it and marathon, all as local processes. An app POSTed to
//! marathon runs, answers on its host port and shows in the master's state; SIGTERM stops them all.

use std::time::Duration;

use corral_testkit::{binary, eventually, free_port, ChildProcess};

#[tokio::test(flavor = "multi_thread")]
async fn corral_up_runs_a_cluster_and_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let (master, coordinator, peer, agent) = (free_port(), free_port(), free_port(), free_port());
    let marathon = free_port();
    let args: Vec<String> = [
        "up",
        "--dir",
        &dir.path().display().to_string(),
        "--agents",
        "2",
        "--containerizers",
        "process",
        "--master-port",
        &master.to_string(),
        "--marathon-port",
        &marathon.to_string(),
        "--coordinator-port",
        &coordinator.to_string(),
        "--coordinator-peer-port",
        &peer.to_string(),
        "--agent-port",
        &agent.to_string(),
    ]
    .iter()
    .map(|arg| arg.to_string())
    .collect();
    let mut up = ChildProcess::spawn(&binary("corral"), &args, &dir.path().join("corral.log"));
    let http = reqwest::Client::new();
    eventually("two agents registered with a leading master", Duration::from_secs(30), || async {
        let state: serde_json::Value =
            http.get(format!("http://127.0.0.1:{master}/master/state")).send().await.ok()?.json().await.ok()?;
        (state["slaves"].as_array()?.len() == 2 && state["elected_time"].is_number()).then_some(())
    })
    .await;
    let page = http.get(format!("http://127.0.0.1:{master}/")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Corral master"), "the web UI is served");

    let app = serde_json::json!({
        "id": "/hello", "cmd": "exec python3 -m http.server $PORT0 --bind 127.0.0.1",
        "cpus": 0.1, "mem": 32, "instances": 1, "portDefinitions": [{"port": 0}]
    });
    let marathon_url = format!("http://127.0.0.1:{marathon}");
    eventually("marathon to lead", Duration::from_secs(30), || async {
        http.get(format!("{marathon_url}/v2/leader")).send().await.ok()?.status().is_success().then_some(())
    })
    .await;
    let created = http.post(format!("{marathon_url}/v2/apps")).json(&app).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let port = eventually("the app to run", Duration::from_secs(30), || async {
        let app: serde_json::Value =
            http.get(format!("{marathon_url}/v2/apps/hello")).send().await.ok()?.json().await.ok()?;
        let task = app["app"]["tasks"].as_array()?.iter().find(|task| task["state"] == "TASK_RUNNING")?.clone();
        task["ports"][0].as_u64()
    })
    .await;
    assert!((31_000..32_000).contains(&port), "host port {port}");
    eventually("the task to answer HTTP on its host port", Duration::from_secs(20), || async {
        http.get(format!("http://127.0.0.1:{port}/")).send().await.ok()?.status().is_success().then_some(())
    })
    .await;
    let state: serde_json::Value =
        http.get(format!("http://127.0.0.1:{master}/master/state")).send().await.unwrap().json().await.unwrap();
    let framework = &state["frameworks"][0];
    assert_eq!(framework["name"], "marathon");
    assert_eq!(framework["tasks"][0]["state"], "TASK_RUNNING", "the master shows marathon's task: {framework}");
    let page = http.get(format!("{marathon_url}/")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Marathon"), "marathon's web UI is served");
    // Tasks outlive `corral up` by design: the app goes first, so that nothing is left behind.
    let deleted = http.delete(format!("{marathon_url}/v2/apps/hello")).send().await.unwrap();
    assert_eq!(deleted.status(), 200);
    eventually("the task to stop", Duration::from_secs(20), || async {
        http.get(format!("http://127.0.0.1:{port}/")).send().await.is_err().then_some(())
    })
    .await;

    up.terminate();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while up.exit_status().is_none() {
        assert!(std::time::Instant::now() < deadline, "corral up did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eventually("every service to stop", Duration::from_secs(10), || async {
        http.get(format!("http://127.0.0.1:{master}/health")).send().await.is_err().then_some(())
    })
    .await;
}
