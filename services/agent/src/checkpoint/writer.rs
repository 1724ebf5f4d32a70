//! Group commit for the checkpoint: every write waits until it is committed, but writes made
//! meanwhile by other tasks (or other agents of a simulated fleet) share one transaction, sent to
//! sqlite as one script. A fleet launching thousands of tasks otherwise pays a commit and a hand-off
//! to sqlx's worker thread per row.

use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

/// The most statements in one transaction.
const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<(), String>>;

/// The handle writes go through; the task behind it owns the connection.
#[derive(Debug, Clone)]
pub(super) struct CheckpointWriter {
    queue: mpsc::UnboundedSender<(String, Reply)>,
}

impl CheckpointWriter {
    /// Starts the writer task on `pool`.
    pub(super) fn start(pool: SqlitePool) -> Self {
        let (queue, statements) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(pool, statements));
        CheckpointWriter { queue }
    }

    /// Runs one SQL statement (values already inlined with [`literal`]) and returns once it is
    /// committed.
    pub(super) async fn write(&self, statement: String) -> Result<(), String> {
        let (reply, committed) = oneshot::channel();
        self.queue.send((statement, reply)).map_err(|_| "the checkpoint writer has stopped".to_string())?;
        committed.await.map_err(|_| "the checkpoint writer has stopped".to_string())?
    }
}

async fn write_batches(pool: SqlitePool, mut statements: mpsc::UnboundedReceiver<(String, Reply)>) {
    while let Some(first) = statements.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match statements.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let mut script = String::from("BEGIN IMMEDIATE;\n");
        for (statement, _) in &batch {
            script.push_str(statement);
            script.push_str(";\n");
        }
        script.push_str("COMMIT;");
        let result = match sqlx::raw_sql(&script).execute(&pool).await {
            Ok(_) => Ok(()),
            Err(error) => {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&pool).await;
                Err(error.to_string())
            }
        };
        for (_, reply) in batch {
            let _ = reply.send(result.clone());
        }
    }
}

/// A text value as an SQL literal: `'...'` with quotes doubled, or `NULL`.
pub(super) fn literal(value: Option<&str>) -> String {
    match value {
        Some(text) => format!("'{}'", text.replace('\'', "''")),
        None => "NULL".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::literal;

    #[test]
    fn literals_are_quoted() {
        assert_eq!(literal(Some("it's")), "'it''s'");
        assert_eq!(literal(Some("")), "''");
        assert_eq!(literal(None), "NULL");
    }
}
