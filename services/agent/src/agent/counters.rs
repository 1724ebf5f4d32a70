//! Counters of what an agent did since it started, for `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

use corral_wire::mesos::TaskState;

#[derive(Debug, Default)]
pub struct AgentCounters {
    pub tasks_launched: AtomicU64,
    pub tasks_finished: AtomicU64,
    pub tasks_failed: AtomicU64,
    pub tasks_killed: AtomicU64,
    pub tasks_errored: AtomicU64,
    pub tasks_lost: AtomicU64,
    pub updates_sent: AtomicU64,
    pub updates_acknowledged: AtomicU64,
    pub registrations: AtomicU64,
    /// Checkpointed tasks that could not be read at recovery and were quarantined.
    pub checkpoint_quarantined: AtomicU64,
}

impl AgentCounters {
    pub fn count_terminal(&self, state: TaskState) {
        let counter = match state {
            TaskState::TaskFinished => &self.tasks_finished,
            TaskState::TaskFailed => &self.tasks_failed,
            TaskState::TaskKilled => &self.tasks_killed,
            TaskState::TaskError => &self.tasks_errored,
            TaskState::TaskLost | TaskState::TaskDropped | TaskState::TaskGone => &self.tasks_lost,
            _ => return,
        };
        bump(counter);
    }
}

pub(super) fn bump(counter: &AtomicU64) {
    add(counter, 1);
}

pub(super) fn add(counter: &AtomicU64, amount: u64) {
    counter.fetch_add(amount, Ordering::Relaxed);
}

pub fn read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}
