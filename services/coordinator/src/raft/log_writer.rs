//! The log writer task: drains the queue of log writes, applies everything queued so far in one
//! sqlite transaction (one fsync for many entries), then reports each write as durable.

use std::sync::{Arc, Mutex};

use openraft::storage::LogFlushed;
use openraft::Entry;
use sqlx::{Executor, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::durability::Durability;
use super::log_store::{encode, LAST_PURGED};
use super::recent_entries::RecentEntries;
use super::{LogId, TypeConfig};

/// The newest entries, shared by the log store (which adds them) and the writer (which marks them durable).
pub(super) type SharedRecentEntries = Arc<Mutex<RecentEntries>>;

/// How many queued writes one transaction takes at most.
const MAX_BATCH: usize = 4096;

type Done = oneshot::Sender<Result<(), String>>;

/// One write to the log database, in the order openraft asked for them.
pub(super) enum LogWrite {
    Append {
        entries: Vec<Entry<TypeConfig>>,
        /// None: openraft was told at once (the leader's own entries; see `Durability`).
        callback: Option<LogFlushed<TypeConfig>>,
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

/// Of lazy metadata writes, only the newest value of each key matters.
fn keep_latest_per_key(batch: &mut Vec<LogWrite>) {
    let mut seen = Vec::new();
    let mut newest_first: Vec<LogWrite> = batch.drain(..).rev().collect();
    newest_first.retain(|write| match write {
        LogWrite::Meta { key, .. } if seen.contains(key) => false,
        LogWrite::Meta { key, .. } => {
            seen.push(*key);
            true
        }
        _ => true,
    });
    batch.extend(newest_first.into_iter().rev());
}

impl LogWrite {
    /// Metadata nobody waits for, which may ride along with a later write.
    fn is_lazy(&self) -> bool {
        matches!(self, LogWrite::Meta { done: None, .. })
    }
}

pub(super) async fn run_log_writer(
    pool: SqlitePool,
    recent: SharedRecentEntries,
    durability: Durability,
    mut queue: mpsc::UnboundedReceiver<LogWrite>,
) {
    let mut batch = Vec::new();
    // The writer keeps one connection of its own; readers use the rest of the pool.
    let mut connection = None;
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // A batch of nothing but lazy metadata (the committed id) is not worth an fsync of its
        // own: it waits, at the head of the queue, for the next write that must be durable.
        if batch.iter().all(LogWrite::is_lazy) {
            keep_latest_per_key(&mut batch);
            continue;
        }
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
        match &outcome {
            Ok(()) => {
                for write in &batch {
                    match write {
                        LogWrite::Append { entries, .. } => {
                            if let Some(last) = entries.last() {
                                durability.written_up_to(last.log_id.index);
                            }
                        }
                        LogWrite::Truncate { since, .. } => durability.truncated(*since),
                        _ => {}
                    }
                }
            }
            Err(message) => {
                tracing::error!(message = "Writing the raft log failed.", error = %message);
                durability.fail();
            }
        }
        for write in batch.drain(..) {
            match write {
                LogWrite::Append { entries, callback } => {
                    if outcome.is_ok() {
                        recent.lock().expect("recent entries lock").mark_durable(&entries);
                    }
                    if let Some(callback) = callback {
                        callback.log_io_completed(outcome.clone().map_err(std::io::Error::other));
                    }
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

/// Writes a batch as one script, so the whole transaction costs one hand-off to sqlx's
/// connection thread instead of one per statement (that hand-off, not the fsync, was most of a
/// commit's time under load).
async fn write_batch(connection: &mut SqliteConnection, batch: &[LogWrite]) -> Result<(), sqlx::Error> {
    let script = batch_script(batch)?;
    if let Err(error) = connection.execute(script.as_str()).await {
        // A statement failed before COMMIT: end the open transaction so the next batch starts clean.
        let _ = connection.execute("ROLLBACK").await;
        return Err(error);
    }
    Ok(())
}

/// The SQL of one batch, in queue order. Values are inlined: indexes are integers, keys are our
/// own constants and every blob is hex-encoded, so nothing from outside can change the statements.
fn batch_script(batch: &[LogWrite]) -> Result<String, sqlx::Error> {
    let mut script = String::from("BEGIN IMMEDIATE;\n");
    let mut rows: Vec<String> = Vec::new();
    let flush_rows = |script: &mut String, rows: &mut Vec<String>| {
        if !rows.is_empty() {
            script.push_str("INSERT OR REPLACE INTO log (idx, entry) VALUES ");
            script.push_str(&rows.join(","));
            script.push_str(";\n");
            rows.clear();
        }
    };
    for write in batch {
        match write {
            LogWrite::Append { entries, .. } => {
                for entry in entries {
                    rows.push(format!("({},{})", entry.log_id.index as i64, blob(&encode(entry)?)));
                }
            }
            LogWrite::Truncate { since, .. } => {
                flush_rows(&mut script, &mut rows);
                script.push_str(&format!("DELETE FROM log WHERE idx >= {};\n", *since as i64));
            }
            LogWrite::Purge { upto, .. } => {
                flush_rows(&mut script, &mut rows);
                script.push_str(&meta_statement(LAST_PURGED, &encode(&Some(*upto))?));
                script.push_str(&format!("DELETE FROM log WHERE idx <= {};\n", upto.index as i64));
            }
            LogWrite::Meta { key, value, .. } => {
                flush_rows(&mut script, &mut rows);
                script.push_str(&meta_statement(key, value));
            }
            LogWrite::Barrier(_) => {}
        }
    }
    flush_rows(&mut script, &mut rows);
    script.push_str("COMMIT;\n");
    Ok(script)
}

fn meta_statement(key: &'static str, value: &[u8]) -> String {
    format!("INSERT OR REPLACE INTO meta (key, value) VALUES ('{key}',{});\n", blob(value))
}

/// A blob literal: `X'0a1b..'`.
fn blob(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut literal = String::with_capacity(bytes.len() * 2 + 3);
    literal.push_str("X'");
    for byte in bytes {
        literal.push(char::from(HEX[usize::from(byte >> 4)]));
        literal.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    literal.push('\'');
    literal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_literals_are_hex() {
        assert_eq!(blob(&[]), "X''");
        assert_eq!(blob(&[0x00, 0x0f, 0xa5, 0xff]), "X'000fa5ff'");
    }
}
