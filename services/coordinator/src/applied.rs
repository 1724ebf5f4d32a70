//! [`AppliedState`]: the state machine's current state as the rest of the node sees it. The raft
//! state machine writes it; HTTP handlers read it, wait for a zxid, and answer watches from its
//! event history.

use std::sync::RwLock;

use corral_wire::coordinator::WatchEvent;
use tokio::sync::watch;

use crate::machine::CoordinatorState;
use crate::raft::{LogId, Membership};
use crate::watch_history::{HistoryCleared, WatchFilter, WatchHistory};

/// Everything the state machine has applied, as of `last_applied`.
#[derive(Debug, Default)]
pub struct Applied {
    pub state: CoordinatorState,
    pub last_applied: Option<LogId>,
    pub membership: Membership,
}

impl Applied {
    pub fn zxid(&self) -> u64 {
        self.last_applied.map_or(0, |log_id| log_id.index)
    }
}

/// The applied state, its event history and a signal that fires whenever the zxid moves.
#[derive(Debug)]
pub struct AppliedState {
    applied: RwLock<Applied>,
    /// Many watches read it at once when the zxid moves, so readers must not exclude each other.
    history: RwLock<WatchHistory>,
    zxid: watch::Sender<u64>,
}

impl AppliedState {
    pub fn new(history_capacity: usize) -> Self {
        AppliedState {
            applied: RwLock::new(Applied::default()),
            history: RwLock::new(WatchHistory::new(history_capacity, 0)),
            zxid: watch::Sender::new(0),
        }
    }

    /// Runs `read` on the applied state; keep it short, appliers wait for it.
    pub fn read<T>(&self, read: impl FnOnce(&Applied) -> T) -> T {
        read(&self.applied.read().expect("applied state lock"))
    }

    /// Changes the state through `change`, records the events it returns, then announces the new zxid.
    pub fn apply<T>(&self, change: impl FnOnce(&mut Applied) -> (T, Vec<WatchEvent>)) -> T {
        let (result, events, zxid) = {
            let mut applied = self.applied.write().expect("applied state lock");
            let (result, events) = change(&mut applied);
            (result, events, applied.zxid())
        };
        self.history.write().expect("history lock").record(events);
        self.zxid.send_replace(zxid);
        result
    }

    /// Replaces the whole state (a snapshot was installed); watches older than it must re-read.
    pub fn replace(&self, applied: Applied) {
        let zxid = applied.zxid();
        *self.applied.write().expect("applied state lock") = applied;
        self.history.write().expect("history lock").reset(zxid);
        self.zxid.send_replace(zxid);
    }

    pub fn zxid(&self) -> u64 {
        *self.zxid.borrow()
    }

    /// A receiver that wakes whenever the applied zxid moves.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.zxid.subscribe()
    }

    /// The events after `since` that `filter` wants, up to the current zxid, which is returned
    /// as the point to resume from.
    pub fn events_since(&self, since: u64, filter: &WatchFilter) -> Result<(Vec<WatchEvent>, u64), HistoryCleared> {
        let until = self.zxid();
        let events = self.history.read().expect("history lock").since(since, until, filter)?;
        Ok((events, until))
    }

    pub fn history_len(&self) -> usize {
        self.history.read().expect("history lock").len()
    }
}
