//! A checkpoint row the agent cannot read does not stop it: the row is moved to the `quarantine`
//! table with the reason, counted (`corral_agent_checkpoint_quarantined_total` in `/metrics`),
//! and skipped, while every other task is recovered and the agent registers and serves.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use corral_agent::agent::read_counter;
use corral_agent::checkpoint::{Checkpoint, Durability, TaskRow};
use corral_agent::containerizer::simulated::SimulatedContainerizer;
use corral_agent::containerizer::{Containerizer, ContainerizerKind};
use corral_testkit::{eventually, free_port};
use corral_wire::mesos::{FrameworkId, TaskState, TaskStatus};
use support::fake_master::FakeMaster;
use support::{agent_on, launch, shell_task, spawn_agent, task_in_state, FRAMEWORK_ID};

const PATIENCE: Duration = Duration::from_secs(20);

fn simulated() -> Vec<Arc<dyn Containerizer>> {
    vec![Arc::new(SimulatedContainerizer)]
}

async fn database(work_dir: &Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}", work_dir.join("agent.db").display())).await.unwrap()
}

/// Overwrites one column of one task's row with text that is not what the agent wrote.
async fn corrupt(work_dir: &Path, task_id: &str, column: &str, garbage: &str) {
    let db = database(work_dir).await;
    let statement = format!("UPDATE task SET {column} = ? WHERE task_id = ?");
    let changed = sqlx::query(&statement).bind(garbage).bind(task_id).execute(&db).await.unwrap();
    assert_eq!(changed.rows_affected(), 1);
    db.close().await;
}

/// (task id, error) of every quarantined row.
async fn quarantined(work_dir: &Path) -> Vec<(String, String)> {
    let db = database(work_dir).await;
    let rows = sqlx::query_as("SELECT task_id, error FROM quarantine ORDER BY task_id").fetch_all(&db).await.unwrap();
    db.close().await;
    rows
}

#[tokio::test]
async fn a_corrupt_row_is_quarantined_and_the_other_tasks_recover() {
    let dir = tempfile::tempdir().unwrap();
    {
        let agent = agent_on(dir.path(), simulated()).await;
        for task in ["before", "broken", "after"] {
            agent.handle_command(launch(shell_task(task, "anything", &[]))).await.unwrap();
            task_in_state(&agent, task, TaskState::TaskRunning, PATIENCE).await;
        }
    }
    corrupt(dir.path(), "broken", "task_info", "{\"task_id\": garbage").await;

    let agent = agent_on(dir.path(), simulated()).await;
    for task in ["before", "after"] {
        task_in_state(&agent, task, TaskState::TaskRunning, PATIENCE).await;
    }
    let view = agent.view().await;
    assert!(view.tasks.iter().all(|t| t.task.task_id.value != "broken"), "the corrupt row is skipped");
    assert_eq!(read_counter(&agent.counters.checkpoint_quarantined), 1);
    let moved = quarantined(dir.path()).await;
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].0, "broken");
    assert!(moved[0].1.contains("task_info"), "the reason names the column: {}", moved[0].1);

    // The next start finds nothing more to quarantine.
    drop(agent);
    let again = agent_on(dir.path(), simulated()).await;
    assert_eq!(read_counter(&again.counters.checkpoint_quarantined), 0);
    assert_eq!(quarantined(dir.path()).await.len(), 1);
}

#[tokio::test]
async fn every_unreadable_column_is_quarantined() {
    for column in ["framework_info", "task_info", "containerizer", "container", "latest_status", "pending_updates"] {
        let dir = tempfile::tempdir().unwrap();
        {
            let agent = agent_on(dir.path(), simulated()).await;
            for task in ["good", "bad"] {
                agent.handle_command(launch(shell_task(task, "anything", &[]))).await.unwrap();
                task_in_state(&agent, task, TaskState::TaskRunning, PATIENCE).await;
            }
        }
        corrupt(dir.path(), "bad", column, "\u{1}not what the agent wrote").await;
        let agent = agent_on(dir.path(), simulated()).await;
        task_in_state(&agent, "good", TaskState::TaskRunning, PATIENCE).await;
        assert_eq!(read_counter(&agent.counters.checkpoint_quarantined), 1, "{column}");
        assert_eq!(quarantined(dir.path()).await.len(), 1, "{column}");
    }
}

/// A task that ended and whose TASK_FINISHED is not yet acknowledged: recovered as it is.
fn finished_row(task_id: &str) -> TaskRow {
    let status: TaskStatus = serde_json::from_value(
        serde_json::json!({"task_id": {"value": task_id}, "state": "TASK_FINISHED", "uuid": "dW5hY2tlZA=="}),
    )
    .unwrap();
    TaskRow {
        framework_id: FrameworkId::new(FRAMEWORK_ID),
        framework: None,
        task: shell_task(task_id, "true", &[]),
        containerizer: Some(ContainerizerKind::Process),
        container: None,
        sandbox: PathBuf::from("/nowhere"),
        latest: status.clone(),
        pending: vec![status],
    }
}

#[tokio::test]
async fn the_agent_binary_starts_and_serves_with_a_garbage_row_in_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    {
        let checkpoint = Checkpoint::open(dir.path(), Durability::Full).await.unwrap().slot("0");
        for task in ["kept", "garbage"] {
            checkpoint.save_task(&finished_row(task)).await.unwrap();
        }
    }
    corrupt(dir.path(), "garbage", "task_info", "garbage").await;

    let master = FakeMaster::start().await;
    let port = free_port();
    let _agent = spawn_agent(&master.base_url, dir.path(), port, &[]);

    let registration =
        eventually("a registration", PATIENCE, || async { master.registrations().first().cloned() }).await;
    let tasks: Vec<&str> = registration.tasks.iter().map(|t| t.task.task_id.value.as_str()).collect();
    assert_eq!(tasks, ["kept"], "the readable task is recovered and registered");
    let update = eventually("the owed TASK_FINISHED", PATIENCE, || async {
        master.updates().into_iter().find(|u| u.status.task_id.value == "kept")
    })
    .await;
    assert_eq!(update.status.state, TaskState::TaskFinished);

    let http = reqwest::Client::new();
    let metrics = http.get(format!("http://127.0.0.1:{port}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("corral_agent_checkpoint_quarantined_total 1"), "{metrics}");
    let state: serde_json::Value =
        http.get(format!("http://127.0.0.1:{port}/state")).send().await.unwrap().json().await.unwrap();
    assert_eq!(state["id"], "fake-S1");
    assert_eq!(quarantined(dir.path()).await.len(), 1);
}
