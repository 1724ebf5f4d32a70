//! The agent's checkpoint: one sqlite file, `<work-dir>/agent.db`, in WAL mode. It holds each
//! agent's id, master and secret and, per task, everything needed to find it again after `kill -9`: the
//! framework, the `TaskInfo`, the containerizer and the container handle (pid and start time, or
//! container id), the sandbox, the latest status and the updates not yet acknowledged.
//!
//! Rows are keyed by a slot (`"0"` for a lone agent; one per agent of a simulated fleet, which
//! shares the file). Every write is committed before the agent acts on it (an update is
//! checkpointed before it is sent, a task before it is launched); concurrent writes share a
//! transaction (`writer.rs`). Every value is a bound parameter (`change.rs`).
//!
//! A task row that cannot be read back (damaged on disk, written by a newer agent) does not stop
//! the agent: loading moves it to the `quarantine` table, with the reason, logs a warning, and
//! goes on with the other rows. Rows in quarantine are kept for an operator and never read.

mod change;
mod task_row;
mod writer;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use corral_wire::mesos::{AgentId, FrameworkId, TaskId};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use change::Change;
pub use task_row::TaskRow;
use task_row::TASK_COLUMNS;
use writer::CheckpointWriter;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS agent (
    slot TEXT PRIMARY KEY,
    agent_id TEXT,
    master TEXT,
    secret TEXT
);
CREATE TABLE IF NOT EXISTS task (
    slot TEXT NOT NULL,
    framework_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    framework_info TEXT,
    task_info TEXT NOT NULL,
    containerizer TEXT,
    container TEXT,
    sandbox TEXT NOT NULL,
    latest_status TEXT NOT NULL,
    pending_updates TEXT NOT NULL,
    PRIMARY KEY (slot, framework_id, task_id)
);
CREATE TABLE IF NOT EXISTS quarantine (
    slot TEXT,
    framework_id TEXT,
    task_id TEXT,
    framework_info TEXT,
    task_info TEXT,
    containerizer TEXT,
    container TEXT,
    sandbox TEXT,
    latest_status TEXT,
    pending_updates TEXT,
    error TEXT NOT NULL,
    quarantined_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
";

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("checkpoint write: {0}")]
    Write(String),
    #[error("cannot create the checkpoint directory: {0}")]
    Directory(#[from] std::io::Error),
    #[error("checkpointed task {task_id} of framework {framework_id} has an unreadable {column}: {error}")]
    Corrupt { framework_id: String, task_id: String, column: &'static str, error: String },
}

/// How hard each commit is pushed to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync on every commit: survives a machine crash. The default.
    Full,
    /// WAL without fsync per commit: survives `kill -9` of the agent, not a machine crash.
    /// For simulated fleets, whose thousands of agents write far more often.
    ProcessCrash,
}

/// The checkpoint file, shared by the agents of this process.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pool: SqlitePool,
    writer: CheckpointWriter,
}

/// What an agent had checkpointed.
#[derive(Debug, Default)]
pub struct SavedAgent {
    pub agent_id: Option<AgentId>,
    pub master: Option<String>,
    /// What the master gave the agent to present (`corral_wire::agent_api::AGENT_SECRET_HEADER`).
    pub secret: Option<String>,
    pub tasks: Vec<TaskRow>,
    /// Task rows that could not be read, skipped (and moved to the `quarantine` table).
    pub quarantined: usize,
}

