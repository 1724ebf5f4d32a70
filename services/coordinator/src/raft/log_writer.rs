//! The log writer task: drains the queue of log writes, applies everything queued so far in one
//! sqlite transaction (one fsync for many entries), then reports each write as durable.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use openraft::storage::LogFlushed;
use openraft::Entry;
use sqlx::{Sqlite, SqlitePool, Transaction};
use tokio::sync::{mpsc, oneshot};

use super::log_store::{encode, LAST_PURGED};
use super::{LogId, TypeConfig};

/// Entries appended but not yet known to be on disk, by index; readers consult them first.
pub(super) type PendingEntries = Arc<Mutex<BTreeMap<u64, Entry<TypeConfig>>>>;

/// How many queued writes one transaction takes at most.
const MAX_BATCH: usize = 4096;

type Done = oneshot::Sender<Result<(), String>>;

/// One write to the log database, in the order openraft asked for them.
pub(super) enum LogWrite {
    Append {
        entries: Vec<Entry<TypeConfig>>,
        callback: LogFlushed<TypeConfig>,
    },
    Truncate {
        since: u64,
        done: Done,
    },
    Purge {
        upto: LogId,
        done: Done,
    },
    Meta {
        key: &'static str,
        value: Vec<u8>,
        done: Option<Done>,
    },
    /// Nothing to write: answered once everything queued before it is durable.
    Barrier(Done),
}

pub(super) async fn run_log_writer(
    pool: SqlitePool,
    pending: PendingEntries,
    mut queue: mpsc::UnboundedReceiver<LogWrite>,
) {
    let mut batch = Vec::new();
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let outcome = write_batch(&pool, &batch).await.map_err(|error| error.to_string());
        if let Err(message) = &outcome {
            tracing::error!(message = "Writing the raft log failed.", error = %message);
        }
        for write in batch.drain(..) {
            match write {
                LogWrite::Append { entries, callback } => {
                    {
                        let mut pending = pending.lock().expect("pending log lock");
                        for entry in &entries {
                            // Leave a newer entry at the same index (after a truncation) in place.
                            if pending.get(&entry.log_id.index).is_some_and(|held| held.log_id == entry.log_id) {
                                pending.remove(&entry.log_id.index);
                            }
                        }
                    }
                    callback.log_io_completed(outcome.clone().map_err(std::io::Error::other));
                }
                LogWrite::Truncate { done, .. } | LogWrite::Purge { done, .. } | LogWrite::Barrier(done) => {
                    let _ = done.send(outcome.clone());
                }
                LogWrite::Meta { done, .. } => {
                    if let Some(done) = done {
                        let _ = done.send(outcome.clone());
                    }
                }
            }
        }
    }
}

async fn write_batch(pool: &SqlitePool, batch: &[LogWrite]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for write in batch {
        match write {
            LogWrite::Append { entries, .. } => {
                for entry in entries {
                    sqlx::query("INSERT OR REPLACE INTO log (idx, entry) VALUES (?, ?)")
                        .bind(entry.log_id.index as i64)
                        .bind(encode(entry)?)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            LogWrite::Truncate { since, .. } => {
                sqlx::query("DELETE FROM log WHERE idx >= ?").bind(*since as i64).execute(&mut *tx).await?;
            }
            LogWrite::Purge { upto, .. } => {
                put_meta(&mut tx, LAST_PURGED, &encode(&Some(*upto))?).await?;
                sqlx::query("DELETE FROM log WHERE idx <= ?").bind(upto.index as i64).execute(&mut *tx).await?;
            }
            LogWrite::Meta { key, value, .. } => put_meta(&mut tx, key, value).await?,
            LogWrite::Barrier(_) => {}
        }
    }
    tx.commit().await
}

async fn put_meta(tx: &mut Transaction<'_, Sqlite>, key: &str, value: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
        .bind(key)
        .bind(value)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
