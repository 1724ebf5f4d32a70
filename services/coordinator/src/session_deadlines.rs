//! When each session expires, as the leader tracks it in memory. Pure: callers pass the time.
//! Heartbeats are not replicated, so a new leader starts every session with a full timeout.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use crate::machine::SessionEntry;

#[derive(Debug, Default)]
pub struct SessionDeadlines {
    deadlines: HashMap<u64, Instant>,
}

impl SessionDeadlines {
    /// Extends a session by its full timeout.
    pub fn touch(&mut self, session_id: u64, timeout: Duration, now: Instant) {
        self.deadlines.insert(session_id, now + timeout);
    }

    /// Follows the replicated session table: new sessions get a full timeout from `now`,
    /// ended ones are forgotten.
    pub fn sync(&mut self, sessions: &BTreeMap<u64, SessionEntry>, now: Instant) {
        self.deadlines.retain(|id, _| sessions.contains_key(id));
        for (id, entry) in sessions {
            self.deadlines.entry(*id).or_insert_with(|| now + Duration::from_millis(entry.timeout_ms));
        }
    }

    /// Forgets every deadline (this node stopped leading; the next leader starts afresh).
    pub fn clear(&mut self) {
        self.deadlines.clear();
    }

    /// The sessions whose deadline has passed, in id order.
    pub fn expired(&self, now: Instant) -> Vec<u64> {
        let mut expired: Vec<u64> =
            self.deadlines.iter().filter(|(_, deadline)| **deadline <= now).map(|(id, _)| *id).collect();
        expired.sort_unstable();
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_a_timeout_after_their_last_heartbeat() {
        let start = Instant::now();
        let ms = Duration::from_millis;
        let sessions = BTreeMap::from([(7, SessionEntry { timeout_ms: 100 }), (9, SessionEntry { timeout_ms: 300 })]);
        let mut deadlines = SessionDeadlines::default();
        deadlines.sync(&sessions, start);
        assert!(deadlines.expired(start + ms(99)).is_empty());
        assert_eq!(deadlines.expired(start + ms(100)), vec![7]);
        deadlines.touch(7, ms(100), start + ms(90));
        assert!(deadlines.expired(start + ms(189)).is_empty());
        assert_eq!(deadlines.expired(start + ms(300)), vec![7, 9]);
        deadlines.sync(&BTreeMap::from([(9, SessionEntry { timeout_ms: 300 })]), start + ms(300));
        assert_eq!(deadlines.expired(start + ms(1000)), vec![9]);
        deadlines.clear();
        assert!(deadlines.expired(start + ms(1000)).is_empty());
    }
}
