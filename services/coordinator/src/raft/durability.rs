//! [`Durability`]: how far this node's raft log is on disk, so that the leader can replicate an
//! entry while its own fsync of it is still running, without acknowledging anything early.
//!
//! openraft 0.9 sends an entry to the followers only once the leader's own append reports it
//! flushed. The log store therefore reports the leader's own new entries flushed at once
//! (`LogStore::append`), and the fsync runs while they travel. Because openraft then counts the
//! leader in the majority before its fsync ends, two gates keep "acknowledged only once durable on
//! a majority" true:
//! - the state machine applies an entry only once it is durable here, and everything a client
//!   sees (a write's answer, a read, a watch event) comes from the applied state;
//! - a commit index goes to the followers only once it is durable here (`network.rs`), so no
//!   follower applies an entry that the leader and one follower do not both hold on disk.
//!
//! The log is contiguous and written in order, so one number says how far it is durable: where
//! the log ended after the last finished write (lower than before if that write truncated it).

use std::sync::Arc;

use openraft::StorageIOError;
use tokio::sync::watch;

use super::StorageError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durable {
    /// Every entry up to this index is on disk.
    Upto(u64),
    /// A log write failed: nothing more will become durable.
    Failed,
}

/// Shared by the log store (truncation), its writer (progress, failure), the state machine and
/// the peer network (which wait for it).
#[derive(Debug, Clone)]
pub struct Durability {
    durable: Arc<watch::Sender<Durable>>,
}

impl Default for Durability {
    fn default() -> Self {
        Durability { durable: Arc::new(watch::Sender::new(Durable::Upto(0))) }
    }
}

impl Durability {
    /// The log on disk ends at `index`: an append up to it is written (the log writer says so
    /// for each append, in order; the store once at start-up).
    pub(super) fn written_up_to(&self, index: u64) {
        self.durable.send_if_modified(|durable| match durable {
            Durable::Upto(upto) if *upto != index => {
                *upto = index;
                true
            }
            _ => false,
        });
    }

    /// Entries from `since` on are removed from the disk.
    pub(super) fn truncated(&self, since: u64) {
        self.durable.send_if_modified(|durable| match durable {
            Durable::Upto(upto) if *upto >= since => {
                *upto = since.saturating_sub(1);
                true
            }
            _ => false,
        });
    }

    /// A log write failed; everyone waiting gets a storage error.
    pub(super) fn fail(&self) {
        self.durable.send_replace(Durable::Failed);
    }

    /// Waits until every entry up to `index` is on disk.
    pub(super) async fn wait(&self, index: u64) -> Result<(), StorageError> {
        let mut durable = self.durable.subscribe();
        let reached = durable
            .wait_for(|durable| match durable {
                Durable::Upto(upto) => *upto >= index,
                Durable::Failed => true,
            })
            .await
            .map(|durable| *durable);
        match reached {
            Ok(Durable::Upto(_)) => Ok(()),
            Ok(Durable::Failed) | Err(_) => {
                let error = std::io::Error::other("the raft log could not be written");
                Err(StorageIOError::write_logs(&error).into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn reached(durability: &Durability, index: u64) -> Option<bool> {
        let wait = durability.wait(index);
        futures::FutureExt::now_or_never(wait).map(|result| result.is_ok())
    }

    #[tokio::test]
    async fn a_wait_ends_when_the_index_is_written() {
        let durability = Durability::default();
        durability.written_up_to(5);
        assert_eq!(reached(&durability, 5), Some(true));
        assert_eq!(reached(&durability, 6), None, "index 6 is not written yet");
        let waiting = tokio::spawn({
            let durability = durability.clone();
            async move { durability.wait(7).await.is_ok() }
        });
        durability.written_up_to(7);
        assert!(tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap());
    }

    #[tokio::test]
    async fn a_truncated_log_is_durable_only_up_to_its_new_end() {
        let durability = Durability::default();
        durability.written_up_to(9);
        durability.truncated(7);
        assert_eq!(reached(&durability, 6), Some(true));
        assert_eq!(reached(&durability, 7), None, "a rewritten entry 7 is not on disk yet");
        durability.truncated(20);
        assert_eq!(reached(&durability, 6), Some(true), "truncating past the end changes nothing");
    }

    #[tokio::test]
    async fn a_failed_write_ends_every_wait_with_an_error() {
        let durability = Durability::default();
        durability.written_up_to(3);
        let waiting = tokio::spawn({
            let durability = durability.clone();
            async move { durability.wait(4).await.is_err() }
        });
        durability.fail();
        assert!(tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap());
        assert_eq!(reached(&durability, 1), Some(false), "after a failure nothing counts as durable");
    }
}
