//! [`UpdateQueue`]: one task's status updates that the framework has not acknowledged yet, in
//! the order they happened. Only the head is sent; it is sent again every retry interval until
//! an acknowledgement with its uuid arrives, then the next one becomes the head and is due at
//! once. Pure: the caller passes the clock.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use corral_wire::mesos::TaskStatus;

#[derive(Debug, Clone, Default)]
pub struct UpdateQueue {
    pending: VecDeque<TaskStatus>,
    /// When the head was last sent; `None` means it is due now.
    head_sent_at: Option<Instant>,
}

impl UpdateQueue {
    pub fn from_pending(pending: Vec<TaskStatus>) -> Self {
        UpdateQueue { pending: pending.into(), head_sent_at: None }
    }

    pub fn push(&mut self, status: TaskStatus) {
        self.pending.push_back(status);
    }

    /// Drops the head if `uuid` is its uuid; any other uuid changes nothing (an old duplicate
    /// acknowledgement, or one for an update that is not being sent yet).
    pub fn acknowledge(&mut self, uuid: &str) -> bool {
        let matches = self.pending.front().is_some_and(|head| head.uuid.as_deref() == Some(uuid));
        if matches {
            self.pending.pop_front();
            self.head_sent_at = None;
        }
        matches
    }

    /// The head, if it was never sent or was last sent at least `retry` ago.
    pub fn due(&self, now: Instant, retry: Duration) -> Option<&TaskStatus> {
        let head = self.pending.front()?;
        match self.head_sent_at {
            Some(sent) if now < sent + retry => None,
            _ => Some(head),
        }
    }

    pub fn mark_sent(&mut self, now: Instant) {
        if !self.pending.is_empty() {
            self.head_sent_at = Some(now);
        }
    }

    /// When the head falls due again (`None` when there is nothing to send).
    pub fn next_due_at(&self, retry: Duration) -> Option<Instant> {
        self.pending.front()?;
        self.head_sent_at.map(|sent| sent + retry)
    }

    /// Makes the head due now (after registering with a master).
    pub fn resend_now(&mut self) {
        self.head_sent_at = None;
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn pending(&self) -> impl Iterator<Item = &TaskStatus> {
        self.pending.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corral_wire::mesos::{TaskId, TaskState};

    fn status(uuid: &str, state: TaskState) -> TaskStatus {
        TaskStatus {
            task_id: TaskId::new("t"),
            state,
            message: None,
            source: None,
            reason: None,
            agent_id: None,
            executor_id: None,
            timestamp: None,
            uuid: Some(uuid.into()),
            healthy: None,
            container_status: None,
        }
    }

    fn head(queue: &UpdateQueue, now: Instant, retry: Duration) -> Option<String> {
        queue.due(now, retry).and_then(|s| s.uuid.clone())
    }

    #[test]
    fn only_the_head_is_sent_until_acknowledged() {
        let retry = Duration::from_secs(10);
        let t0 = Instant::now();
        let mut queue = UpdateQueue::default();
        assert_eq!(head(&queue, t0, retry), None);
        queue.push(status("a", TaskState::TaskStarting));
        queue.push(status("b", TaskState::TaskRunning));
        assert_eq!(head(&queue, t0, retry).as_deref(), Some("a"));
        queue.mark_sent(t0);
        assert_eq!(head(&queue, t0 + Duration::from_secs(9), retry), None, "not yet due again");
        assert_eq!(queue.next_due_at(retry), Some(t0 + retry));
        assert_eq!(head(&queue, t0 + retry, retry).as_deref(), Some("a"), "resent after the retry interval");
        assert!(!queue.acknowledge("b"), "b is not the head");
        assert!(queue.acknowledge("a"));
        assert!(!queue.acknowledge("a"), "a duplicate acknowledgement changes nothing");
        assert_eq!(head(&queue, t0 + Duration::from_secs(1), retry).as_deref(), Some("b"), "next head due at once");
        queue.mark_sent(t0 + Duration::from_secs(1));
        queue.resend_now();
        assert_eq!(head(&queue, t0 + Duration::from_secs(1), retry).as_deref(), Some("b"), "due after re-registering");
        assert!(queue.acknowledge("b"));
        assert!(queue.is_empty());
        assert_eq!(queue.next_due_at(retry), None);
    }
}
