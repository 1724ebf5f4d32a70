//! An agent driven by the master's commands, with real processes: the status sequence, one
//! update in flight per task until acknowledged, kills with a grace period (and TASK_KILLING for
//! frameworks that declared it), refusals, and forgetting a task only once everything about it
//! was acknowledged.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use corral_agent::agent::Agent;
use corral_agent::containerizer::Containerizer;
use corral_wire::agent_api::{AgentCommand, StatusUpdateMessage};
use corral_wire::mesos::{
    Capability, ContainerInfo, ContainerType, DurationInfo, FrameworkId, KillPolicy, StatusSource, TaskId, TaskState,
};
use support::{agent_on, kill, launch, launch_declaring, shell_task, task_in_state, FRAMEWORK_ID};

const PATIENCE: Duration = Duration::from_secs(20);

fn process() -> Vec<Arc<dyn Containerizer>> {
    vec![Arc::new(support::process_containerizer())]
}

async fn due(agent: &Agent) -> Vec<StatusUpdateMessage> {
    agent.due_updates(std::time::Instant::now()).await.messages
}

async fn acknowledge(agent: &Arc<Agent>, update: &StatusUpdateMessage) {
    let command = AgentCommand::Acknowledge {
        framework_id: update.framework_id.clone(),
        task_id: update.status.task_id.clone(),
        uuid: update.status.uuid.clone().unwrap(),
    };
    agent.handle_command(command).await.unwrap();
}

/// Acknowledges the head updates of every task until none is due; returns the states seen.
async fn acknowledge_all(agent: &Arc<Agent>) -> Vec<TaskState> {
    let mut states = Vec::new();
    loop {
        let updates = due(agent).await;
        if updates.is_empty() {
            return states;
        }
        for update in updates {
            states.push(update.status.state);
            acknowledge(agent, &update).await;
        }
    }
}

#[tokio::test]
async fn starting_running_then_killed_with_one_update_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let agent = agent_on(dir.path(), process()).await;
    agent.handle_command(launch(shell_task("web", "exec sleep 300", &[31001]))).await.unwrap();
    let running = task_in_state(&agent, "web", TaskState::TaskRunning, PATIENCE).await;
    let states: Vec<TaskState> = running.statuses.iter().map(|s| s.state).collect();
    assert_eq!(states, [TaskState::TaskStaging, TaskState::TaskStarting, TaskState::TaskRunning]);

    // Only the head goes out, and it is not due again before the retry interval.
    let first = due(&agent).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].status.state, TaskState::TaskStarting);
    assert_eq!(first[0].status.source, Some(StatusSource::SourceExecutor));
    assert!(due(&agent).await.is_empty());
    // A stale acknowledgement changes nothing; the right one brings the next update.
    let stale = AgentCommand::Acknowledge {
        framework_id: FrameworkId::new(FRAMEWORK_ID),
        task_id: TaskId::new("web"),
        uuid: "bm90IGl0".into(),
    };
    agent.handle_command(stale).await.unwrap();
    assert!(due(&agent).await.is_empty());
    acknowledge(&agent, &first[0]).await;
    let second = due(&agent).await;
    assert_eq!(second[0].status.state, TaskState::TaskRunning);
    acknowledge(&agent, &second[0]).await;

    agent.handle_command(kill("web")).await.unwrap();
    let killed = task_in_state(&agent, "web", TaskState::TaskKilled, PATIENCE).await;
    assert!(killed.latest.message.as_deref().unwrap().contains("SIGTERM"), "{:?}", killed.latest.message);
    assert_eq!(acknowledge_all(&agent).await, [TaskState::TaskKilled]);
    let view = agent.view().await;
    assert!(view.tasks.is_empty(), "an acknowledged ended task is forgotten");
    assert_eq!(view.completed.len(), 1);

    // A repeated launch of a task the agent knows is ignored.
    agent.handle_command(launch(shell_task("web", "exit 0", &[]))).await.unwrap();
    assert!(agent.view().await.tasks.is_empty());
}

#[tokio::test]
async fn exit_codes_become_finished_and_failed() {
    let dir = tempfile::tempdir().unwrap();
    let agent = agent_on(dir.path(), process()).await;
    agent.handle_command(launch(shell_task("ok", "exit 0", &[]))).await.unwrap();
    agent.handle_command(launch(shell_task("bad", "exit 4", &[]))).await.unwrap();
    task_in_state(&agent, "ok", TaskState::TaskFinished, PATIENCE).await;
    let failed = task_in_state(&agent, "bad", TaskState::TaskFailed, PATIENCE).await;
    assert_eq!(failed.latest.message.as_deref(), Some("Command exited with status 4"));
}

#[tokio::test]
async fn sigkill_after_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let agent = agent_on(dir.path(), process()).await;
    let mut task = shell_task("stubborn", "trap '' TERM; while true; do sleep 0.1; done", &[]);
    task.kill_policy = Some(KillPolicy { grace_period: Some(DurationInfo { nanoseconds: 5_000_000_000 }) });
    agent.handle_command(launch(task)).await.unwrap();
    task_in_state(&agent, "stubborn", TaskState::TaskRunning, PATIENCE).await;
    // The KILL command's own policy wins over the task's.
    let started = Instant::now();
    let policy = KillPolicy { grace_period: Some(DurationInfo { nanoseconds: 800_000_000 }) };
    let command = AgentCommand::Kill {
        framework_id: FrameworkId::new(FRAMEWORK_ID),
        task_id: TaskId::new("stubborn"),
        kill_policy: Some(policy),
    };
    agent.handle_command(command).await.unwrap();
    let killed = task_in_state(&agent, "stubborn", TaskState::TaskKilled, PATIENCE).await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(800) && took < Duration::from_secs(4), "took {took:?}");
    assert!(killed.latest.message.unwrap().contains("SIGKILL"));
}

