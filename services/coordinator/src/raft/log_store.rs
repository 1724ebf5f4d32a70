//! The raft log, vote and committed id in sqlite.
//!
//! Appends are group-committed: `append` hands its entries to the [`log_writer`] task and returns;
//! the writer puts everything queued meanwhile into one transaction, commits it (fsync), and only
//! then tells openraft the entries are durable — except the leader's own new entries, which are
//! reported flushed at once so that they replicate while the fsync runs ([`Durability`] says why
//! that acknowledges nothing early). The newest entries, written or not, are also held in
//! [`RecentEntries`], which serves most reads.
//!
//! [`log_writer`]: super::log_writer

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::sync::{Arc, Mutex};

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{Entry, RaftLogReader, StorageIOError, Vote};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::{Row, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::durability::Durability;
use super::log_writer::{run_log_writer, LogWrite, SharedRecentEntries};
use super::recent_entries::RecentEntries;
use super::{LogId, StorageError, TypeConfig};

pub(super) const VOTE: &str = "vote";
pub(super) const COMMITTED: &str = "committed";
pub(super) const LAST_PURGED: &str = "last_purged";
/// How many durable entries stay in memory for reads (each holds one batch of commands).
const RECENT_ENTRIES: usize = 1024;

/// The log store; clones share the database, the overlay and the writer, and serve as log readers.
#[derive(Debug, Clone)]
pub struct LogStore {
    pool: SqlitePool,
    recent: SharedRecentEntries,
    writer: mpsc::UnboundedSender<LogWrite>,
    /// This node's id: entries of a term in which it holds a committed vote for itself are its own.
    node_id: u64,
    /// The vote as last stored.
    vote: Arc<Mutex<Option<Vote<u64>>>>,
    durability: Durability,
}

impl LogStore {
    /// Opens the store of node `node_id` and starts its writer task (call inside a tokio runtime);
    /// `durability` follows its writes.
    pub fn new(pool: SqlitePool, node_id: u64, durability: Durability) -> Self {
        let recent: SharedRecentEntries = Arc::new(Mutex::new(RecentEntries::new(RECENT_ENTRIES)));
        let (writer, queue) = mpsc::unbounded_channel();
        tokio::spawn(run_log_writer(pool.clone(), recent.clone(), durability.clone(), queue));
        LogStore { pool, recent, writer, node_id, vote: Arc::new(Mutex::new(None)), durability }
    }

    /// True if these entries are this node's own proposals as the leader of their term: its stored
    /// vote is committed, for itself, in that term (a term has one leader).
    fn are_own(&self, entries: &[Entry<TypeConfig>]) -> bool {
        let vote = self.vote.lock().expect("vote lock");
        let Some(vote) = vote.as_ref().filter(|vote| vote.is_committed()) else { return false };
        let leader = vote.leader_id();
        leader.voted_for() == Some(self.node_id)
            && entries.iter().all(|entry| entry.log_id.leader_id.term == leader.term)
    }

    fn remember_vote(&self, vote: Option<Vote<u64>>) {
        *self.vote.lock().expect("vote lock") = vote;
    }

    /// Queues a write and waits until it (and everything queued before it) is durable.
    async fn write_and_wait(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<(), String>>) -> LogWrite,
    ) -> Result<(), StorageError> {
        let (done, wait) = oneshot::channel();
        self.writer.send(make(done)).map_err(|_| writer_gone())?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(StorageIOError::write_logs(&std::io::Error::other(message)).into()),
            Err(_) => Err(writer_gone()),
        }
    }

    async fn read_meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, sqlx::Error> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = ?").bind(key).fetch_optional(&self.pool).await?;
        row.map(|row| decode(&row.get::<Vec<u8>, _>(0))).transpose()
    }
}

fn writer_gone() -> StorageError {
    StorageIOError::write_logs(&std::io::Error::other("the log writer has stopped")).into()
}

pub(super) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, sqlx::Error> {
    serde_json::to_vec(value).map_err(|error| sqlx::Error::Encode(Box::new(error)))
}

pub(super) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, sqlx::Error> {
    serde_json::from_slice(bytes).map_err(|error| sqlx::Error::Decode(Box::new(error)))
}

