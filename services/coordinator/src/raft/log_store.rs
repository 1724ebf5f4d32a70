//! The raft log, vote and committed id in sqlite. Each append is one transaction, committed
//! (and fsynced) before openraft is told the entries are durable.

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{Entry, RaftLogReader, StorageIOError, Vote};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::{Row, SqlitePool};

use super::{LogId, StorageError, TypeConfig};

const VOTE: &str = "vote";
const COMMITTED: &str = "committed";
const LAST_PURGED: &str = "last_purged";

/// The log store; clones share the database and serve as log readers for replication.
#[derive(Debug, Clone)]
pub struct LogStore {
    pool: SqlitePool,
}

impl LogStore {
    pub fn new(pool: SqlitePool) -> Self {
        LogStore { pool }
    }

    async fn read_meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, sqlx::Error> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| decode(&row.get::<Vec<u8>, _>(0))).transpose()
    }

    async fn write_meta<T: Serialize>(&self, key: &str, value: &T) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
            .bind(key)
            .bind(encode(value)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
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

fn write_error(error: sqlx::Error) -> StorageError {
    StorageIOError::write_logs(&error).into()
}

/// Turns any range of indexes into sqlite's inclusive `[low, high]`, or `None` if it is empty.
fn inclusive_bounds<RB: RangeBounds<u64>>(range: &RB) -> Option<(i64, i64)> {
    let low = match range.start_bound() {
        Bound::Included(&n) => n,
        Bound::Excluded(&n) => n.checked_add(1)?,
        Bound::Unbounded => 0,
    };
    let high = match range.end_bound() {
        Bound::Included(&n) => n,
        Bound::Excluded(&n) => n.checked_sub(1)?,
        Bound::Unbounded => u64::MAX,
    };
    let clamp = |n: u64| n.min(i64::MAX as u64) as i64;
    (low <= high).then(|| (clamp(low), clamp(high)))
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, StorageError> {
        let Some((low, high)) = inclusive_bounds(&range) else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query("SELECT entry FROM log WHERE idx >= ? AND idx <= ? ORDER BY idx")
            .bind(low)
            .bind(high)
            .fetch_all(&self.pool)
            .await
            .map_err(read_error)?;
        rows.iter()
            .map(|row| decode(&row.get::<Vec<u8>, _>(0)).map_err(read_error))
            .collect()
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
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
        Ok(LogState {
            last_purged_log_id,
            last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<(), StorageError> {
        self.write_meta(VOTE, vote)
            .await
            .map_err(|error| StorageIOError::write_vote(&error).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>, StorageError> {
        self.read_meta(VOTE)
            .await
            .map_err(|error| StorageIOError::read_vote(&error).into())
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        self.write_meta(COMMITTED, &committed).await.map_err(write_error)
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        Ok(self.read_meta::<Option<LogId>>(COMMITTED).await.map_err(read_error)?.flatten())
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        let mut tx = self.pool.begin().await.map_err(write_error)?;
        for entry in entries {
            sqlx::query("INSERT OR REPLACE INTO log (idx, entry) VALUES (?, ?)")
                .bind(entry.log_id.index as i64)
                .bind(encode(&entry).map_err(write_error)?)
                .execute(&mut *tx)
                .await
                .map_err(write_error)?;
        }
        tx.commit().await.map_err(write_error)?;
        callback.log_io_completed(Ok(()));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM log WHERE idx >= ?")
            .bind(log_id.index as i64)
            .execute(&self.pool)
            .await
            .map_err(write_error)?;
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await.map_err(write_error)?;
        sqlx::query("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
            .bind(LAST_PURGED)
            .bind(encode(&Some(log_id)).map_err(write_error)?)
            .execute(&mut *tx)
            .await
            .map_err(write_error)?;
        sqlx::query("DELETE FROM log WHERE idx <= ?")
            .bind(log_id.index as i64)
            .execute(&mut *tx)
            .await
            .map_err(write_error)?;
        tx.commit().await.map_err(write_error)?;
        Ok(())
    }
}
