//! [`Change`]: each kind of write the checkpoint makes, with its statements. Every value is
//! bound as a parameter, never spliced into the SQL, so no id a framework picks can change
//! what a statement does.

use sqlx::SqliteConnection;

/// One write, applied by the [`super::writer`] inside the transaction of its batch.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Change {
    /// The agent's id, master and secret.
    Registration {
        slot: String,
        agent_id: String,
        master: String,
        secret: String,
    },
    /// A task's row, inserted or replaced.
    SaveTask(TaskValues),
    RemoveTask {
        slot: String,
        framework_id: String,
        task_id: String,
    },
    /// Moves an unreadable task row (named by its rowid) to the `quarantine` table.
    Quarantine {
        slot: String,
        row_id: i64,
        error: String,
    },
}

/// The columns of a `task` row as stored: ids as text, everything structured as JSON.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TaskValues {
    pub(super) slot: String,
    pub(super) framework_id: String,
    pub(super) task_id: String,
    pub(super) framework_info: Option<String>,
    pub(super) task_info: String,
    pub(super) containerizer: Option<String>,
    pub(super) container: Option<String>,
    pub(super) sandbox: String,
    pub(super) latest_status: String,
    pub(super) pending_updates: String,
}

const SAVE_REGISTRATION: &str = "INSERT INTO agent (slot, agent_id, master, secret) VALUES (?, ?, ?, ?)
    ON CONFLICT (slot) DO UPDATE SET agent_id = excluded.agent_id, master = excluded.master, secret = excluded.secret";

const SAVE_TASK: &str = "INSERT INTO task (slot, framework_id, task_id, framework_info, task_info, containerizer,
        container, sandbox, latest_status, pending_updates)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (slot, framework_id, task_id) DO UPDATE SET
      framework_info = excluded.framework_info, task_info = excluded.task_info,
      containerizer = excluded.containerizer, container = excluded.container, sandbox = excluded.sandbox,
      latest_status = excluded.latest_status, pending_updates = excluded.pending_updates";

const REMOVE_TASK: &str = "DELETE FROM task WHERE slot = ? AND framework_id = ? AND task_id = ?";

const COPY_TO_QUARANTINE: &str = "INSERT INTO quarantine (slot, framework_id, task_id, framework_info, task_info,
        containerizer, container, sandbox, latest_status, pending_updates, error)
    SELECT slot, framework_id, task_id, framework_info, task_info, containerizer, container, sandbox, latest_status,
        pending_updates, ?
    FROM task WHERE rowid = ? AND slot = ?";

const REMOVE_BY_ROWID: &str = "DELETE FROM task WHERE rowid = ? AND slot = ?";

impl Change {
    /// Runs the change's statements on `connection` (inside the caller's transaction).
    pub(super) async fn apply(&self, connection: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        match self {
            Change::Registration { slot, agent_id, master, secret } => {
                sqlx::query(SAVE_REGISTRATION)
                    .bind(slot)
                    .bind(agent_id)
                    .bind(master)
                    .bind(secret)
                    .execute(&mut *connection)
                    .await?;
            }
            Change::SaveTask(values) => {
                sqlx::query(SAVE_TASK)
                    .bind(&values.slot)
                    .bind(&values.framework_id)
                    .bind(&values.task_id)
                    .bind(&values.framework_info)
                    .bind(&values.task_info)
                    .bind(&values.containerizer)
                    .bind(&values.container)
                    .bind(&values.sandbox)
                    .bind(&values.latest_status)
                    .bind(&values.pending_updates)
                    .execute(&mut *connection)
                    .await?;
            }
            Change::RemoveTask { slot, framework_id, task_id } => {
                sqlx::query(REMOVE_TASK).bind(slot).bind(framework_id).bind(task_id).execute(&mut *connection).await?;
            }
            Change::Quarantine { slot, row_id, error } => {
                sqlx::query(COPY_TO_QUARANTINE).bind(error).bind(row_id).bind(slot).execute(&mut *connection).await?;
                sqlx::query(REMOVE_BY_ROWID).bind(row_id).bind(slot).execute(&mut *connection).await?;
            }
        }
        Ok(())
    }
}
