//! Framework-supplied values reach the checkpoint only as bound parameters: ids full of quotes,
//! semicolons, SQL fragments and NUL characters are saved, loaded back unchanged and removed,
//! and no id changes what a statement does (every table and every other row stays).

mod support;

use std::path::PathBuf;

use corral_agent::checkpoint::{AgentCheckpoint, Checkpoint, Durability, TaskRow};
use corral_agent::containerizer::{ContainerHandle, ContainerizerKind};
use corral_wire::mesos::{AgentId, FrameworkId, TaskId, TaskState, TaskStatus};
use support::shell_task;

/// Ids that would end or extend a statement if they were spliced into it.
const HOSTILE: &[&str] = &[
    "'); DROP TABLE task; --",
    "' OR '1'='1",
    "it's",
    "''",
    "\"; DELETE FROM agent; --",
    "x'; UPDATE task SET task_info = 'garbage' WHERE '1'='1",
    "back\\slash\\'",
    "semi;colon;",
    "new\nline\r\ttab",
    "ünïcödé ✓ 🚀",
    "--",
    "/* comment",
];

/// The slot of an agent whose rows no hostile write may touch.
const BYSTANDERS: &str = "bystanders";

fn row(framework_id: &str, task_id: &str) -> TaskRow {
    TaskRow {
        framework_id: FrameworkId::new(framework_id),
        framework: None,
        task: shell_task(task_id, "echo '; DROP TABLE agent; --'", &[31000]),
        containerizer: Some(ContainerizerKind::Process),
        container: Some(ContainerHandle::Process { pid: 42, start_time: 7 }),
        sandbox: PathBuf::from(format!("/sandboxes/{framework_id}/{task_id}/run")),
        latest: status(task_id, TaskState::TaskRunning),
        pending: vec![status(task_id, TaskState::TaskRunning)],
    }
}

fn status(task_id: &str, state: TaskState) -> TaskStatus {
    serde_json::from_value(serde_json::json!({"task_id": {"value": task_id}, "state": state, "uuid": "'; --"})).unwrap()
}

/// Saves the registration and a task with these ids in `slot`, reads them back from a reopened
/// file, removes the task, and checks that a bystander in another slot was never touched.
async fn check(slot: &str, framework_id: &str, task_id: &str, agent_id: &str) {
    let label = format!("slot {slot:?}, framework {framework_id:?}, task {task_id:?}, agent {agent_id:?}");
    let dir = tempfile::tempdir().unwrap();
    let bystander = row("f-0000", "bystander");
    {
        let checkpoint = Checkpoint::open(dir.path(), Durability::Full).await.unwrap();
        checkpoint.slot(BYSTANDERS).save_registration(&AgentId::new("a-S0"), "http://m", "s").await.unwrap();
        checkpoint.slot(BYSTANDERS).save_task(&bystander).await.unwrap();
        let hostile = checkpoint.slot(slot);
        hostile.save_registration(&AgentId::new(agent_id), agent_id, agent_id).await.unwrap();
        hostile.save_task(&row(framework_id, task_id)).await.unwrap();
        hostile.save_task(&row(framework_id, task_id)).await.expect("saved again over itself");
    }
    let checkpoint = Checkpoint::open(dir.path(), Durability::Full).await.unwrap();
    let hostile: AgentCheckpoint = checkpoint.slot(slot);
    let saved = hostile.load().await.unwrap();
    assert_eq!(saved.agent_id, Some(AgentId::new(agent_id)), "{label}");
    assert_eq!(saved.master.as_deref(), Some(agent_id), "{label}");
    assert_eq!(saved.secret.as_deref(), Some(agent_id), "{label}");
    assert_eq!(saved.tasks, vec![row(framework_id, task_id)], "{label}");

    hostile.remove_task(&FrameworkId::new(framework_id), &TaskId::new(task_id)).await.unwrap();
    assert!(hostile.load().await.unwrap().tasks.is_empty(), "{label}");
    let untouched = checkpoint.slot(BYSTANDERS).load().await.unwrap();
    assert_eq!(untouched.tasks, vec![bystander], "{label}");
    assert_eq!(untouched.agent_id, Some(AgentId::new("a-S0")), "{label}");
}

#[tokio::test]
async fn ids_that_look_like_sql_round_trip_through_save_and_load() {
    for hostile in HOSTILE {
        check("0", hostile, "task", "agent").await;
        check("0", "framework", hostile, "agent").await;
        check("0", "framework", "task", hostile).await;
        check(hostile, "framework", "task", "agent").await;
        check(hostile, hostile, hostile, hostile).await;
    }
}

#[tokio::test]
async fn ids_with_nul_characters_round_trip_through_save_and_load() {
    check("0", "frame\0work", "task", "agent").await;
    check("0", "framework", "\0'); DROP TABLE task; --", "agent").await;
    check("0", "framework", "task", "ag\0ent").await;
    check("sl\0ot", "framework", "task", "agent").await;
}
