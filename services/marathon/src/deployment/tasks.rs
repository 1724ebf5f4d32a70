//! An app's tasks as the step functions see them, and which task goes first when some must go.

use std::cmp::Ordering;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::app::{KillSelection, TaskId, Version};

/// The states of a task that still counts; terminal tasks are not passed in at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskState {
    /// Launched, not running yet (Mesos' TASK_STAGING and TASK_STARTING).
    Staging,
    Running,
    /// A kill was acknowledged; the task still holds its resources.
    Killing,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskView {
    pub id: TaskId,
    /// The version of the app the task was launched for.
    pub version: Version,
    pub state: TaskState,
    /// `None` when the app has no health checks: a running task then counts as healthy. With
    /// health checks, `Some(true)` only once they pass (no result yet is `Some(false)`).
    pub healthy: Option<bool>,
    pub staged_at: SystemTime,
    pub started_at: Option<SystemTime>,
}

impl TaskView {
    /// Running and not failing its health checks: what the load balancer may route to.
    pub fn is_healthy(&self) -> bool {
        self.state == TaskState::Running && self.healthy != Some(false)
    }
}

/// How tasks compare when choosing which to kill, first first: as Marathon's
/// `ScalingProposition.sortByConditionAndDate`, tasks failing their health checks, then staging
/// tasks, then healthy ones; within each, by `selection` on the staging or start time (a running
/// task without a start time first), then by id.
pub(super) fn kill_order(selection: KillSelection) -> impl Fn(&&TaskView, &&TaskView) -> Ordering {
    move |a, b| {
        let by_time = match selection {
            KillSelection::YoungestFirst => since(b).cmp(&since(a)),
            KillSelection::OldestFirst => since(a).cmp(&since(b)),
        };
        let unknown_first = since(b).is_none().cmp(&since(a).is_none());
        rank(a).cmp(&rank(b)).then(unknown_first).then(by_time).then_with(|| a.id.cmp(&b.id))
    }
}

fn rank(task: &TaskView) -> u8 {
    match (task.state, task.is_healthy()) {
        (TaskState::Running, false) => 0,
        (TaskState::Staging, _) => 1,
        _ => 2,
    }
}

fn since(task: &TaskView) -> Option<SystemTime> {
    match task.state {
        TaskState::Staging => Some(task.staged_at),
        _ => task.started_at,
    }
}

/// How many items there are, as the `u32` instance counts are.
pub(super) fn count<T>(items: impl IntoIterator<Item = T>) -> u32 {
    u32::try_from(items.into_iter().count()).unwrap_or(u32::MAX)
}
