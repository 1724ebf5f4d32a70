//! Explicit reconciliation until every task has been heard of. After a subscription marathon asks
//! the master for the status of each task it knows; the master does not answer for tasks on
//! agents that have yet to re-register after its own failover, so the question is asked again,
//! with a growing pause, for the tasks still unheard of, until none is left (as Mesos advises
//! schedulers to do). A task left at its stored state (`TASK_STAGING` after a full restart) would
//! otherwise wait for the next periodic reconciliation, and meanwhile its launch would time out.
//! Pure: the caller passes the time and sends the calls.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The first pause before asking again, and the longest.
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const LONGEST_PAUSE: Duration = Duration::from_secs(30);

/// The tasks not heard of since the subscription (task id → agent id), and when to ask again.
#[derive(Debug)]
pub(super) struct Unheard {
    tasks: BTreeMap<String, String>,
    next_at: Instant,
    pause: Duration,
}

impl Unheard {
    /// Every task asked about at the subscription, at `now`.
    pub(super) fn new(tasks: impl IntoIterator<Item = (String, String)>, now: Instant) -> Self {
        Unheard { tasks: tasks.into_iter().collect(), next_at: now + FIRST_PAUSE, pause: FIRST_PAUSE }
    }

    /// A status of `task_id` came.
    pub(super) fn heard(&mut self, task_id: &str) {
        self.tasks.remove(task_id);
    }

    /// The tasks to ask about again, when it is time (and there are any); the next pause doubles.
    pub(super) fn due(&mut self, now: Instant) -> Option<Vec<(String, String)>> {
        if self.tasks.is_empty() || now < self.next_at {
            return None;
        }
        self.pause = (self.pause * 2).min(LONGEST_PAUSE);
        self.next_at = now + self.pause;
        Some(self.tasks.iter().map(|(task, agent)| (task.clone(), agent.clone())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unheard_tasks_are_asked_about_again_with_growing_pauses_until_every_one_is_heard() {
        let start = Instant::now();
        let at = |seconds: u64| start + Duration::from_secs(seconds);
        let mut unheard = Unheard::new([("a".into(), "s1".into()), ("b".into(), "s2".into())], start);
        assert_eq!(unheard.due(start), None, "not at once: the first answers are on their way");
        assert_eq!(unheard.due(at(1)).map(|tasks| tasks.len()), Some(2));
        assert_eq!(unheard.due(at(2)), None, "the pause doubled to 2 s");
        unheard.heard("a");
        assert_eq!(unheard.due(at(3)), Some(vec![("b".to_string(), "s2".to_string())]));
        let mut asked = vec![3];
        for second in 4..200 {
            if unheard.due(at(second)).is_some() {
                asked.push(second);
            }
        }
        assert_eq!(&asked[..4], [3, 7, 15, 31], "pauses of 4, 8 and 16 s");
        assert!(asked.windows(2).all(|pair| pair[1] - pair[0] <= 30), "never more than 30 s apart: {asked:?}");
        unheard.heard("b");
        assert_eq!(unheard.due(at(1000)), None, "nothing left to ask");
    }
}
