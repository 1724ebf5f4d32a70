//! [`Agent`]: one agent's tasks and what it owes the master. It turns the master's commands into
//! task runners, turns what runners report into status updates (checkpointed first, then queued
//! per task until acknowledged), and answers the master link (what to register with, which
//! updates are due) and the HTTP API (a view of everything).
//!
//! All state sits behind one async lock that is held across the checkpoint write of each
//! change, so the file never holds an older picture than the one acted upon.

mod commands;
mod counters;
mod recovery;
mod report;
mod runner;
mod task_entry;
mod update_queue;
mod view;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use corral_wire::agent_api::{AgentTask, RegisterAgent, StatusUpdateMessage};
use corral_wire::mesos::{AgentId, Attribute, Capability, ResourceSet};
use tokio::sync::{Mutex, Notify};

pub use counters::{read as read_counter, AgentCounters};
pub use recovery::RecoverySummary;
pub use report::{new_uuid, Report};
pub use task_entry::{grace_period, KillRequest, TaskKey, DEFAULT_GRACE};
pub use update_queue::UpdateQueue;
pub use view::{AgentView, TaskView};

use self::counters::bump;
use self::task_entry::TaskEntry;
use crate::checkpoint::{AgentCheckpoint, CheckpointError};
use crate::containerizer::{ContainerHandle, Containerizers};
use crate::sandbox::SandboxRoot;

/// How many ended tasks an agent remembers (for `/state` and to ignore a repeated launch).
const COMPLETED_KEPT: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

/// Everything an agent is made of.
pub struct AgentSetup {
    /// Its rows in the shared checkpoint file (`"0"` for a lone agent).
    pub slot: String,
    /// The host name and port sent to the master (`--advertise`).
    pub hostname: String,
    pub port: u16,
    pub resources: ResourceSet,
    pub attributes: Vec<Attribute>,
    /// How often an unacknowledged update is sent again.
    pub status_retry: Duration,
    pub sandboxes: SandboxRoot,
    pub containerizers: Containerizers,
    pub checkpoint: AgentCheckpoint,
}

pub struct Agent {
    setup: AgentSetup,
    state: Mutex<AgentState>,
    updates_ready: Notify,
    pub counters: AgentCounters,
    started_at: SystemTime,
}

#[derive(Default)]
struct AgentState {
    agent_id: Option<AgentId>,
    master: Option<String>,
    /// What the master gave this agent to present on every call.
    secret: Option<String>,
    tasks: BTreeMap<TaskKey, TaskEntry>,
    completed: VecDeque<TaskEntry>,
}

/// The updates to send now, and when the next one falls due.
#[derive(Debug, Default)]
pub struct DueUpdates {
    pub messages: Vec<StatusUpdateMessage>,
    pub next_at: Option<Instant>,
}

impl Agent {
    pub fn new(setup: AgentSetup) -> Arc<Self> {
        Arc::new(Agent {
            setup,
            state: Mutex::new(AgentState::default()),
            updates_ready: Notify::new(),
            counters: AgentCounters::default(),
            started_at: SystemTime::now(),
        })
    }

    pub fn slot(&self) -> &str {
        &self.setup.slot
    }

    pub async fn agent_id(&self) -> Option<AgentId> {
        self.state.lock().await.agent_id.clone()
    }

    /// The secret the master gave this agent, once it has one.
    pub async fn secret(&self) -> Option<String> {
        self.state.lock().await.secret.clone()
    }