fn read_error(error: sqlx::Error) -> StorageError {
    StorageIOError::read_logs(&error).into()
}

/// Turns any range of indexes into an inclusive `[low, high]`, or `None` if it is empty.
fn inclusive_bounds<RB: RangeBounds<u64>>(range: &RB) -> Option<(u64, u64)> {
    let low = match range.start_bound() {
        Bound::Included(&n) => n,
        Bound::Excluded(&n) => n.checked_add(1)?,
        Bound::Unbounded => 0,
    };
    let high = match range.end_bound() {
        Bound::Included(&n) => n,
        Bound::Excluded(&n) => n.checked_sub(1)?,
        Bound::Unbounded => i64::MAX as u64,
    };
    (low <= high).then_some((low, high.min(i64::MAX as u64)))
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, StorageError> {
        let Some((low, high)) = inclusive_bounds(&range) else {
            return Ok(Vec::new());
        };
        // Take the held entries first: an entry written meanwhile is then held or on disk.
        let overlay = {
            let recent = self.recent.lock().expect("recent entries lock");
            if let Some(entries) = recent.all_in(low, high) {
                return Ok(entries);
            }
            recent.some_in(low, high)
        };
        let rows = sqlx::query("SELECT idx, entry FROM log WHERE idx >= ? AND idx <= ? ORDER BY idx")
            .bind(low as i64)
            .bind(high as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(read_error)?;
        let mut entries = BTreeMap::new();
        for row in rows {
            let entry: Entry<TypeConfig> = decode(&row.get::<Vec<u8>, _>(1)).map_err(read_error)?;
            entries.insert(row.get::<i64, _>(0) as u64, entry);
        }
        for entry in overlay {
            entries.insert(entry.log_id.index, entry);
        }
        Ok(entries.into_values().collect())
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        self.write_and_wait(LogWrite::Barrier).await?;
        let last_purged_log_id: Option<LogId> = self.read_meta(LAST_PURGED).await.map_err(read_error)?;
        let last = sqlx::query("SELECT entry FROM log ORDER BY idx DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(read_error)?;
        let last_log_id = match last {
            Some(row) => {
                let entry: Entry<TypeConfig> = decode(&row.get::<Vec<u8>, _>(0)).map_err(read_error)?;
                Some(entry.log_id)
            }
            None => last_purged_log_id,
        };
        // Everything queued before the barrier is on disk.
        self.durability.written_up_to(last_log_id.map_or(0, |log_id| log_id.index));
        Ok(LogState { last_purged_log_id, last_log_id })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), StorageError> {
        let encoded = encode(vote).map_err(|error| StorageIOError::write_vote(&error))?;
        self.write_and_wait(|done| LogWrite::Meta { key: VOTE, value: encoded, done: Some(done) }).await?;
        self.remember_vote(Some(*vote));
        Ok(())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, StorageError> {
        let vote: Option<Vote<u64>> = self.read_meta(VOTE).await.map_err(|error| StorageIOError::read_vote(&error))?;
        self.remember_vote(vote);
        Ok(vote)
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        // Not needed for safety, so it rides along with the next batch instead of waiting for one.
        let value = encode(&committed).map_err(read_error)?;
        self.writer.send(LogWrite::Meta { key: COMMITTED, value, done: None }).map_err(|_| writer_gone())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        self.write_and_wait(LogWrite::Barrier).await?;
        Ok(self.read_meta::<Option<LogId>>(COMMITTED).await.map_err(read_error)?.flatten())
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        let entries: Vec<Entry<TypeConfig>> = entries.into_iter().collect();
        self.recent.lock().expect("recent entries lock").append(&entries);
        let callback = if self.are_own(&entries) {
            // Replicate now; the fsync runs meanwhile, and nothing is applied before it ends.
            callback.log_io_completed(Ok(()));
            None
        } else {
            Some(callback)
        };
        self.writer.send(LogWrite::Append { entries, callback }).map_err(|_| writer_gone())
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.recent.lock().expect("recent entries lock").truncate(log_id.index);
        self.write_and_wait(|done| LogWrite::Truncate { since: log_id.index, done }).await
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.recent.lock().expect("recent entries lock").purge(log_id.index);
        self.write_and_wait(|done| LogWrite::Purge { upto: log_id, done }).await
    }
}
