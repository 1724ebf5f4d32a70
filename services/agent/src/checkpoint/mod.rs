//! The agent's checkpoint: one sqlite file, `<work-dir>/agent.db`, in WAL mode. It holds each
//! agent's id, master and secret and, per task, everything needed to find it again after `kill -9`: the
//! framework, the `TaskInfo`, the containerizer and the container handle (pid and start time, or
//! container id), the sandbox, the latest status and the updates not yet acknowledged.
//!
//! Rows are keyed by a slot (`"0"` for a lone agent; one per agent of a simulated fleet, which
//! shares the file). Every write is committed before the agent acts on it (an update is
//! checkpointed before it is sent, a task before it is launched); concurrent writes share a
//! transaction (`writer.rs`).

mod task_row;
mod writer;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use corral_wire::mesos::{AgentId, FrameworkId, TaskId};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub use task_row::TaskRow;
use writer::{literal, CheckpointWriter};

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
";

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("checkpoint write: {0}")]
    Write(String),
    #[error("cannot create the checkpoint directory: {0}")]
    Directory(#[from] std::io::Error),
    #[error("a checkpointed task of framework {framework_id} has an unreadable {column}: {error}")]
    Corrupt { framework_id: String, column: &'static str, error: String },
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
    pub async fn load(&self) -> Result<SavedAgent, CheckpointError> {
        let agent: Option<(Option<String>, Option<String>, Option<String>)> =
            sqlx::query_as("SELECT agent_id, master, secret FROM agent WHERE slot = ?")
                .bind(&self.slot)
                .fetch_optional(&self.pool)
                .await?;
        let (agent_id, master, secret) = agent.unwrap_or_default();
        let rows = sqlx::query_as(
            "SELECT framework_id, framework_info, task_info, containerizer, container, sandbox, latest_status, pending_updates
             FROM task WHERE slot = ? ORDER BY framework_id, task_id",
        )
        .bind(&self.slot)
        .fetch_all(&self.pool)
        .await?;
        let tasks = rows.into_iter().map(TaskRow::from_columns).collect::<Result<Vec<_>, _>>()?;
        Ok(SavedAgent { agent_id: agent_id.map(AgentId::new), master, secret, tasks })
    }

    pub async fn save_registration(
        &self,
        agent_id: &AgentId,
        master: &str,
        secret: &str,
    ) -> Result<(), CheckpointError> {
        let statement = format!(
            "INSERT INTO agent (slot, agent_id, master, secret) VALUES ({}, {}, {}, {}) \
             ON CONFLICT (slot) DO UPDATE SET agent_id = excluded.agent_id, master = excluded.master, \
             secret = excluded.secret",
            literal(Some(&self.slot)),
            literal(Some(&agent_id.value)),
            literal(Some(master)),
            literal(Some(secret))
        );
        self.writer.write(statement).await.map_err(CheckpointError::Write)
    }

    pub async fn save_task(&self, row: &TaskRow) -> Result<(), CheckpointError> {
        self.writer.write(row.upsert_statement(&self.slot)).await.map_err(CheckpointError::Write)
    }

    pub async fn remove_task(&self, framework_id: &FrameworkId, task_id: &TaskId) -> Result<(), CheckpointError> {
        let statement = format!(
            "DELETE FROM task WHERE slot = {} AND framework_id = {} AND task_id = {}",
            literal(Some(&self.slot)),
            literal(Some(&framework_id.value)),
            literal(Some(&task_id.value))
        );
        self.writer.write(statement).await.map_err(CheckpointError::Write)
    }
}
