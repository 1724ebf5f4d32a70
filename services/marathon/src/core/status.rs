//! What a task status update from the master changes: the task's state and health, the events
//! clients see, and for a task that ended, its removal, the app's `lastTaskFailure` and launch
//! backoff (the runner then replaces it). A task marathon does not know is killed, as Marathon
//! kills tasks it has no record of.

use std::time::Instant;

use corral_wire::marathon::{EventKind, TaskFailure, Timestamp};
use corral_wire::mesos::{StatusReason, TaskState, TaskStatus};

use super::{state_name, Core, Health, Instance};

#[derive(Debug, Default)]
pub struct StatusOutcome {
    pub events: Vec<EventKind>,
    /// The task ended: delete its record.
    pub ended: Option<Instance>,
    /// A task marathon has no record of, still alive: kill it (`(task id, agent id)`).
    pub kill_unknown: Option<(String, String)>,
}

impl Core {
    pub fn apply_status(&mut self, status: &TaskStatus, now: Instant, wall: Timestamp) -> StatusOutcome {
        let mut outcome = StatusOutcome::default();
        let task_id = status.task_id.value.as_str();
        let Some(task) = self.task_mut(task_id) else {
            if !status.state.is_terminal() {
                let agent = status.agent_id.as_ref().map(|agent| agent.value.clone()).unwrap_or_default();
                outcome.kill_unknown = Some((task_id.to_string(), agent));
            }
            return outcome;
        };
        let changed = task.state != status.state;
        task.state = status.state;
        if status.state == TaskState::TaskRunning && task.started_at.is_none() {
            // A new leader learns of running tasks by reconciliation: the status keeps its time.
            let reported = status.timestamp.map(|seconds| Timestamp::from_millis((seconds * 1000.0) as i64));
            task.started_at = Some(reported.unwrap_or(wall).min(wall));
        }
        if let Some(agent) = &status.agent_id {
            task.agent_id.clone_from(&agent.value);
        }
        let message = status.message.clone().unwrap_or_default();
        outcome.events.push(EventKind::StatusUpdateEvent {
            slave_id: task.agent_id.clone(),
            task_id: task.task_id.clone(),
            task_status: state_name(status.state),
            message: message.clone(),
            app_id: task.app_id.clone(),
            host: task.host.clone(),
            ip_addresses: task.ip_addresses(),
            ports: task.ports.iter().map(|&port| i32::from(port)).collect(),
            version: task.version,
        });
        if changed {
            outcome.events.push(EventKind::InstanceChangedEvent {
                instance_id: task.task_id.clone(),
                condition: condition(status.state).to_string(),
                run_spec_id: task.app_id.clone(),
                agent_id: task.agent_id.clone(),
                host: task.host.clone(),
                run_spec_version: task.version,
            });
        }
        let mut became_healthy = false;
        if let (Some(alive), false) = (status.healthy, status.state.is_terminal()) {
            let cause = (!alive).then_some(message.as_str());
            if Health::record(&mut task.health, alive, wall, cause) {
                became_healthy = alive;
                outcome.events.push(EventKind::HealthStatusChangedEvent {
                    app_id: task.app_id.clone(),
                    instance_id: task.task_id.clone(),
                    version: task.version,
                    alive,
                });
                outcome.events.push(EventKind::InstanceHealthChangedEvent {
                    instance_id: task.task_id.clone(),
                    run_spec_id: task.app_id.clone(),
                    run_spec_version: task.version,
                    healthy: Some(alive),
                });
            }
        }
        let app_id = task.app_id.clone();
        if became_healthy {
            if let Some(runtime) = self.runtimes.get_mut(&app_id) {
                runtime.backoff.reset();
            }
        }
        if !status.state.is_terminal() {
            return outcome;
        }

        let task = self.remove_task(task_id).expect("the task is known");
        let killed_for_health = status.reason == Some(StatusReason::ReasonTaskHealthCheckStatusUpdated)
            || (status.healthy == Some(false) && !task.kill_requested());
        if killed_for_health {
            outcome.events.push(EventKind::UnhealthyInstanceKillEvent {
                app_id: app_id.clone(),
                task_id: task.task_id.clone(),
                instance_id: task.task_id.clone(),
                version: task.version,
                reason: message.clone(),
                host: task.host.clone(),
                slave_id: Some(task.agent_id.clone()),
            });
        }
        let expected = task.kill_requested() || status.state == TaskState::TaskKilled;
        if !expected || killed_for_health {
            if let Some(runtime) = self.runtimes.get_mut(&app_id) {
                runtime.backoff.record_failure(now);
                runtime.last_failure = Some(TaskFailure {
                    app_id: app_id.clone(),
                    host: task.host.clone(),
                    message,
                    state: state_name(status.state),
                    task_id: task.task_id.clone(),
                    timestamp: wall,
                    version: task.version,
                    slave_id: Some(task.agent_id.clone()),
                });
            }
        }
        outcome.ended = Some(task);
        outcome
    }

    /// Every known task as a reconciliation request names it: `(task id, agent id)`.
    pub fn reconciliation_list(&self) -> Vec<(String, String)> {
        self.all_tasks().map(|task| (task.task_id.clone(), task.agent_id.clone())).collect()
    }
}

/// Marathon's instance condition for a Mesos task state.
fn condition(state: TaskState) -> &'static str {
    match state {
        TaskState::TaskStaging => "Staging",
        TaskState::TaskStarting => "Starting",
        TaskState::TaskRunning => "Running",
        TaskState::TaskKilling => "Killing",
        TaskState::TaskFinished => "Finished",
        TaskState::TaskFailed => "Failed",
        TaskState::TaskKilled => "Killed",
        TaskState::TaskError => "Error",
        TaskState::TaskLost => "Lost",
        TaskState::TaskDropped => "Dropped",
        TaskState::TaskUnreachable => "Unreachable",
        TaskState::TaskGone => "Gone",
        TaskState::TaskGoneByOperator => "GoneByOperator",
        TaskState::TaskUnknown => "Unknown",
    }
}