#[tokio::test]
async fn task_killing_starts_the_grace_period_for_frameworks_that_declared_it() {
    use TaskState::{TaskKilled, TaskKilling, TaskRunning, TaskStarting};
    let dir = tempfile::tempdir().unwrap();
    let agent = agent_on(dir.path(), process()).await;
    let mut stubborn = shell_task("capable", "trap '' TERM; while true; do sleep 0.1; done", &[]);
    stubborn.kill_policy = Some(KillPolicy { grace_period: Some(DurationInfo { nanoseconds: 1_500_000_000 }) });
    agent.handle_command(launch_declaring(stubborn, &[Capability::TASK_KILLING_STATE])).await.unwrap();
    agent.handle_command(launch(shell_task("plain", "exec sleep 300", &[]))).await.unwrap();
    for id in ["capable", "plain"] {
        task_in_state(&agent, id, TaskState::TaskRunning, PATIENCE).await;
    }

    let started = Instant::now();
    agent.handle_command(kill("capable")).await.unwrap();
    task_in_state(&agent, "capable", TaskState::TaskKilling, PATIENCE).await;
    assert!(started.elapsed() < Duration::from_secs(1), "TASK_KILLING comes as the kill starts");
    let killed = task_in_state(&agent, "capable", TaskState::TaskKilled, PATIENCE).await;
    assert!(started.elapsed() >= Duration::from_millis(1_500), "the task ignored SIGTERM for its grace period");
    assert!(killed.latest.message.unwrap().contains("SIGKILL"));
    agent.handle_command(kill("plain")).await.unwrap();
    task_in_state(&agent, "plain", TaskState::TaskKilled, PATIENCE).await;

    // What the master is sent, in order: TASK_KILLING only for the framework that declared it.
    let mut sent: Vec<(String, TaskState)> = Vec::new();
    loop {
        let updates = due(&agent).await;
        if updates.is_empty() {
            break;
        }
        for update in updates {
            sent.push((update.status.task_id.value.clone(), update.status.state));
            acknowledge(&agent, &update).await;
        }
    }
    let states_of =
        |id: &str| -> Vec<TaskState> { sent.iter().filter(|(task, _)| task == id).map(|(_, state)| *state).collect() };
    assert_eq!(states_of("capable"), [TaskStarting, TaskRunning, TaskKilling, TaskKilled]);
    assert_eq!(states_of("plain"), [TaskStarting, TaskRunning, TaskKilled]);
}

#[tokio::test]
async fn tasks_no_containerizer_can_run_fail_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let agent = agent_on(dir.path(), process()).await;
    let mut task = shell_task("boxed", "true", &[]);
    task.container =
        Some(ContainerInfo { container_type: ContainerType::Docker, docker: None, hostname: None, volumes: vec![] });
    agent.handle_command(launch(task)).await.unwrap();
    let failed = task_in_state(&agent, "boxed", TaskState::TaskFailed, PATIENCE).await;
    assert_eq!(failed.latest.source, Some(StatusSource::SourceAgent));
    assert!(failed.latest.message.unwrap().contains("none of the enabled containerizers (process)"));
}

#[tokio::test]
async fn shutting_down_a_framework_kills_its_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let agent = agent_on(dir.path(), process()).await;
    for id in ["a", "b"] {
        agent.handle_command(launch(shell_task(id, "exec sleep 300", &[]))).await.unwrap();
        task_in_state(&agent, id, TaskState::TaskRunning, PATIENCE).await;
    }
    agent
        .handle_command(AgentCommand::ShutdownFramework { framework_id: FrameworkId::new(FRAMEWORK_ID) })
        .await
        .unwrap();
    for id in ["a", "b"] {
        let killed = task_in_state(&agent, id, TaskState::TaskKilled, PATIENCE).await;
        assert!(killed.latest.message.unwrap().contains("framework was shut down"));
    }
}

/// `--stop-tasks-on-exit`: every task is killed (with its grace period) and ended before the
/// agent goes, so a torn-down cluster leaves no task behind.
#[tokio::test]
async fn stopping_all_tasks_ends_every_one_before_returning() {
    let dir = tempfile::tempdir().unwrap();
    let agent = agent_on(dir.path(), process()).await;
    for (id, port) in [("a", 31001), ("b", 31002)] {
        let command = format!("echo $$ > {id}.pid; exec sleep 300");
        agent.handle_command(launch(shell_task(id, &command, &[port]))).await.unwrap();
        task_in_state(&agent, id, TaskState::TaskRunning, PATIENCE).await;
    }
    let started = Instant::now();
    agent.stop_all_tasks(PATIENCE).await;
    assert!(started.elapsed() < PATIENCE, "it returned once the tasks ended, not at its deadline");
    for id in ["a", "b"] {
        let view = task_in_state(&agent, id, TaskState::TaskKilled, Duration::from_millis(1)).await;
        assert_eq!(view.statuses.last().map(|s| s.state), Some(TaskState::TaskKilled));
    }
}