    /// What to register (or re-register) with: the agent's id once it has one, and every task
    /// it runs or still owes updates about, with its latest status.
    pub async fn registration(&self) -> RegisterAgent {
        let state = self.state.lock().await;
        RegisterAgent {
            agent_id: state.agent_id.clone(),
            hostname: self.setup.hostname.clone(),
            port: self.setup.port,
            resources: self.setup.resources.to_resources(),
            attributes: self.setup.attributes.clone(),
            tasks: state
                .tasks
                .values()
                .map(|entry| AgentTask {
                    framework_id: entry.row.framework_id.clone(),
                    task: entry.row.task.clone(),
                    status: entry.row.latest.clone(),
                })
                .collect(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// The master accepted the registration: keep the id and secret (checkpointed) and make
    /// every pending update due at once.
    pub async fn registered(&self, agent_id: &AgentId, master: &str, secret: &str) -> Result<(), AgentError> {
        let mut state = self.state.lock().await;
        if let Some(previous) = state.agent_id.as_ref().filter(|previous| *previous != agent_id) {
            tracing::warn!(message = "The master gave this agent a new id.", %previous, new = %agent_id);
        }
        self.setup.checkpoint.save_registration(agent_id, master, secret).await?;
        state.agent_id = Some(agent_id.clone());
        state.secret = Some(secret.to_string());
        state.master = Some(master.to_string());
        state.tasks.values_mut().for_each(|entry| entry.updates.resend_now());
        bump(&self.counters.registrations);
        drop(state);
        self.updates_ready.notify_one();
        Ok(())
    }

    /// Takes the updates that are due (each task's head, if never sent or not sent for a retry
    /// interval) and marks them sent.
    pub async fn due_updates(&self, now: Instant) -> DueUpdates {
        let retry = self.setup.status_retry;
        let mut state = self.state.lock().await;
        let mut due = DueUpdates::default();
        for entry in state.tasks.values_mut() {
            if let Some(head) = entry.updates.due(now, retry) {
                let message =
                    StatusUpdateMessage { framework_id: entry.row.framework_id.clone(), status: head.clone() };
                due.messages.push(message);
                entry.updates.mark_sent(now);
            }
            if let Some(at) = entry.updates.next_due_at(retry) {
                due.next_at = Some(due.next_at.map_or(at, |next| next.min(at)));
            }
        }
        due
    }

    pub fn count_update_sent(&self) {
        bump(&self.counters.updates_sent);
    }

    /// Wakes the sender of status updates when a new update is queued.
    pub fn updates_ready(&self) -> &Notify {
        &self.updates_ready
    }

    /// Records a new status of a task: checkpointed, then queued for the master.
    pub(crate) async fn report(&self, key: &TaskKey, report: Report) -> Result<(), AgentError> {
        let mut state = self.state.lock().await;
        let agent_id = state.agent_id.clone();
        let Some(entry) = state.tasks.get_mut(key) else { return Ok(()) };
        let agent_id = agent_id.unwrap_or_else(|| entry.row.task.agent_id.clone());
        let status = report.into_status(&key.task_id, &agent_id, SystemTime::now());
        if status.state.is_terminal() {
            self.counters.count_terminal(status.state);
        }
        entry.push_status(status);
        self.setup.checkpoint.save_task(&entry.checkpoint_row()).await?;
        drop(state);
        self.updates_ready.notify_one();
        Ok(())
    }

    /// Whether the task's framework declared `TASK_KILLING_STATE` (in the FrameworkInfo it was
    /// launched with): only such frameworks are told TASK_KILLING, as in Mesos.
    pub(crate) async fn reports_killing(&self, key: &TaskKey) -> bool {
        let state = self.state.lock().await;
        let framework = state.tasks.get(key).and_then(|entry| entry.framework());
        framework.is_some_and(|framework| framework.has_capability(Capability::TASK_KILLING_STATE))
    }

    /// Records the handle of a task's container once it runs.
    pub(crate) async fn record_container(&self, key: &TaskKey, handle: ContainerHandle) -> Result<(), AgentError> {
        let mut state = self.state.lock().await;
        let Some(entry) = state.tasks.get_mut(key) else { return Ok(()) };
        if entry.row.container.as_ref() != Some(&handle) {
            entry.set_container(handle);
            self.setup.checkpoint.save_task(&entry.checkpoint_row()).await?;
        }
        Ok(())
    }
}

impl AgentState {
    /// Moves a task that is done to the completed list.
    fn complete(&mut self, key: &TaskKey) {
        if let Some(mut entry) = self.tasks.remove(key) {
            entry.kill = None;
            if self.completed.len() == COMPLETED_KEPT {
                self.completed.pop_front();
            }
            self.completed.push_back(entry);
        }
    }

    fn knows(&self, key: &TaskKey) -> bool {
        self.tasks.contains_key(key) || self.completed.iter().any(|entry| entry.key() == *key)
    }
}
