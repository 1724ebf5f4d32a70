//! The checkpoint survives the agent: rows written are read back after reopening, and an agent
//! whose runtime vanished mid-flight (as with `kill -9`) is recovered by a new one on the same
//! work dir: live processes are taken over, ended ones get their terminal update, simulated
//! tasks stay RUNNING, and unacknowledged updates keep their uuids (no duplicates, none lost).

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use corral_agent::agent::TaskView;
use corral_agent::checkpoint::{Checkpoint, Durability, TaskRow};
use corral_agent::containerizer::simulated::SimulatedContainerizer;
use corral_agent::containerizer::{ContainerHandle, Containerizer, ContainerizerKind};
use corral_wire::mesos::{AgentId, FrameworkId, TaskState, TaskStatus};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use support::{agent_on, launch, pid_in, process_alive, shell_task, task_in_state};

const PATIENCE: Duration = Duration::from_secs(20);

fn process() -> Vec<Arc<dyn Containerizer>> {
    vec![Arc::new(support::process_containerizer())]
}

fn simulated() -> Vec<Arc<dyn Containerizer>> {
    vec![Arc::new(SimulatedContainerizer)]
}

/// Runs an agent on `dir` in a runtime of its own until `task_id` is RUNNING, then drops the
/// runtime without any shutdown, the way `kill -9` ends the agent (its tasks keep running).
fn run_then_vanish(dir: &Path, containerizers: fn() -> Vec<Arc<dyn Containerizer>>, command: &str) -> TaskView {
    let dir = dir.to_path_buf();
    let command = command.to_string();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let view = runtime.block_on(async {
            let agent = agent_on(&dir, containerizers()).await;
            agent.handle_command(launch(shell_task("job", &command, &[]))).await.unwrap();
            task_in_state(&agent, "job", TaskState::TaskRunning, PATIENCE).await
        });
        runtime.shutdown_background();
        view
    })
    .join()
    .expect("the first agent ran")
}

fn uuids(statuses: &[TaskStatus]) -> Vec<(TaskState, Option<String>)> {
    statuses.iter().filter(|s| s.uuid.is_some()).map(|s| (s.state, s.uuid.clone())).collect()
}

#[tokio::test]
async fn rows_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let row = TaskRow {
        framework_id: FrameworkId::new("f-0000"),
        framework: None,
        task: shell_task("t", "sleep 1", &[31000]),
        containerizer: Some(ContainerizerKind::Process),
        container: Some(ContainerHandle::Process { pid: 42, start_time: 7 }),
        sandbox: PathBuf::from("/sandboxes/f/t/run"),
        latest: status(TaskState::TaskRunning, "u2"),
        pending: vec![status(TaskState::TaskStarting, "u1"), status(TaskState::TaskRunning, "u2")],
    };
    {
        let checkpoint = Checkpoint::open(dir.path(), Durability::Full).await.unwrap().slot("0");
        checkpoint.save_registration(&AgentId::new("m-S9"), "http://m:5050", "s3cret").await.unwrap();
        checkpoint.save_task(&row).await.unwrap();
        let other = Checkpoint::open(dir.path(), Durability::Full).await.unwrap().slot("1");
        other.save_task(&TaskRow { task: shell_task("elsewhere", "true", &[]), ..row.clone() }).await.unwrap();
    }
    let reopened = Checkpoint::open(dir.path(), Durability::Full).await.unwrap().slot("0");
    let saved = reopened.load().await.unwrap();
    assert_eq!(saved.agent_id, Some(AgentId::new("m-S9")));
    assert_eq!(saved.master.as_deref(), Some("http://m:5050"));
    assert_eq!(saved.secret.as_deref(), Some("s3cret"));
    assert_eq!(saved.tasks, vec![row.clone()], "only this slot's rows");
    reopened.remove_task(&row.framework_id, &row.task.task_id).await.unwrap();
    assert!(reopened.load().await.unwrap().tasks.is_empty());
    assert_eq!(std::fs::metadata(dir.path().join("agent.db")).map(|m| m.is_file()).ok(), Some(true));
}

fn status(state: TaskState, uuid: &str) -> TaskStatus {
    serde_json::from_value(serde_json::json!({"task_id": {"value": "t"}, "state": state, "uuid": uuid})).unwrap()
}

#[tokio::test]
async fn a_live_process_is_taken_over_with_its_pending_updates() {
    let dir = tempfile::tempdir().unwrap();
    let before = run_then_vanish(dir.path(), process, "echo $$ > pid; exec sleep 300");
    let pid = pid_in(&before.sandbox, "pid").await;
    assert!(process_alive(pid), "the task outlives its agent");

    let agent = agent_on(dir.path(), process()).await;
    let view = agent.view().await;
    let task = view.tasks.iter().find(|t| t.task.task_id.value == "job").expect("the task is back");
    assert_eq!(task.latest.state, TaskState::TaskRunning);
    assert_eq!(uuids(&task.statuses), uuids(&before.statuses), "the same updates, not new ones");
    let due = agent.due_updates(std::time::Instant::now()).await.messages;
    assert_eq!(due[0].status.uuid, before.statuses[1].uuid, "the unacknowledged STARTING goes again");

    agent.handle_command(support::kill("job")).await.unwrap();
    task_in_state(&agent, "job", TaskState::TaskKilled, PATIENCE).await;
    corral_testkit::eventually("the process to end", PATIENCE, || async { (!process_alive(pid)).then_some(()) }).await;
}

#[tokio::test]
async fn a_process_that_died_meanwhile_fails_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let before = run_then_vanish(dir.path(), process, "echo $$ > pid; exec sleep 300");
    let pid = pid_in(&before.sandbox, "pid").await;
    kill(Pid::from_raw(pid), Signal::SIGKILL).unwrap();
    corral_testkit::eventually("the process to end", PATIENCE, || async { (!process_alive(pid)).then_some(()) }).await;

    let agent = agent_on(dir.path(), process()).await;
    let failed = task_in_state(&agent, "job", TaskState::TaskFailed, PATIENCE).await;
    assert!(failed.latest.message.unwrap().contains("ended while the agent was down"));
    // Its earlier updates are still owed first, in order.
    let due = agent.due_updates(std::time::Instant::now()).await.messages;
    assert_eq!(due[0].status.state, TaskState::TaskStarting);
}

#[tokio::test]
async fn simulated_tasks_stay_running() {
    let dir = tempfile::tempdir().unwrap();
    run_then_vanish(dir.path(), simulated, "anything");
    let agent = agent_on(dir.path(), simulated()).await;
    let view = task_in_state(&agent, "job", TaskState::TaskRunning, PATIENCE).await;
    assert_eq!(view.statuses.iter().filter(|s| s.state == TaskState::TaskRunning).count(), 1, "no second RUNNING");
    agent.handle_command(support::kill("job")).await.unwrap();
    task_in_state(&agent, "job", TaskState::TaskKilled, PATIENCE).await;
}

#[tokio::test]
async fn a_task_whose_containerizer_is_gone_fails() {
    let dir = tempfile::tempdir().unwrap();
    run_then_vanish(dir.path(), simulated, "anything");
    let agent = agent_on(dir.path(), process()).await;
    let failed = task_in_state(&agent, "job", TaskState::TaskFailed, PATIENCE).await;
    assert!(failed.latest.message.unwrap().contains("without the simulated containerizer"));
}
