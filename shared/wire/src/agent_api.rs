//! The agent protocol between the master and its agents (Corral's own; REST plus long-poll).
//!
//! - `POST /api/agent/v1/register` with [`RegisterAgent`] (no `agent_id` the first time; its id
//!   and running tasks after a restart or a master failover) answers [`AgentRegistered`].
//! - `GET /api/agent/v1/agents/{agent_id}/commands?after=SEQ&wait_ms=MS` long-polls for
//!   [`AgentCommands`]; `after` acknowledges every command up to that sequence number. The poll is
//!   also the agent's heartbeat. 404 with code `unknown_agent` means: register again.
//! - `POST /api/agent/v1/agents/{agent_id}/updates` with [`StatusUpdateMessage`] answers 202;
//!   the agent repeats an update until an `ACKNOWLEDGE` command for its uuid arrives.
//!
//! Every call but an agent's first registration carries the agent's secret in
//! [`AGENT_SECRET_HEADER`]: the master gives it out with [`AgentRegistered`] and keeps only its
//! digest, so that no one else can re-register as the agent (turning its tasks lost), poll its
//! commands or post its updates.
//!
//! A master that does not lead answers every route with 307 to the leader.

use serde::{Deserialize, Serialize};

use crate::mesos::{
    AgentId, Attribute, FrameworkId, FrameworkInfo, KillPolicy, Resource, TaskId, TaskInfo, TaskStatus,
};

pub const REGISTER_PATH: &str = "/api/agent/v1/register";

/// The header that carries the agent's secret.
pub const AGENT_SECRET_HEADER: &str = "corral-agent-secret";

pub fn commands_path(agent_id: &AgentId) -> String {
    format!("/api/agent/v1/agents/{agent_id}/commands")
}

pub fn updates_path(agent_id: &AgentId) -> String {
    format!("/api/agent/v1/agents/{agent_id}/updates")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterAgent {
    /// Present when the agent has registered before (it keeps its id for life).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    pub hostname: String,
    /// The agent's own HTTP port (`/state`, `/files/...`).
    pub port: u16,
    pub resources: Vec<Resource>,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    /// Every task the agent still runs or has not had acknowledged.
    #[serde(default)]
    pub tasks: Vec<AgentTask>,
    pub version: String,
}

/// A task as an agent reports it when it re-registers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentTask {
    pub framework_id: FrameworkId,
    pub task: TaskInfo,
    /// The latest status the agent produced for the task.
    pub status: TaskStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRegistered {
    pub agent_id: AgentId,
    pub master_id: String,
    /// The master declares the agent unreachable after this long without a poll.
    pub unreachable_timeout_ms: u64,
    /// What the agent presents from now on (the one it presented, when it had one).
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentCommands {
    pub commands: Vec<SequencedCommand>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequencedCommand {
    pub seq: u64,
    #[serde(flatten)]
    pub command: AgentCommand,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AgentCommand {
    /// Start a task for a framework.
    Launch { framework_id: FrameworkId, framework: Box<FrameworkInfo>, task: Box<TaskInfo> },
    /// Kill a task, honouring the grace period of `kill_policy` (or the task's own).
    Kill { framework_id: FrameworkId, task_id: TaskId, kill_policy: Option<KillPolicy> },
    /// The framework acknowledged the update with this uuid: stop repeating it.
    Acknowledge { framework_id: FrameworkId, task_id: TaskId, uuid: String },
    /// The framework is gone: kill all its tasks and forget it.
    ShutdownFramework { framework_id: FrameworkId },
    /// A framework message for an executor (base64 data).
    FrameworkMessage { framework_id: FrameworkId, executor_id: String, data: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusUpdateMessage {
    pub framework_id: FrameworkId,
    /// Carries a `uuid`; the agent repeats the update until acknowledged.
    pub status: TaskStatus,
}
