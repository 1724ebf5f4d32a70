//! The master's commands, carried out: LAUNCH checkpoints the task and starts its runner, KILL
//! and SHUTDOWN_FRAMEWORK ask runners to stop their tasks, ACKNOWLEDGE retires the head update
//! of a task (and the task itself once it has ended and owes nothing more).
//!
//! A LAUNCH is always carried out: a task that cannot start (its sandbox cannot be made, it
//! cannot be checkpointed, no containerizer can run it) becomes TASK_FAILED with
//! REASON_CONTAINER_LAUNCH_FAILED and a message, as in Mesos. Refusing the command instead would
//! have the master send it again forever, with every later command for the agent behind it.
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
    /// be acknowledged to the master (a LAUNCH never fails: see the module's comment).
    pub async fn handle_command(self: &Arc<Self>, command: AgentCommand) -> Result<(), AgentError> {
        match command {
            AgentCommand::Launch { framework_id, framework, task } => {
                self.launch(framework_id, *framework, *task).await;
                Ok(())
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

    async fn launch(self: &Arc<Self>, framework_id: FrameworkId, framework: FrameworkInfo, task: TaskInfo) {
        let key = TaskKey { framework_id: framework_id.clone(), task_id: task.task_id.clone() };
        let mut state = self.state.lock().await;
        if state.knows(&key) {
            tracing::info!(message = "Ignoring a repeated launch.", framework = %key.framework_id, task = %key.task_id);
            return;
        }
        let containerizer = self.setup.containerizers.pick(&task);
        let kind = containerizer.as_ref().map(|c| c.kind());
        let sandbox = self.setup.sandboxes.new_run_dir(&framework_id, &task.task_id);
        // A simulated task runs nothing and writes nothing, so it gets no directory: creating
        // thousands of them was most of the CPU a simulated fleet spent launching.
        let mut prepared = match kind {
            Some(ContainerizerKind::Simulated) => Ok(()),
            _ => tokio::fs::create_dir_all(&sandbox)
                .await
                .map_err(|error| format!("cannot create the sandbox {}: {error}", sandbox.display())),
        };
        let agent_id = state.agent_id.clone().unwrap_or_else(|| task.agent_id.clone());
        let (kill_sender, kill_receiver) = mpsc::channel(4);
        let row = TaskRow {
            framework_id: framework_id.clone(),
            framework: Some(framework),
            task: task.clone(),
            containerizer: kind,
            container: None,
            sandbox: sandbox.clone(),
            latest: staging_status(&task),
            pending: Vec::new(),
        };
        let mut entry = TaskEntry::new(row, None);
        if prepared.is_ok() {
            // The task is checkpointed before it is launched, so a restarted agent finds it.
            prepared = self
                .setup
                .checkpoint
                .save_task(&entry.checkpoint_row())
                .await
                .map_err(|error| format!("cannot checkpoint the task: {error}"));
        }
        let runner = match (prepared, containerizer) {
            (Ok(()), Some(containerizer)) => {
                entry.kill = Some(kill_sender);
                Ok(containerizer)
            }
            (Ok(()), None) => {
                let enabled: Vec<String> = self.setup.containerizers.kinds().iter().map(|k| k.to_string()).collect();
                Err(format!("none of the enabled containerizers ({}) can run this task", enabled.join(", ")))
            }
            (Err(why), _) => Err(why),
        };
        state.tasks.insert(key.clone(), entry);
        bump(&self.counters.tasks_launched);
        drop(state);

        match runner {
            Ok(containerizer) => {
                tracing::info!(message = "Launching a task.", framework = %key.framework_id, task = %key.task_id, containerizer = ?kind);
                let request =
                    LaunchRequest { agent_id, framework_id, task, sandbox, host: self.setup.hostname.clone() };
                tokio::spawn(run_task(
                    self.clone(),
                    key,
                    containerizer,
                    request,
                    RunStart::Launch,
                    kill_receiver,
                    None,
                ));
            }
            Err(why) => self.fail_launch(&key, why).await,
        }
    }

    /// Reports TASK_FAILED for a task that could not start. When even that cannot be
    /// checkpointed, the update is still queued for the master, which needs it more than the
    /// file does: an agent restarted without it no longer knows the task, and the master reports
    /// the task lost when the agent re-registers without it.
    async fn fail_launch(&self, key: &TaskKey, why: String) {
        tracing::warn!(message = "A task cannot start.", framework = %key.framework_id, task = %key.task_id, why = %why);
        let report = Report::from_agent(TaskState::TaskFailed, why, StatusReason::ReasonContainerLaunchFailed);
        if let Err(error) = self.report(key, report).await {
            tracing::error!(message = "Cannot checkpoint the failure of a task that could not start; sending it anyway.", task = %key.task_id, %error);
            self.updates_ready.notify_one();
        }
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
