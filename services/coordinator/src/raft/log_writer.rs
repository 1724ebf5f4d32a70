//! The log writer task: drains the queue of log writes, applies everything queued so far in one
//! sqlite transaction (one fsync for many entries), then reports each write as durable.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use openraft::storage::LogFlushed;
use openraft::Entry;
use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection, SqlitePool, Transaction};
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
    // The writer keeps one connection of its own; readers use the rest of the pool.
    let mut connection = None;
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let started = std::time::Instant::now();
        if connection.is_none() {
            connection = pool.acquire().await.map_err(|error| tracing::error!(%error)).ok();
        }
        let outcome = match connection.as_mut() {
            Some(connection) => write_batch(connection, &batch).await.map_err(|error| error.to_string()),
            None => Err("no database connection for the log writer".to_string()),
        };
        tracing::trace!(
            message = "Wrote log batch.",
            writes = batch.len(),
            micros = started.elapsed().as_micros() as u64
        );
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

async fn write_batch(connection: &mut SqliteConnection, batch: &[LogWrite]) -> Result<(), sqlx::Error> {
    let mut tx = connection.begin().await?;
    let mut rows: Vec<(i64, Vec<u8>)> = Vec::new();
    for write in batch {
        match write {
            LogWrite::Append { entries, .. } => {
                for entry in entries {
                    rows.push((entry.log_id.index as i64, encode(entry)?));
                }
            }
            // Everything else must see the appends queued before it.
            other => {
                insert_rows(&mut tx, &mut rows).await?;
                match other {
                    LogWrite::Truncate { since, .. } => {
                        sqlx::query("DELETE FROM log WHERE idx >= ?").bind(*since as i64).execute(&mut *tx).await?;
                    }
                    LogWrite::Purge { upto, .. } => {
                        put_meta(&mut tx, LAST_PURGED, &encode(&Some(*upto))?).await?;
                        sqlx::query("DELETE FROM log WHERE idx <= ?").bind(upto.index as i64).execute(&mut *tx).await?;
                    }
                    LogWrite::Meta { key, value, .. } => put_meta(&mut tx, key, value).await?,
                    LogWrite::Barrier(_) | LogWrite::Append { .. } => {}
                }
            }
        }
    }
    insert_rows(&mut tx, &mut rows).await?;
    tx.commit().await
}

/// Inserts the collected log rows with as few statements as sqlite allows, and empties `rows`.
async fn insert_rows(tx: &mut Transaction<'_, Sqlite>, rows: &mut Vec<(i64, Vec<u8>)>) -> Result<(), sqlx::Error> {
    // Two bound values per row; sqlite allows 32766 per statement.
    for chunk in rows.chunks(4096) {
        let mut insert = QueryBuilder::<Sqlite>::new("INSERT OR REPLACE INTO log (idx, entry) ");
        insert.push_values(chunk, |mut row, (idx, entry)| {
            row.push_bind(*idx).push_bind(entry.as_slice());
        });
        insert.build().persistent(false).execute(&mut **tx).await?;
    }
    rows.clear();
    Ok(())
}

async fn put_meta(tx: &mut Transaction<'_, Sqlite>, key: &str, value: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
        .bind(key)
        .bind(value)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
