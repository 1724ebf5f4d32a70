//! Recovery after a restart (even after `kill -9`): the checkpoint gives back the agent's id and
//! its tasks; each task that had not ended is looked for by its containerizer. A container still
//! running is taken over by a new runner, one that ended gets its terminal update, and updates
//! that were never acknowledged are sent again. Containers of this agent that belong to no known
//! task are removed. Nothing is launched twice and nothing is forgotten, except a task whose
//! checkpointed row cannot be read: that row is quarantined and counted, and the others recover.

use std::sync::Arc;

use corral_wire::mesos::{StatusReason, StatusSource, TaskState};
use tokio::sync::mpsc;

use super::counters::add;
use super::runner::{run_task, RunStart};
use super::task_entry::TaskEntry;
use super::{Agent, AgentError, Report};
use crate::checkpoint::TaskRow;
use crate::containerizer::{LaunchRequest, Recovered, TerminalReport};

/// What recovery found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecoverySummary {
    /// Tasks still running, taken over.
    pub reattached: usize,
    /// Tasks that ended while the agent was away (or whose containerizer is no longer enabled).
    pub ended: usize,
    /// Tasks that had already ended, with updates still to be acknowledged.
    pub awaiting_acknowledgement: usize,
    /// Checkpointed tasks that could not be read, quarantined and skipped.
    pub quarantined: usize,
}

impl Agent {
    /// Loads the checkpoint and takes back every task in it. Call once, before registering.
    pub async fn recover(self: &Arc<Self>) -> Result<RecoverySummary, AgentError> {
        let saved = self.setup.checkpoint.load().await?;
        let mut summary = RecoverySummary { quarantined: saved.quarantined, ..RecoverySummary::default() };
        add(&self.counters.checkpoint_quarantined, u64::try_from(saved.quarantined).unwrap_or(u64::MAX));
        let mut running: Vec<TaskRow> = Vec::new();
        let agent_id = saved.agent_id.clone();
        {
            let mut state = self.state.lock().await;
            state.agent_id = saved.agent_id;
            state.master = saved.master;
            state.secret = saved.secret;
            for row in saved.tasks {
                match row.latest.state.is_terminal() {
                    true => summary.awaiting_acknowledgement += 1,
                    false => running.push(row.clone()),
                }
                let entry = TaskEntry::new(row, None);
                state.tasks.insert(entry.key(), entry);
            }
        }
        for row in running {
            match self.take_back(row, agent_id.clone()).await? {
                true => summary.reattached += 1,
                false => summary.ended += 1,
            }
        }
        if let Some(agent_id) = &agent_id {
            let known: Vec<String> =
                self.state.lock().await.tasks.keys().map(|key| key.task_id.value.clone()).collect();
            for containerizer in self.setup.containerizers.iter() {
                containerizer.remove_orphans(agent_id, &known).await;
            }
        }
        tracing::info!(message = "Recovered the checkpoint.", slot = %self.setup.slot, agent_id = ?agent_id.map(|id| id.value), ?summary);
        Ok(summary)
    }

    /// Finds one task's container again; true when it still runs.
    async fn take_back(
        self: &Arc<Self>,
        row: TaskRow,
        agent_id: Option<corral_wire::mesos::AgentId>,
    ) -> Result<bool, AgentError> {
        let key = super::TaskKey { framework_id: row.framework_id.clone(), task_id: row.task.task_id.clone() };
        let Some(containerizer) = row.containerizer.and_then(|kind| self.setup.containerizers.get(kind)) else {
            let message = match row.containerizer {
                Some(kind) => format!("the agent restarted without the {kind} containerizer this task ran in"),
                None => "the agent restarted before the task was launched".to_string(),
            };
            self.report(
                &key,
                Report::from_agent(TaskState::TaskFailed, message, StatusReason::ReasonExecutorTerminated),
            )
            .await?;
            return Ok(false);
        };
        let request = LaunchRequest {
            agent_id: agent_id.unwrap_or_else(|| row.task.agent_id.clone()),
            framework_id: row.framework_id.clone(),
            task: row.task.clone(),
            sandbox: row.sandbox.clone(),
            host: self.setup.hostname.clone(),
        };
        match containerizer.recover(&request, row.container.as_ref()).await {
            Recovered::Running(container) => {
                let (kill_sender, kill_receiver) = mpsc::channel(4);
                if let Some(entry) = self.state.lock().await.tasks.get_mut(&key) {
                    entry.kill = Some(kill_sender);
                }
                let announce_running = matches!(row.latest.state, TaskState::TaskStaging | TaskState::TaskStarting);
                let start = RunStart::Recovered { container, announce_running };
                tokio::spawn(run_task(
                    self.clone(),
                    key,
                    containerizer,
                    request,
                    start,
                    kill_receiver,
                    row.latest.healthy,
                ));
                Ok(true)
            }
            Recovered::Ended(outcome) => {
                let report = Report::terminal(TerminalReport::new(&outcome, None), StatusSource::SourceAgent);
                self.report(&key, report).await?;
                Ok(false)
            }
        }
    }
}