impl Checkpoint {
    /// Opens (creating if needed) `<work_dir>/agent.db`.
    pub async fn open(work_dir: &Path, durability: Durability) -> Result<Self, CheckpointError> {
        std::fs::create_dir_all(work_dir)?;
        let url = format!("sqlite://{}", work_dir.join("agent.db").display());
        let synchronous = match durability {
            Durability::Full => SqliteSynchronous::Full,
            Durability::ProcessCrash => SqliteSynchronous::Normal,
        };
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .busy_timeout(Duration::from_secs(10));
        // One connection: concurrent writers would only contend for sqlite's write lock and sleep in
        // its busy handler; through one connection they queue instead.
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        sqlx::raw_sql(SCHEMA).execute(&pool).await?;
        // Files written before agents had secrets lack the column.
        let columns: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM pragma_table_info('agent')").fetch_all(&pool).await?;
        if !columns.iter().any(|(name,)| name == "secret") {
            sqlx::raw_sql("ALTER TABLE agent ADD COLUMN secret TEXT").execute(&pool).await?;
        }
        let writer = CheckpointWriter::start(pool.clone());
        Ok(Checkpoint { pool, writer })
    }

    /// The part of the file that belongs to one agent.
    pub fn slot(&self, slot: &str) -> AgentCheckpoint {
        AgentCheckpoint { pool: self.pool.clone(), writer: self.writer.clone(), slot: slot.to_string() }
    }
}

/// One agent's rows.
#[derive(Debug, Clone)]
pub struct AgentCheckpoint {
    pool: SqlitePool,
    writer: CheckpointWriter,
    slot: String,
}

impl AgentCheckpoint {
    /// The agent's rows. Task rows that cannot be read are quarantined and left out.
    pub async fn load(&self) -> Result<SavedAgent, CheckpointError> {
        let agent: Option<(Option<String>, Option<String>, Option<String>)> =
            sqlx::query_as("SELECT agent_id, master, secret FROM agent WHERE slot = ?")
                .bind(&self.slot)
                .fetch_optional(&self.pool)
                .await?;
        let (agent_id, master, secret) = agent.unwrap_or_default();
        let select = format!("SELECT rowid, {TASK_COLUMNS} FROM task WHERE slot = ? ORDER BY framework_id, task_id");
        let rows = sqlx::query(&select).bind(&self.slot).fetch_all(&self.pool).await?;
        let mut tasks = Vec::with_capacity(rows.len());
        let mut quarantined = 0;
        for row in rows {
            match TaskRow::from_row(&row) {
                Ok(task) => tasks.push(task),
                Err(error) => {
                    quarantined += 1;
                    self.quarantine(row.try_get("rowid")?, error).await;
                }
            }
        }
        Ok(SavedAgent { agent_id: agent_id.map(AgentId::new), master, secret, tasks, quarantined })
    }

    /// Moves an unreadable row out of the way. Should even that fail, the row stays and is
    /// skipped again at the next start: the agent must start either way.
    async fn quarantine(&self, row_id: i64, error: CheckpointError) {
        tracing::warn!(message = "Quarantining a checkpointed task that cannot be read; the agent goes on without it.", slot = %self.slot, %error);
        let change = Change::Quarantine { slot: self.slot.clone(), row_id, error: error.to_string() };
        if let Err(failure) = self.writer.write(change).await {
            tracing::error!(message = "Cannot move an unreadable checkpoint row to quarantine; skipping it.", slot = %self.slot, error = %failure);
        }
    }

    pub async fn save_registration(
        &self,
        agent_id: &AgentId,
        master: &str,
        secret: &str,
    ) -> Result<(), CheckpointError> {
        let change = Change::Registration {
            slot: self.slot.clone(),
            agent_id: agent_id.value.clone(),
            master: master.to_string(),
            secret: secret.to_string(),
        };
        self.writer.write(change).await.map_err(CheckpointError::Write)
    }

    pub async fn save_task(&self, row: &TaskRow) -> Result<(), CheckpointError> {
        self.writer.write(row.save(&self.slot)).await.map_err(CheckpointError::Write)
    }

    pub async fn remove_task(&self, framework_id: &FrameworkId, task_id: &TaskId) -> Result<(), CheckpointError> {
        let change = Change::RemoveTask {
            slot: self.slot.clone(),
            framework_id: framework_id.value.clone(),
            task_id: task_id.value.clone(),
        };
        self.writer.write(change).await.map_err(CheckpointError::Write)
    }
}
