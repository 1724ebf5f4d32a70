//! Group commit for the checkpoint: every write waits until it is committed, but writes made
//! meanwhile by other tasks (or other agents of a simulated fleet) share one transaction. A fleet
//! launching thousands of tasks otherwise pays a commit per row.
//!
//! Writes are [`Change`]s, applied with bound parameters. When a batch fails, its transaction is
//! rolled back and each of its changes is tried again in a transaction of its own, so that one
//! write that cannot be made (a row a trigger refuses, say) does not fail the others with it.

use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use super::change::Change;

/// The most changes in one transaction.
const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<(), String>>;

/// The handle writes go through; the task behind it owns the connection.
#[derive(Debug, Clone)]
pub(super) struct CheckpointWriter {
    queue: mpsc::UnboundedSender<(Change, Reply)>,
}

impl CheckpointWriter {
    /// Starts the writer task on `pool`.
    pub(super) fn start(pool: SqlitePool) -> Self {
        let (queue, changes) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(pool, changes));
        CheckpointWriter { queue }
    }

    /// Makes one change and returns once it is committed.
    pub(super) async fn write(&self, change: Change) -> Result<(), String> {
        let (reply, committed) = oneshot::channel();
        self.queue.send((change, reply)).map_err(|_| "the checkpoint writer has stopped".to_string())?;
        committed.await.map_err(|_| "the checkpoint writer has stopped".to_string())?
    }
}

async fn write_batches(pool: SqlitePool, mut changes: mpsc::UnboundedReceiver<(Change, Reply)>) {
    while let Some(first) = changes.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match changes.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let outcome = commit(&pool, batch.iter().map(|(change, _)| change)).await;
        if outcome.is_err() && batch.len() > 1 {
            for (change, reply) in batch {
                let alone = commit(&pool, std::iter::once(&change)).await;
                let _ = reply.send(alone.map_err(|error| error.to_string()));
            }
            continue;
        }
        let outcome = outcome.map_err(|error| error.to_string());
        for (_, reply) in batch {
            let _ = reply.send(outcome.clone());
        }
    }
}

/// Applies `changes` in one transaction (`BEGIN IMMEDIATE`: it writes from the start), rolled
/// back unless every change was made.
async fn commit(pool: &SqlitePool, changes: impl Iterator<Item = &Change>) -> Result<(), sqlx::Error> {
    let mut transaction = pool.begin_with("BEGIN IMMEDIATE").await?;
    for change in changes {
        change.apply(&mut transaction).await?;
    }
    transaction.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::change::TaskValues;

    fn save(task_id: &str) -> Change {
        Change::SaveTask(TaskValues {
            slot: "0".into(),
            framework_id: "f".into(),
            task_id: task_id.into(),
            framework_info: None,
            task_info: "{}".into(),
            containerizer: None,
            container: None,
            sandbox: "/s".into(),
            latest_status: "{}".into(),
            pending_updates: "[]".into(),
        })
    }

    #[tokio::test]
    async fn a_change_that_fails_does_not_fail_the_others_in_its_batch() {
        let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect("sqlite::memory:").await.unwrap();
        sqlx::raw_sql(crate::checkpoint::SCHEMA).execute(&pool).await.unwrap();
        sqlx::raw_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON task WHEN NEW.task_id = 'refused'
             BEGIN SELECT RAISE(ABORT, 'refused'); END;",
        )
        .execute(&pool)
        .await
        .unwrap();
        let writer = CheckpointWriter::start(pool.clone());
        // Sent together, before the writer runs: one batch.
        let written = futures::future::join_all(["a", "refused", "b"].map(|id| writer.write(save(id)))).await;
        assert!(written[0].is_ok() && written[2].is_ok(), "{written:?}");
        assert!(written[1].as_ref().is_err_and(|error| error.contains("refused")), "{written:?}");
        let ids: Vec<(String,)> =
            sqlx::query_as("SELECT task_id FROM task ORDER BY task_id").fetch_all(&pool).await.unwrap();
        assert_eq!(ids, [("a".to_string(),), ("b".to_string(),)]);
    }
}
