//! `--simulated-agents N`: one process runs N independent agents, each registering on its own
//! with its own id, sharing one HTTP port. A thousand must be cheap.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use corral_testkit::{eventually, free_port, ChildProcess};
use corral_wire::agent_api::AgentCommand;
use corral_wire::mesos::{AgentId, FrameworkId, TaskState};
use support::fake_master::FakeMaster;
use support::shell_task;

const AGENTS: usize = 1000;

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_simulated_agents_register_and_run_tasks() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let args: Vec<String> = [
        "--master",
        &master.base_url,
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--work-dir",
        &dir.path().display().to_string(),
        "--containerizers",
        "simulated",
        "--simulated-agents",
        &AGENTS.to_string(),
        "--resources",
        "cpus:4;mem:4096;disk:1000;ports:[31000-31100]",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let started = Instant::now();
    let _fleet =
        ChildProcess::spawn(Path::new(env!("CARGO_BIN_EXE_corral-agent")), &args, &dir.path().join("agent.log"));
    eventually(&format!("{AGENTS} registrations"), Duration::from_secs(60), || async {
        (master.registrations().len() >= AGENTS).then_some(())
    })
    .await;
    println!("{AGENTS} simulated agents registered in {:.1} s", started.elapsed().as_secs_f64());
    let mut ids: Vec<String> = master.registrations().iter().map(|r| r.agent_id.is_none().to_string()).collect();
    ids.dedup();
    assert_eq!(ids, ["true"], "each registered once, as a new agent");

    // A task on agent 17 runs there and nowhere else.
    let mut task = shell_task("sim-task", "ignored", &[31000]);
    task.agent_id = AgentId::new("fake-S17");
    master.push_to(
        "fake-S17",
        AgentCommand::Launch {
            framework_id: FrameworkId::new(support::FRAMEWORK_ID),
            framework: Box::new(serde_json::from_value(serde_json::json!({"user": "root", "name": "sim"})).unwrap()),
            task: Box::new(task),
        },
    );
    let starting = eventually("TASK_STARTING from fake-S17", Duration::from_secs(20), || async {
        master.updates().into_iter().find(|u| u.status.state == TaskState::TaskStarting)
    })
    .await;
    assert_eq!(starting.status.agent_id, Some(AgentId::new("fake-S17")));

    let http = reqwest::Client::new();
    let state: serde_json::Value = http
        .get(format!("http://127.0.0.1:{port}/state?agent_id=fake-S17"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["id"], "fake-S17");
    assert_eq!(state["frameworks"][0]["executors"][0]["tasks"][0]["id"], "sim-task");
    let metrics = http.get(format!("http://127.0.0.1:{port}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(&format!("corral_agent_registered {AGENTS}")), "{metrics}");
    assert!(metrics.contains("corral_agent_tasks_launched_total 1"), "{metrics}");
}
