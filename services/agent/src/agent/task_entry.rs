//! [`TaskEntry`]: what the agent holds about one task while it runs or while updates about it
//! wait for acknowledgement, and its checkpointed form.

use std::path::PathBuf;
use std::time::Duration;

use corral_wire::mesos::{FrameworkId, FrameworkInfo, KillPolicy, TaskId, TaskInfo, TaskState, TaskStatus};
use tokio::sync::mpsc;

use super::update_queue::UpdateQueue;
use crate::checkpoint::TaskRow;
use crate::containerizer::{ContainerHandle, ContainerizerKind, KillCause};
use crate::framework_durations;

/// Mesos' default grace period between SIGTERM and SIGKILL.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3);
/// How many past statuses `/state` shows per task.
const HISTORY: usize = 10;

/// A task is named by its framework and its id (unique within the framework).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskKey {
    pub framework_id: FrameworkId,
    pub task_id: TaskId,
}

/// Asks a task's runner to stop the task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillRequest {
    pub grace: Duration,
    pub cause: KillCause,
}

#[derive(Debug)]
pub(super) struct TaskEntry {
    pub(super) row: TaskRow,
    /// Statuses produced for the task, oldest first (at most [`HISTORY`]).
    pub(super) history: Vec<TaskStatus>,
    pub(super) updates: UpdateQueue,
    /// The runner's kill line; `None` when no runner is running the task.
    pub(super) kill: Option<mpsc::Sender<KillRequest>>,
}

impl TaskEntry {
    pub(super) fn new(row: TaskRow, kill: Option<mpsc::Sender<KillRequest>>) -> Self {
        let updates = UpdateQueue::from_pending(row.pending.clone());
        // After a restart the history is what is known: the updates still owed, else the latest.
        let history = match row.pending.is_empty() {
            true => vec![row.latest.clone()],
            false => row.pending.clone(),
        };
        TaskEntry { history, row, updates, kill }
    }

    pub(super) fn key(&self) -> TaskKey {
        TaskKey { framework_id: self.row.framework_id.clone(), task_id: self.row.task.task_id.clone() }
    }

    pub(super) fn state(&self) -> TaskState {
        self.row.latest.state
    }

    /// Records a new status as the latest, queued for sending.
    pub(super) fn push_status(&mut self, status: TaskStatus) {
        self.row.latest = status.clone();
        if self.history.len() == HISTORY {
            self.history.remove(0);
        }
        self.history.push(status.clone());
        self.updates.push(status);
    }

    /// Nothing more will happen to it: it ended and every update about it was acknowledged.
    pub(super) fn is_done(&self) -> bool {
        self.state().is_terminal() && self.updates.is_empty()
    }

    /// The row to checkpoint now.
    pub(super) fn checkpoint_row(&self) -> TaskRow {
        TaskRow { pending: self.updates.pending().cloned().collect(), ..self.row.clone() }
    }

    pub(super) fn set_container(&mut self, handle: ContainerHandle) {
        self.row.container = Some(handle);
    }

    pub(super) fn containerizer(&self) -> Option<ContainerizerKind> {
        self.row.containerizer
    }

    pub(super) fn framework(&self) -> Option<&FrameworkInfo> {
        self.row.framework.as_ref()
    }

    pub(super) fn task(&self) -> &TaskInfo {
        &self.row.task
    }

    pub(super) fn sandbox(&self) -> &PathBuf {
        &self.row.sandbox
    }
}

/// The grace period of a kill: the KILL command's policy, else the task's, else 3 s; never
/// negative, and at most [`framework_durations::LONGEST`].
pub fn grace_period(command_policy: Option<&KillPolicy>, task: &TaskInfo) -> Duration {
    command_policy
        .or(task.kill_policy.as_ref())
        .and_then(|policy| policy.grace_period)
        .map(|duration| framework_durations::from_nanoseconds(duration.nanoseconds))
        .unwrap_or(DEFAULT_GRACE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use corral_wire::mesos::{AgentId, CommandInfo, DurationInfo};

    fn policy(nanoseconds: i64) -> KillPolicy {
        KillPolicy { grace_period: Some(DurationInfo { nanoseconds }) }
    }

    /// The grace period of a kill with `command` and `task` policies (nanoseconds, `None` for none).
    fn check(command: Option<i64>, task: Option<i64>, expected: Duration) {
        let mut info = TaskInfo::command_task(TaskId::new("t"), AgentId::new("a"), vec![], CommandInfo::default());
        info.kill_policy = task.map(policy);
        assert_eq!(grace_period(command.map(policy).as_ref(), &info), expected, "command {command:?}, task {task:?}");
    }

    #[test]
    fn kill_grace_periods_come_from_the_command_then_the_task_within_bounds() {
        check(None, None, DEFAULT_GRACE);
        check(None, Some(5_000_000_000), Duration::from_secs(5));
        check(Some(1_000_000_000), Some(5_000_000_000), Duration::from_secs(1));
        check(Some(-1), None, Duration::ZERO);
        check(Some(i64::MIN), None, Duration::ZERO);
        check(None, Some(i64::MAX), framework_durations::LONGEST);
    }
}
