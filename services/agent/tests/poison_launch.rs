//! A launch that cannot start does not stop the agent: a task whose id is too long for a file
//! name runs in a sandbox with a shortened name, and a task whose sandbox cannot be made or whose
//! launch cannot be checkpointed becomes TASK_FAILED (REASON_CONTAINER_LAUNCH_FAILED, with a
//! message) while its LAUNCH still counts as carried out, so the commands behind it run too.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use corral_agent::containerizer::Containerizer;
use corral_testkit::{eventually, free_port};
use corral_wire::mesos::{StatusReason, TaskState};
use support::fake_master::FakeMaster;
use support::{agent_on, kill, launch, shell_task, spawn_agent, task_in_state, FRAMEWORK_ID};

const PATIENCE: Duration = Duration::from_secs(20);

fn process() -> Vec<Arc<dyn Containerizer>> {
    vec![Arc::new(support::process_containerizer())]
}

/// Puts a file where the sandboxes of `task_id` go, so that no run directory can be made there.
fn block_sandbox_of(work_dir: &Path, task_id: &str) {
    let framework_dir = work_dir.join("sandboxes").join(FRAMEWORK_ID);
    std::fs::create_dir_all(&framework_dir).unwrap();
    std::fs::write(framework_dir.join(task_id), "in the way").unwrap();
}

#[tokio::test]
async fn a_task_id_too_long_for_a_file_name_runs_in_a_shortened_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let agent = agent_on(dir.path(), process()).await;
    let id = format!("web.{}", "x".repeat(300));
    agent.handle_command(launch(shell_task(&id, "exec sleep 300", &[]))).await.expect("the launch is carried out");

    let running = task_in_state(&agent, &id, TaskState::TaskRunning, PATIENCE).await;
    let task_dir = running.sandbox.parent().and_then(Path::file_name).expect("a task directory").to_string_lossy();
    assert!(task_dir.len() <= 255, "{} bytes", task_dir.len());
    assert!(task_dir.starts_with("web.xxx"), "{task_dir}");
    assert!(running.sandbox.is_dir());
    agent.handle_command(kill(&id)).await.unwrap();
    task_in_state(&agent, &id, TaskState::TaskKilled, PATIENCE).await;
}

#[tokio::test]
async fn a_sandbox_that_cannot_be_made_fails_the_task_and_the_next_launch_runs() {
    let dir = tempfile::tempdir().unwrap();
    let agent = agent_on(dir.path(), process()).await;
    block_sandbox_of(dir.path(), "doomed");

    agent.handle_command(launch(shell_task("doomed", "exec sleep 300", &[]))).await.expect("the launch is carried out");
    let failed = task_in_state(&agent, "doomed", TaskState::TaskFailed, PATIENCE).await;
    assert_eq!(failed.latest.reason, Some(StatusReason::ReasonContainerLaunchFailed));
    let message = failed.latest.message.clone().unwrap_or_default();
    assert!(message.contains("cannot create the sandbox"), "{message}");
    let due = agent.due_updates(std::time::Instant::now()).await.messages;
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].status.state, TaskState::TaskFailed, "the failure is owed to the master");

    agent.handle_command(launch(shell_task("web", "exec sleep 300", &[]))).await.unwrap();
    task_in_state(&agent, "web", TaskState::TaskRunning, PATIENCE).await;
    agent.handle_command(kill("web")).await.unwrap();
    task_in_state(&agent, "web", TaskState::TaskKilled, PATIENCE).await;
}

#[tokio::test]
async fn a_launch_that_cannot_be_checkpointed_fails_the_task_without_starting_it() {
    let dir = tempfile::tempdir().unwrap();
    let agent = agent_on(dir.path(), process()).await;
    // Another connection to the same file makes every write of this one task fail, as a full
    // disk would.
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.path().join("agent.db").display())).await.unwrap();
    sqlx::raw_sql(
        "CREATE TRIGGER refuse_unsaved BEFORE INSERT ON task WHEN NEW.task_id = 'unsaved'
         BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
    )
    .execute(&db)
    .await
    .unwrap();

    agent
        .handle_command(launch(shell_task("unsaved", "touch started; exec sleep 300", &[])))
        .await
        .expect("carried out");
    let failed = task_in_state(&agent, "unsaved", TaskState::TaskFailed, PATIENCE).await;
    assert_eq!(failed.latest.reason, Some(StatusReason::ReasonContainerLaunchFailed));
    let message = failed.latest.message.clone().unwrap_or_default();
    assert!(message.contains("cannot checkpoint"), "{message}");
    let states: Vec<TaskState> = failed.statuses.iter().map(|status| status.state).collect();
    assert_eq!(states, [TaskState::TaskStaging, TaskState::TaskFailed], "nothing was started");
    assert!(!failed.sandbox.join("started").exists());

    agent.handle_command(launch(shell_task("saved", "exec sleep 300", &[]))).await.unwrap();
    task_in_state(&agent, "saved", TaskState::TaskRunning, PATIENCE).await;
    agent.handle_command(kill("saved")).await.unwrap();
    task_in_state(&agent, "saved", TaskState::TaskKilled, PATIENCE).await;
}

#[tokio::test]
async fn the_agent_binary_carries_on_past_a_launch_that_cannot_start() {
    let master = FakeMaster::start().await;
    let dir = tempfile::tempdir().unwrap();
    block_sandbox_of(dir.path(), "doomed");
    let _agent = spawn_agent(&master.base_url, dir.path(), free_port(), &["--status-retry-ms", "300"]);
    master.push(launch(shell_task("doomed", "exec sleep 300", &[])));
    master.push(launch(shell_task("web", "exec sleep 300", &[])));

    let failed = acknowledge(&master, "doomed", TaskState::TaskFailed).await;
    assert_eq!(failed.reason, Some(StatusReason::ReasonContainerLaunchFailed));
    acknowledge(&master, "web", TaskState::TaskStarting).await;
    acknowledge(&master, "web", TaskState::TaskRunning).await;
    master.push(kill("web"));
    acknowledge(&master, "web", TaskState::TaskKilled).await;
}

/// Waits for an update of `task` in `state` and acknowledges it.
async fn acknowledge(master: &FakeMaster, task: &str, state: TaskState) -> corral_wire::mesos::TaskStatus {
    let update = eventually(&format!("{task} {state:?}"), PATIENCE, || async {
        master.updates().into_iter().find(|u| u.status.task_id.value == task && u.status.state == state)
    })
    .await;
    master.acknowledge(&update);
    update.status
}
