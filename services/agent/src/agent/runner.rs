//! A task's runner: one tokio task per task that launches (or takes over) its container,
//! reports TASK_STARTING and TASK_RUNNING, runs its health checks, stops it when asked
//! (SIGTERM, the grace period, then SIGKILL), and reports how it ended once its container is
//! cleaned up. As Mesos' executors do, a kill pauses the health checks and, for a framework that
//! declared `TASK_KILLING_STATE`, reports TASK_KILLING as the grace period starts.

use corral_wire::mesos::{StatusReason, StatusSource, TaskState};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::task_entry::{KillRequest, TaskKey};
use super::{Agent, Report};
use crate::containerizer::{Container, Containerizer, KillCause, LaunchError, LaunchRequest, TerminalReport};
use crate::health::{HealthChecks, HealthVerdict};

/// How a runner begins.
pub(crate) enum RunStart {
    /// A new task: launch it.
    Launch,
    /// A task found running after an agent restart; `announce_running` when the agent had not
    /// reported TASK_RUNNING before it went down.
    Recovered { container: Box<dyn Container>, announce_running: bool },
}

pub(crate) async fn run_task(
    agent: Arc<Agent>,
    key: TaskKey,
    containerizer: Arc<dyn Containerizer>,
    request: LaunchRequest,
    start: RunStart,
    mut kills: mpsc::Receiver<KillRequest>,
    healthy_before: Option<bool>,
) {
    let say = |report: Report| {
        let (agent, key) = (agent.clone(), key.clone());
        async move {
            if let Err(error) = agent.report(&key, report).await {
                tracing::error!(message = "Cannot checkpoint a task's status.", task = %key.task_id, %error);
            }
        }
    };
    let (container, announce_running) = match start {
        RunStart::Launch => {
            say(Report::from_task(TaskState::TaskStarting)).await;
            match containerizer.launch(&request).await {
                Ok(container) => (container, true),
                Err(error) => {
                    tracing::warn!(message = "A task could not be launched.", task = %key.task_id, %error);
                    say(launch_failure(error)).await;
                    return;
                }
            }
        }
        RunStart::Recovered { container, announce_running } => (container, announce_running),
    };
    let container: Arc<dyn Container> = Arc::from(container);
    let reports_killing = agent.reports_killing(&key).await;
    if let Err(error) = agent.record_container(&key, container.handle()).await {
        tracing::error!(message = "Cannot checkpoint a task's container.", task = %key.task_id, %error);
    }
    if announce_running {
        say(Report::from_task(TaskState::TaskRunning)).await;
    }

    let mut health = request
        .task
        .health_check
        .as_ref()
        .map(|check| HealthChecks::start(check, &request, container.clone(), healthy_before));
    let mut killing: Option<KillCause> = None;
    let mut force_at: Option<Instant> = None;
    let outcome = loop {
        tokio::select! {
            outcome = container.wait() => break outcome,
            Some(kill) = kills.recv(), if killing.is_none() => {
                tracing::info!(message = "Killing a task.", task = %key.task_id, grace = ?kill.grace, cause = ?kill.cause);
                killing = Some(kill.cause);
                force_at = Some(Instant::now() + kill.grace);
                health = None;
                if reports_killing {
                    say(Report::from_task(TaskState::TaskKilling)).await;
                }
                container.terminate().await;
            }
            _ = sleep_until(force_at) => {
                tracing::info!(message = "The grace period is over: SIGKILL.", task = %key.task_id);
                force_at = None;
                container.force_kill().await;
            }
            Some(verdict) = next_verdict(&mut health) => match verdict {
                HealthVerdict::Changed { healthy, message } => say(health_report(healthy, message)).await,
                HealthVerdict::Kill { message } if killing.is_none() => {
                    tracing::info!(message = "Killing an unhealthy task.", task = %key.task_id, why = %message);
                    killing = Some(KillCause::HealthChecksFailed(message));
                    force_at = Some(Instant::now() + super::grace_period(None, &request.task));
                    health = None;
                    if reports_killing {
                        say(Report::from_task(TaskState::TaskKilling)).await;
                    }
                    container.terminate().await;
                }
                HealthVerdict::Kill { .. } => {}
            },
        }
    };
    drop(health);
    container.cleanup().await;
    let terminal = TerminalReport::new(&outcome, killing.as_ref());
    tracing::info!(message = "A task ended.", task = %key.task_id, state = ?terminal.state, how = %terminal.message);
    say(Report::terminal(terminal, StatusSource::SourceExecutor)).await;
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

async fn next_verdict(health: &mut Option<HealthChecks>) -> Option<HealthVerdict> {
    match health {
        Some(checks) => checks.next().await,
        None => std::future::pending().await,
    }
}

/// TASK_RUNNING again, now saying whether the task is healthy.
fn health_report(healthy: bool, message: Option<String>) -> Report {
    Report {
        healthy: Some(healthy),
        message,
        reason: Some(StatusReason::ReasonTaskHealthCheckStatusUpdated),
        ..Report::from_task(TaskState::TaskRunning)
    }
}

fn launch_failure(error: LaunchError) -> Report {
    match error {
        LaunchError::Invalid(message) => {
            Report::from_agent(TaskState::TaskError, message, StatusReason::ReasonTaskInvalid)
        }
        LaunchError::Failed(message) => {
            Report::from_agent(TaskState::TaskFailed, message, StatusReason::ReasonContainerLaunchFailed)
        }
    }
}
