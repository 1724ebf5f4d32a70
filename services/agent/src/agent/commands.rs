//! The master's commands, carried out: LAUNCH checkpoints the task and starts its runner, KILL
//! and SHUTDOWN_FRAMEWORK ask runners to stop their tasks, ACKNOWLEDGE retires the head update
//! of a task (and the task itself once it has ended and owes nothing more).
//!
//! Commands may arrive twice (the master repeats what was not acknowledged with `after=`), so
//! each is harmless to repeat: a launch of a known task is ignored, and so is a stale
//! acknowledgement.

use std::sync::Arc;

use corral_wire::agent_api::AgentCommand;
use corral_wire::mesos::{
    FrameworkId, FrameworkInfo, KillPolicy, StatusReason, TaskId, TaskInfo, TaskState, TaskStatus,
};
use tokio::sync::mpsc;

use super::counters::bump;
use super::runner::{run_task, RunStart};
use super::task_entry::{grace_period, KillRequest, TaskEntry, TaskKey};
use super::{Agent, AgentError, Report};
use crate::checkpoint::TaskRow;
use crate::containerizer::{ContainerizerKind, KillCause, LaunchRequest};

impl Agent {
    /// Carries out one command. An error means it could not be checkpointed, and so must not
    /// be acknowledged to the master.
    pub async fn handle_command(self: &Arc<Self>, command: AgentCommand) -> Result<(), AgentError> {
        match command {
            AgentCommand::Launch { framework_id, framework, task } => {
                self.launch(framework_id, *framework, *task).await
            }
            AgentCommand::Kill { framework_id, task_id, kill_policy } => {
                self.kill(TaskKey { framework_id, task_id }, kill_policy.as_ref(), KillCause::Requested).await;
                Ok(())
            }
            AgentCommand::Acknowledge { framework_id, task_id, uuid } => {
                self.acknowledge(&TaskKey { framework_id, task_id }, &uuid).await
            }
            AgentCommand::ShutdownFramework { framework_id } => {
                self.shutdown_framework(&framework_id).await;
                Ok(())
            }
            AgentCommand::FrameworkMessage { framework_id, executor_id, .. } => {
                tracing::info!(message = "Dropping a framework message: this agent runs no custom executors.", %framework_id, %executor_id);
                Ok(())
            }
        }
    }

    async fn launch(
        self: &Arc<Self>,
        framework_id: FrameworkId,
        framework: FrameworkInfo,
        task: TaskInfo,
    ) -> Result<(), AgentError> {
        let key = TaskKey { framework_id: framework_id.clone(), task_id: task.task_id.clone() };
        let mut state = self.state.lock().await;
        if state.knows(&key) {
            tracing::info!(message = "Ignoring a repeated launch.", framework = %key.framework_id, task = %key.task_id);
            return Ok(());
        }
        let containerizer = self.setup.containerizers.pick(&task);
        // A simulated task runs nothing and writes nothing, so it gets no directory: creating
        // thousands of them was most of the CPU a simulated fleet spent launching.
        let sandbox = match containerizer.as_ref().map(|c| c.kind()) {
            Some(ContainerizerKind::Simulated) => self.setup.sandboxes.new_run_dir(&framework_id, &task.task_id),
            _ => self
                .setup
                .sandboxes
                .create_run_dir(&framework_id, &task.task_id)
                .await
                .map_err(|error| AgentError::Sandbox { task: task.task_id.value.clone(), error })?,
        };
        let agent_id = state.agent_id.clone().unwrap_or_else(|| task.agent_id.clone());
        let (kill_sender, kill_receiver) = mpsc::channel(4);
        let row = TaskRow {
            framework_id: framework_id.clone(),
            framework: Some(framework),
            task: task.clone(),
            containerizer: containerizer.as_ref().map(|c| c.kind()),
            container: None,
            sandbox: sandbox.clone(),
            latest: staging_status(&task),
            pending: Vec::new(),
        };
        let entry = TaskEntry::new(row, containerizer.as_ref().map(|_| kill_sender));
        self.setup.checkpoint.save_task(&entry.checkpoint_row()).await?;
        state.tasks.insert(key.clone(), entry);
        bump(&self.counters.tasks_launched);
        drop(state);
        tracing::info!(message = "Launching a task.", framework = %key.framework_id, task = %key.task_id, containerizer = ?containerizer.as_ref().map(|c| c.kind()));

        let Some(containerizer) = containerizer else {
            let enabled: Vec<String> = self.setup.containerizers.kinds().iter().map(|k| k.to_string()).collect();
            let message = format!("none of the enabled containerizers ({}) can run this task", enabled.join(", "));
            let report = Report::from_agent(TaskState::TaskFailed, message, StatusReason::ReasonContainerLaunchFailed);
            return self.report(&key, report).await;
        };
        let request = LaunchRequest { agent_id, framework_id, task, sandbox, host: self.setup.hostname.clone() };
        tokio::spawn(run_task(self.clone(), key, containerizer, request, RunStart::Launch, kill_receiver, None));
        Ok(())
    }

