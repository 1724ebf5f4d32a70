//! The `corral-agent` binary against a stand-in master: registration, commands, updates resent
//! until acknowledged, `kill -9` of the agent and its recovery (re-registering with its tasks,
//! the task process untouched, owed updates sent again with their uuids), `unknown_agent`, a
//! standby master's redirect, and refusing bad flags.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use corral_testkit::{eventually, free_port, ChildProcess};
use corral_wire::mesos::TaskState;
use support::fake_master::FakeMaster;
use support::{kill, launch, pid_in, process_alive, shell_task};

const PATIENCE: Duration = Duration::from_secs(20);

fn start_agent(master: &FakeMaster, work_dir: &Path, port: u16) -> ChildProcess {
    let args: Vec<String> = [
        "--master",
        &master.base_url,
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--work-dir",
        &work_dir.display().to_string(),
        "--containerizers",
        "process",
        "--resources",
        "cpus:2;mem:1024;disk:100;ports:[31000-31010]",
        "--attributes",
        "rack:a",
        "--status-retry-ms",
        "300",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ChildProcess::spawn(Path::new(env!("CARGO_BIN_EXE_corral-agent")), &args, &work_dir.join("agent.log"))
}

async fn registrations(master: &FakeMaster, count: usize) -> corral_wire::agent_api::RegisterAgent {
    eventually(&format!("{count} registrations"), PATIENCE, || async { master.registrations().get(count - 1).cloned() })
        .await
}

/// Waits for an update of `task` in `state`, acknowledges it, and returns its uuid.
async fn acknowledge(master: &FakeMaster, task: &str, state: TaskState) -> String {
    let update = eventually(&format!("{task} {state:?}"), PATIENCE, || async {
        master.updates().into_iter().find(|u| u.status.task_id.value == task && u.status.state == state)
    })
    .await;
    master.acknowledge(&update);
    update.status.uuid.unwrap()
}

#[tokio::test]
async fn launches_retries_and_recovers_after_kill_9() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut agent = start_agent(&master, dir.path(), port);

    let first = registrations(&master, 1).await;
    assert_eq!(first.agent_id, None);
    assert_eq!((first.hostname.as_str(), first.port), ("127.0.0.1", port));
    assert_eq!(first.attributes[0].value_text(), "a");
    master.push(launch(shell_task("web", "echo $$ > pid; echo $PORT0 > port; exec sleep 300", &[31003])));

    // STARTING is repeated (same uuid) and nothing else is sent until it is acknowledged.
    eventually("STARTING sent three times", PATIENCE, || async {
        (master.task_updates("web").len() >= 3).then_some(())
    })
    .await;
    let sent = master.task_updates("web");
    assert!(sent.iter().all(|update| *update == sent[0] && update.0 == TaskState::TaskStarting), "{sent:?}");
    acknowledge(&master, "web", TaskState::TaskStarting).await;
    let running_uuid = acknowledge(&master, "web", TaskState::TaskRunning).await;

    let http = reqwest::Client::new();
    let state: serde_json::Value =
        http.get(format!("http://127.0.0.1:{port}/state")).send().await.unwrap().json().await.unwrap();
    let executor = &state["frameworks"][0]["executors"][0];
    assert_eq!(executor["tasks"][0]["state"], "TASK_RUNNING");
    let sandbox = executor["directory"].as_str().unwrap().to_string();
    let read = format!("http://127.0.0.1:{port}/files/read?path={sandbox}/port&offset=0");
    let chunk: serde_json::Value = http.get(read).send().await.unwrap().json().await.unwrap();
    assert_eq!(chunk["data"], "31003\n");
    let pid = pid_in(Path::new(&sandbox), "pid").await;
    eventually("the acknowledgements to be carried out", PATIENCE, || async {
        let state: serde_json::Value =
            http.get(format!("http://127.0.0.1:{port}/state")).send().await.ok()?.json().await.ok()?;
        (state["frameworks"][0]["executors"][0]["tasks"][0]["pending_updates"] == 0).then_some(())
    })
    .await;

    agent.kill();
    assert!(process_alive(pid), "the task outlives its agent");
    let updates_before = master.task_updates("web").len();
    agent.restart();
    let again = registrations(&master, 2).await;
    assert_eq!(again.agent_id.as_ref().map(|id| id.value.as_str()), Some("fake-S1"));
    assert_eq!(again.tasks.len(), 1);
    assert_eq!(again.tasks[0].status.state, TaskState::TaskRunning);
    assert_eq!(again.tasks[0].status.uuid.as_deref(), Some(running_uuid.as_str()));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(master.task_updates("web").len(), updates_before, "nothing new to say about a task that kept running");
    assert!(process_alive(pid));

    master.push(kill("web"));
    acknowledge(&master, "web", TaskState::TaskKilled).await;
    eventually("the task process to end", PATIENCE, || async { (!process_alive(pid)).then_some(()) }).await;
    eventually("the task to be completed in /state", PATIENCE, || async {
        let state: serde_json::Value =
            http.get(format!("http://127.0.0.1:{port}/state")).send().await.ok()?.json().await.ok()?;
        let completed = &state["frameworks"][0]["completed_executors"][0]["completed_tasks"][0];
        (completed["state"] == "TASK_KILLED").then_some(())
    })
    .await;
}

#[tokio::test]
async fn unacknowledged_updates_survive_kill_9_in_order() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut agent = start_agent(&master, dir.path(), port);
    registrations(&master, 1).await;
    master.push(launch(shell_task("quick", "exit 3", &[])));
    let starting = eventually("STARTING", PATIENCE, || async { master.task_updates("quick").first().cloned() }).await;
    // Give the task time to end before the agent is killed.
    tokio::time::sleep(Duration::from_millis(500)).await;
    agent.kill();
    agent.restart();
    let again = registrations(&master, 2).await;
    assert_eq!(again.tasks[0].status.state, TaskState::TaskFailed);

    let mut acknowledged = Vec::new();
    for state in [TaskState::TaskStarting, TaskState::TaskRunning, TaskState::TaskFailed] {
        acknowledged.push((state, acknowledge(&master, "quick", state).await));
    }
    assert_eq!(acknowledged[0], starting, "STARTING is resent with its uuid");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut distinct = master.task_updates("quick");
    distinct.dedup();
    assert_eq!(distinct, acknowledged, "each update once in order, resends aside");
}

#[tokio::test]
async fn registers_again_when_unknown_and_follows_a_standby_redirect() {
    let leader = FakeMaster::start().await;
    let standby = FakeMaster::standby(&leader).await;
    let dir = tempfile::tempdir().unwrap();
    let _agent = start_agent(&standby, dir.path(), free_port());
    registrations(&leader, 1).await;
    eventually("polls at the leader", PATIENCE, || async { (leader.polls() > 0).then_some(()) }).await;
    leader.forget_agents();
    let again = registrations(&leader, 2).await;
    assert_eq!(again.agent_id.map(|id| id.value), Some("fake-S1".to_string()));
}

#[test]
fn bad_flags_are_one_line_naming_the_flag() {
    let check = |args: &[&str], flag: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_corral-agent")).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(flag), "{stderr} names {flag}");
    };
    check(&["--work-dir", "/tmp/x", "--master", "http://m:1", "--resources", "cpus:lots"], "--resources");
    check(&["--work-dir", "/tmp/x", "--master", "http://m:1", "--listen", "here"], "--listen");
    check(&["--work-dir", "/tmp/x"], "--coordinator");
    check(&["--master", "http://m:1"], "--work-dir");
    check(&["--work-dir", "/tmp/x", "--master", "http://m:1", "--bogus"], "--bogus");
}
