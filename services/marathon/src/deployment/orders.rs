//! What a step asks of the runner (`Orders`), what the runner has asked for already and is still
//! under way (`InFlight`), and the two-phase kill both scaling and restarting use.
//!
//! Tasks leave the load balancer before they die: a running task that must go is first announced
//! (`drain`); the runner tells the load balancers, and a later step orders the kill as soon as
//! every load balancer confirmed the drain (`InFlight::confirmed`) or `drain_wait` has passed
//! since the announcement, whichever comes first. A staging task was never routed to, so it is
//! killed at once. The runner calls the step again on every task change, on every confirmation
//! and at `wake_at`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::app::TaskId;
use super::tasks::{TaskState, TaskView};
use crate::clock::later;

/// Everything a step function reads besides the action itself.
#[derive(Clone, Copy, Debug)]
pub struct StepInput<'a> {
    /// The app's tasks that are not terminal.
    pub tasks: &'a [TaskView],
    pub in_flight: &'a InFlight,
    pub now: Instant,
    /// How long an announced task stays up before it is killed.
    pub drain_wait: Duration,
}

/// What the runner has asked for that has not fully happened yet. The runner keeps it: it adds
/// what it carried out (`record`), takes a launch off `queued_launches` when the launch becomes
/// a task, and drops tasks that are gone (`forget_gone`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InFlight {
    /// Launches of the target version asked for that are not tasks yet.
    pub queued_launches: u32,
    /// Tasks announced to the load balancer as about to die, and when.
    pub draining: BTreeMap<TaskId, Instant>,
    /// Announced tasks every load balancer confirmed it no longer routes to: killed at once.
    pub confirmed: BTreeSet<TaskId>,
    /// Tasks whose kill was sent; they may still show as running for a while.
    pub kills_sent: BTreeSet<TaskId>,
}

impl InFlight {
    /// Whether the task is on its way out: announced, killed, or killing.
    pub fn is_leaving(&self, task: &TaskView) -> bool {
        task.state == TaskState::Killing || self.draining.contains_key(&task.id) || self.kills_sent.contains(&task.id)
    }

    /// Notes that the runner carried out `orders` at `now`.
    pub fn record(&mut self, orders: &Orders, now: Instant) {
        self.queued_launches = self.queued_launches.saturating_sub(orders.cancel_launches) + orders.launch;
        for id in &orders.drain {
            self.draining.entry(id.clone()).or_insert(now);
        }
        for id in &orders.kill {
            self.draining.remove(id);
            self.confirmed.remove(id);
            self.kills_sent.insert(id.clone());
        }
    }

    /// Notes which announced tasks the load balancers have confirmed as drained (a task that was
    /// not announced cannot be confirmed).
    pub fn mark_confirmed(&mut self, is_confirmed: impl Fn(&str) -> bool) {
        self.confirmed = self.draining.keys().filter(|id| is_confirmed(id)).cloned().collect();
    }

    /// Forgets tasks that are not among `tasks` any more.
    pub fn forget_gone(&mut self, tasks: &[TaskView]) {
        let alive: BTreeSet<&TaskId> = tasks.iter().map(|task| &task.id).collect();
        self.draining.retain(|id, _| alive.contains(id));
        self.confirmed.retain(|id| alive.contains(id));
        self.kills_sent.retain(|id| alive.contains(id));
    }
}

/// What the runner must do now: cancel queued launches, queue launches of the target version,
/// announce tasks to the load balancer, then send kills (in that order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Orders {
    pub cancel_launches: u32,
    pub launch: u32,
    pub drain: Vec<TaskId>,
    pub kill: Vec<TaskId>,
    /// When to call the step again if no task changes before: an announced task's wait ends.
    pub wake_at: Option<Instant>,
    /// The action is done: every other field is empty then.
    pub complete: bool,
}

impl Orders {
    pub fn completed() -> Orders {
        Orders { complete: true, ..Orders::default() }
    }

    /// Orders `victims` (tasks not leaving yet) out: announced if running, killed at once if
    /// staging or when there is no wait.
    pub(super) fn retire(&mut self, victims: &[&TaskView], input: &StepInput<'_>) {
        for task in victims {
            match task.state {
                TaskState::Staging => self.kill.push(task.id.clone()),
                TaskState::Running => {
                    self.drain.push(task.id.clone());
                    if input.drain_wait.is_zero() {
                        self.kill.push(task.id.clone());
                    } else {
                        self.wait_until(later(input.now, input.drain_wait));
                    }
                }
                TaskState::Killing => {}
            }
        }
    }

    /// Kills the announced tasks that every load balancer confirmed or whose wait is over, and
    /// wakes up for the others.
    pub(super) fn finish_drains(&mut self, input: &StepInput<'_>) {
        let in_flight = input.in_flight;
        for task in input.tasks {
            let Some(since) = in_flight.draining.get(&task.id) else { continue };
            if task.state == TaskState::Killing || in_flight.kills_sent.contains(&task.id) {
                continue;
            }
            let due = later(*since, input.drain_wait);
            if in_flight.confirmed.contains(&task.id) || due <= input.now {
                self.kill.push(task.id.clone());
            } else {
                self.wait_until(due);
            }
        }
    }

    fn wait_until(&mut self, at: Instant) {
        self.wake_at = Some(self.wake_at.map_or(at, |earlier| earlier.min(at)));
    }
}
