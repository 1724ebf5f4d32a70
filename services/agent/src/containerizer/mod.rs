//! Containerizers: the ways the agent runs a task. A [`Containerizer`] launches a task into a
//! [`Container`] and finds containers again after an agent restart; a [`Container`] can be waited
//! for, asked to stop (SIGTERM or its Docker equivalent), forced (SIGKILL), and cleaned up.
//!
//! The first containerizer in `--containerizers` that can run a task wins: `docker` runs tasks
//! whose container type is DOCKER, `process` runs tasks with a command and no Docker container,
//! `simulated` runs anything (without running anything).

pub mod docker;
mod kind;
mod outcome;
pub mod process;
mod process_identity;
pub mod simulated;
mod task_env;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use corral_wire::mesos::{AgentId, FrameworkId, TaskInfo};

pub use kind::{ContainerHandle, ContainerizerKind};
pub use outcome::{ExitOutcome, KillCause, TerminalReport};
pub use process_identity::ProcessIdentity;
pub use task_env::{task_environment, task_ports};

/// Everything a containerizer needs to start (or find again) one task.
#[derive(Debug, Clone)]
pub struct LaunchRequest {
    pub agent_id: AgentId,
    pub framework_id: FrameworkId,
    pub task: TaskInfo,
    /// The task's sandbox directory; it exists.
    pub sandbox: PathBuf,
    /// The host name the agent advertises (the task's `HOST`).
    pub host: String,
}

/// Why a task could not be launched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    /// The task description cannot be run as given (TASK_ERROR).
    #[error("{0}")]
    Invalid(String),
    /// Starting it failed (TASK_FAILED).
    #[error("{0}")]
    Failed(String),
}

/// What recovery found of a task's container after an agent restart.
pub enum Recovered {
    Running(Box<dyn Container>),
    /// The container is gone; how it ended, as far as is known.
    Ended(ExitOutcome),
}

#[async_trait]
pub trait Containerizer: Send + Sync {
    fn kind(&self) -> ContainerizerKind;

    /// Whether this containerizer runs tasks shaped like `task`.
    fn can_run(&self, task: &TaskInfo) -> bool;

    /// Starts the task. Returns once it runs.
    async fn launch(&self, request: &LaunchRequest) -> Result<Box<dyn Container>, LaunchError>;

    /// Finds the container of a task launched before the agent restarted; `handle` is what was
    /// checkpointed at launch, if the agent got that far.
    async fn recover(&self, request: &LaunchRequest, handle: Option<&ContainerHandle>) -> Recovered;

    /// Removes what this agent left running for tasks it no longer knows (`known` are the task
    /// ids it does know). Only containerizers that can find their containers by themselves do
    /// anything here.
    async fn remove_orphans(&self, _agent_id: &AgentId, _known: &[String]) {}
}

/// One running task's container.
#[async_trait]
pub trait Container: Send + Sync {
    /// What to checkpoint to find this container again.
    fn handle(&self) -> ContainerHandle;

    /// Resolves when the container has ended. Cancel-safe: can be called again after being
    /// dropped part-way, and by several callers.
    async fn wait(&self) -> ExitOutcome;

    /// Asks the task to stop (SIGTERM to its process group, or to the container).
    async fn terminate(&self);

    /// Stops it now (SIGKILL).
    async fn force_kill(&self);

    /// Releases what is left once it has ended: stray processes of its group, the Docker container.
    async fn cleanup(&self);

    /// Runs a COMMAND health check inside the container and says whether it exited 0; `None`
    /// when the container has no inside of its own (the check then runs on the host, in the
    /// sandbox, with the task's environment).
    async fn run_check(&self, _command: &str) -> Option<Result<(), String>> {
        None
    }
}

/// The outcome a container's watcher publishes, once it does; `lost` describes the end when
/// the watcher went away without publishing.
async fn exit_of(mut exit: tokio::sync::watch::Receiver<Option<ExitOutcome>>, lost: &str) -> ExitOutcome {
    let published = exit.wait_for(Option::is_some).await.map(|outcome| outcome.clone());
    match published {
        Ok(Some(outcome)) => outcome,
        _ => ExitOutcome::Vanished(lost.to_string()),
    }
}

/// The enabled containerizers in `--containerizers` order.
#[derive(Clone, Default)]
pub struct Containerizers {
    list: Vec<Arc<dyn Containerizer>>,
}

impl Containerizers {
    pub fn new(list: Vec<Arc<dyn Containerizer>>) -> Self {
        Containerizers { list }
    }

    /// The first containerizer that can run `task`.
    pub fn pick(&self, task: &TaskInfo) -> Option<Arc<dyn Containerizer>> {
        self.list.iter().find(|c| c.can_run(task)).cloned()
    }

    pub fn get(&self, kind: ContainerizerKind) -> Option<Arc<dyn Containerizer>> {
        self.list.iter().find(|c| c.kind() == kind).cloned()
    }

    pub fn kinds(&self) -> Vec<ContainerizerKind> {
        self.list.iter().map(|c| c.kind()).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Containerizer>> {
        self.list.iter()
    }
}
