//! [`Report`]: what a runner or the agent says happened to a task, and the `TaskStatus` it becomes
//! (with a fresh uuid, so that it must be acknowledged, and a timestamp).

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use corral_wire::mesos::{AgentId, ExecutorId, StatusReason, StatusSource, TaskId, TaskState, TaskStatus};
use rand::RngCore;

use crate::containerizer::TerminalReport;

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub state: TaskState,
    pub message: Option<String>,
    pub reason: Option<StatusReason>,
    pub source: StatusSource,
    pub healthy: Option<bool>,
}

impl Report {
    /// A state reached by the task itself (its "executor" in Mesos' terms).
    pub fn from_task(state: TaskState) -> Self {
        Report { state, message: None, reason: None, source: StatusSource::SourceExecutor, healthy: None }
    }

    /// A state the agent decided (launch refused, task lost during recovery).
    pub fn from_agent(state: TaskState, message: impl Into<String>, reason: StatusReason) -> Self {
        Report {
            state,
            message: Some(message.into()),
            reason: Some(reason),
            source: StatusSource::SourceAgent,
            healthy: None,
        }
    }

    pub fn terminal(report: TerminalReport, source: StatusSource) -> Self {
        Report {
            state: report.state,
            message: Some(report.message),
            reason: report.reason,
            source,
            healthy: report.healthy,
        }
    }

    /// The status to send: the task's own executor id (Mesos' command executor has the task's
    /// id), a timestamp and a new uuid.
    pub fn into_status(self, task_id: &TaskId, agent_id: &AgentId, now: SystemTime) -> TaskStatus {
        TaskStatus {
            task_id: task_id.clone(),
            state: self.state,
            message: self.message,
            source: Some(self.source),
            reason: self.reason,
            agent_id: Some(agent_id.clone()),
            executor_id: Some(ExecutorId::new(task_id.value.clone())),
            timestamp: Some(now.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())),
            uuid: Some(new_uuid()),
            healthy: self.healthy,
            container_status: None,
        }
    }
}

/// Base64 of 16 random bytes.
pub fn new_uuid() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_carry_a_fresh_uuid_and_a_timestamp() {
        let now = UNIX_EPOCH + std::time::Duration::from_millis(1_500);
        let task = TaskId::new("web.1");
        let first = Report::from_task(TaskState::TaskRunning).into_status(&task, &AgentId::new("m-S1"), now);
        let second = Report::from_task(TaskState::TaskRunning).into_status(&task, &AgentId::new("m-S1"), now);
        assert_eq!(first.timestamp, Some(1.5));
        assert_eq!(first.executor_id, Some(ExecutorId::new("web.1")));
        let uuid = first.uuid.clone().unwrap();
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(&uuid).unwrap().len(), 16);
        assert_ne!(first.uuid, second.uuid);
    }
}
