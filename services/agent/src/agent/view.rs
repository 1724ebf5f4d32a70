//! A consistent copy of an agent's state for the HTTP API (`/state`, `/metrics`).

use std::path::PathBuf;
use std::time::SystemTime;

use corral_wire::mesos::{AgentId, Attribute, FrameworkId, FrameworkInfo, ResourceSet, TaskInfo, TaskStatus};

use super::task_entry::TaskEntry;
use super::Agent;
use crate::containerizer::{ContainerHandle, ContainerizerKind};

#[derive(Debug, Clone)]
pub struct AgentView {
    pub agent_id: Option<AgentId>,
    pub slot: String,
    pub hostname: String,
    pub port: u16,
    pub resources: ResourceSet,
    pub attributes: Vec<Attribute>,
    /// The master this agent last registered with.
    pub master: Option<String>,
    pub started_at: SystemTime,
    /// Tasks running, or ended with updates still unacknowledged.
    pub tasks: Vec<TaskView>,
    /// Tasks that ended and owe nothing (the latest ones).
    pub completed: Vec<TaskView>,
}

#[derive(Debug, Clone)]
pub struct TaskView {
    pub framework_id: FrameworkId,
    pub framework: Option<FrameworkInfo>,
    pub task: TaskInfo,
    pub latest: TaskStatus,
    /// The statuses produced, oldest first.
    pub statuses: Vec<TaskStatus>,
    pub containerizer: Option<ContainerizerKind>,
    pub container: Option<ContainerHandle>,
    pub sandbox: PathBuf,
    pub pending_updates: usize,
}

impl TaskView {
    fn of(entry: &TaskEntry) -> Self {
        TaskView {
            framework_id: entry.row.framework_id.clone(),
            framework: entry.framework().cloned(),
            task: entry.task().clone(),
            latest: entry.row.latest.clone(),
            statuses: entry.history.clone(),
            containerizer: entry.containerizer(),
            container: entry.row.container.clone(),
            sandbox: entry.sandbox().clone(),
            pending_updates: entry.updates.len(),
        }
    }
}

impl Agent {
    pub async fn view(&self) -> AgentView {
        let state = self.state.lock().await;
        AgentView {
            agent_id: state.agent_id.clone(),
            slot: self.setup.slot.clone(),
            hostname: self.setup.hostname.clone(),
            port: self.setup.port,
            resources: self.setup.resources.clone(),
            attributes: self.setup.attributes.clone(),
            master: state.master.clone(),
            started_at: self.started_at,
            tasks: state.tasks.values().map(TaskView::of).collect(),
            completed: state.completed.iter().map(TaskView::of).collect(),
        }
    }
}