    /// Asks the task's runner to stop it. A task the agent does not know, or that has ended,
    /// is left alone (the master learns what the agent runs when it registers).
    pub(crate) async fn kill(&self, key: TaskKey, policy: Option<&KillPolicy>, cause: KillCause) {
        let state = self.state.lock().await;
        let Some(entry) = state.tasks.get(&key) else {
            tracing::info!(message = "Ignoring a kill of a task this agent does not run.", framework = %key.framework_id, task = %key.task_id);
            return;
        };
        if entry.state().is_terminal() {
            return;
        }
        let request = KillRequest { grace: grace_period(policy, entry.task()), cause };
        if let Some(kill) = &entry.kill {
            // A full line means kills are already on their way; the first one counts.
            let _ = kill.try_send(request);
        }
    }

    /// Kills every task this agent runs (each with its grace period) and waits, at most
    /// `within`, until all have ended and their containers are gone.
    pub async fn stop_all_tasks(&self, within: std::time::Duration) {
        let running = |state: &super::AgentState| -> Vec<TaskKey> {
            state.tasks.iter().filter(|(_, entry)| !entry.state().is_terminal()).map(|(key, _)| key.clone()).collect()
        };
        let keys = running(&*self.state.lock().await);
        if keys.is_empty() {
            return;
        }
        tracing::info!(message = "Stopping every task before exiting.", tasks = keys.len());
        for key in keys {
            self.kill(key, None, KillCause::Requested).await;
        }
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if running(&*self.state.lock().await).is_empty() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        tracing::warn!(message = "Some tasks did not end before the agent exits.");
    }

    async fn acknowledge(&self, key: &TaskKey, uuid: &str) -> Result<(), AgentError> {
        let mut state = self.state.lock().await;
        let Some(entry) = state.tasks.get_mut(key) else { return Ok(()) };
        if !entry.updates.acknowledge(uuid) {
            tracing::debug!(message = "Ignoring an acknowledgement that is not for the head update.", task = %key.task_id, uuid);
            return Ok(());
        }
        bump(&self.counters.updates_acknowledged);
        if entry.is_done() {
            self.setup.checkpoint.remove_task(&key.framework_id, &key.task_id).await?;
            state.complete(key);
        } else {
            self.setup.checkpoint.save_task(&entry.checkpoint_row()).await?;
        }
        drop(state);
        self.updates_ready.notify_one();
        Ok(())
    }

    async fn shutdown_framework(&self, framework_id: &FrameworkId) {
        let keys: Vec<TaskKey> =
            self.state.lock().await.tasks.keys().filter(|key| key.framework_id == *framework_id).cloned().collect();
        tracing::info!(message = "Shutting down a framework's tasks.", framework = %framework_id, tasks = keys.len());
        for key in keys {
            self.kill(key, None, KillCause::FrameworkShutdown).await;
        }
    }
}

/// The status of a task the agent accepted but has not started: TASK_STAGING, never sent.
fn staging_status(task: &TaskInfo) -> TaskStatus {
    TaskStatus {
        task_id: TaskId::new(task.task_id.value.clone()),
        state: TaskState::TaskStaging,
        message: None,
        source: None,
        reason: None,
        agent_id: Some(task.agent_id.clone()),
        executor_id: None,
        timestamp: None,
        uuid: None,
        healthy: None,
        container_status: None,
    }
}
