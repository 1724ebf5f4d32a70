//! `corral up` starts a working local cluster with one command: a coordinator, a master that
//! leads and agents registered with it, all as local processes; SIGTERM stops them all.

use std::time::Duration;

use corral_testkit::{binary, eventually, free_port, ChildProcess};

#[tokio::test(flavor = "multi_thread")]
async fn corral_up_runs_a_cluster_and_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let (master, coordinator, peer, agent) = (free_port(), free_port(), free_port(), free_port());
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
