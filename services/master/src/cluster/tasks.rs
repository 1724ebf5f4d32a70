//! Tasks: their records, the status updates agents report, kills, acknowledgements and
//! reconciliation.

use corral_wire::agent_api::AgentCommand;
use corral_wire::mesos::{
    Acknowledge, AgentId, Event, FrameworkId, Kill, Message, Reconcile, ResourceSet, StatusReason, StatusSource,
    TaskId, TaskInfo, TaskState, TaskStatus,
};

use super::{push_bounded, wall_clock, Cluster, ClusterError, COMPLETED_TASKS_KEPT};

/// How many statuses of a task are kept for `/master/state`.
const STATUSES_KEPT: usize = 8;

#[derive(Debug, Clone)]
pub struct Task {
    pub info: TaskInfo,
    pub framework_id: FrameworkId,
    pub agent_id: AgentId,
    pub resources: ResourceSet,
    pub state: TaskState,
    pub statuses: Vec<TaskStatus>,
}

impl Task {
    pub fn new(info: TaskInfo, framework_id: FrameworkId, resources: ResourceSet) -> Self {
        let agent_id = info.agent_id.clone();
        Task { info, framework_id, agent_id, resources, state: TaskState::TaskStaging, statuses: Vec::new() }
    }

    /// The latest status, or one made from the state when the agent has reported none yet.
    pub fn latest_status(&self) -> TaskStatus {
        self.statuses.last().cloned().unwrap_or_else(|| TaskStatus {
            task_id: self.info.task_id.clone(),
            state: self.state,
            message: None,
            source: Some(StatusSource::SourceMaster),
            reason: None,
            agent_id: Some(self.agent_id.clone()),
            executor_id: None,
            timestamp: Some(wall_clock()),
            uuid: None,
            healthy: None,
            container_status: None,
        })
    }

    fn record(&mut self, status: TaskStatus) {
        self.state = status.state;
        if status.uuid.is_some() && self.statuses.iter().any(|known| known.uuid == status.uuid) {
            return;
        }
        if self.statuses.len() == STATUSES_KEPT {
            self.statuses.remove(0);
        }
        self.statuses.push(status);
    }
}

/// A status the master itself reports (lost tasks, reconciliation answers): never acknowledged.
pub(super) fn master_status(
    task_id: TaskId,
    agent_id: Option<AgentId>,
    state: TaskState,
    reason: StatusReason,
    message: &str,
) -> TaskStatus {
    TaskStatus {
        task_id,
        state,
        message: Some(message.to_string()),
        source: Some(StatusSource::SourceMaster),
        reason: Some(reason),
        agent_id,
        executor_id: None,
        timestamp: Some(wall_clock()),
        uuid: None,
        healthy: None,
        container_status: None,
    }
}

impl Cluster {
    /// Applies a status update and forwards it to the framework. A terminal state releases the
    /// task's resources. Updates for frameworks that are gone are acknowledged right here, so
    /// the agent stops repeating them.
    pub(super) fn apply_status(&mut self, framework_id: &FrameworkId, agent_id: &AgentId, status: TaskStatus) {
        let Some(framework) = self.frameworks.get_mut(framework_id) else {
            if let (Some(uuid), Some(agent)) = (status.uuid.clone(), self.agents.get_mut(agent_id)) {
                agent.commands.push(AgentCommand::Acknowledge {
                    framework_id: framework_id.clone(),
                    task_id: status.task_id.clone(),
                    uuid,
                });
            }
            return;
        };
        let task_id = status.task_id.clone();
        let became_terminal = match framework.tasks.get_mut(&task_id) {
            Some(task) => {
                let was_terminal = task.state.is_terminal();
                task.record(status.clone());
                !was_terminal && task.state.is_terminal()
            }
            None => false,
        };
        if became_terminal {
            let task = framework.tasks.remove(&task_id).expect("the task was just updated");
            count_terminal(&mut self.counters, task.state);
            if let Some(agent) = self.agents.get_mut(&task.agent_id) {
                agent.tasks.remove(&(framework_id.clone(), task_id));
                self.allocator.recover(framework_id, &task.agent_id, &task.resources, None);
                self.allocation_wanted.notify_one();
            }
            push_bounded(&mut framework.completed_tasks, task, COMPLETED_TASKS_KEPT);
        }
        framework.send(Event::update(status));
    }

    /// Reports a task lost (its agent is gone or restarted without it) and forgets it.
    pub(super) fn lose_task(
        &mut self,
        framework_id: &FrameworkId,
        task_id: &TaskId,
        reason: StatusReason,
        message: &str,
    ) {
        let Some(framework) = self.frameworks.get_mut(framework_id) else { return };
        let Some(mut task) = framework.tasks.remove(task_id) else { return };
        let status = master_status(task_id.clone(), Some(task.agent_id.clone()), TaskState::TaskLost, reason, message);
        task.record(status.clone());
        self.counters.tasks_lost += 1;
        push_bounded(&mut framework.completed_tasks, task, COMPLETED_TASKS_KEPT);
        framework.send(Event::update(status));
    }

    /// KILL: asks the task's agent to kill it. A task the master does not know is reported lost.
    pub fn kill(&mut self, framework_id: &FrameworkId, kill: Kill) -> Result<(), ClusterError> {
        let framework = self.frameworks.get_mut(framework_id).expect("the caller checked the subscription");
        match framework.tasks.get(&kill.task_id) {
            Some(task) => {
                let agent_id = task.agent_id.clone();
                if let Some(agent) = self.agents.get_mut(&agent_id) {
                    agent.commands.push(AgentCommand::Kill {
                        framework_id: framework_id.clone(),
                        task_id: kill.task_id,
                        kill_policy: kill.kill_policy,
                    });
                }
            }
            None => {
                let status = master_status(
                    kill.task_id,
                    kill.agent_id,
                    TaskState::TaskLost,
                    StatusReason::ReasonTaskUnknown,
                    "the master does not know this task",
                );
                framework.send(Event::update(status));
            }
        }
        Ok(())
    }

    /// ACKNOWLEDGE: passes the acknowledgement on to the agent that sent the update.
    pub fn acknowledge(&mut self, framework_id: &FrameworkId, acknowledge: Acknowledge) -> Result<(), ClusterError> {
        if acknowledge.uuid.is_empty() {
            return Err(super::error::invalid("`acknowledge.uuid` is empty"));
        }
        if let Some(agent) = self.agents.get_mut(&acknowledge.agent_id) {
            agent.commands.push(AgentCommand::Acknowledge {
                framework_id: framework_id.clone(),
                task_id: acknowledge.task_id,
                uuid: acknowledge.uuid,
            });
        }
        Ok(())
    }

    /// RECONCILE: the latest state of the named tasks (every task when none is named), sent as
    /// UPDATE events with `REASON_RECONCILIATION`. Tasks on agents that have not re-registered
    /// since a master failover are not answered yet; tasks nobody knows are reported lost.
    pub fn reconcile(&mut self, framework_id: &FrameworkId, reconcile: Reconcile) {
        let framework = self.frameworks.get_mut(framework_id).expect("the caller checked the subscription");
        let mut answers = Vec::new();
        if reconcile.tasks.is_empty() {
            answers.extend(framework.tasks.values().map(Task::latest_status));
        } else {
            for wanted in reconcile.tasks {
                if let Some(task) = framework.tasks.get(&wanted.task_id) {
                    answers.push(task.latest_status());
                } else if let Some(done) =
                    framework.completed_tasks.iter().rev().find(|t| t.info.task_id == wanted.task_id)
                {
                    answers.push(done.latest_status());
                } else if wanted.agent_id.as_ref().is_some_and(|agent| self.expected_agents.contains_key(agent)) {
                    continue;
                } else {
                    answers.push(master_status(
                        wanted.task_id,
                        wanted.agent_id,
                        TaskState::TaskLost,
                        StatusReason::ReasonReconciliation,
                        "the master does not know this task",
                    ));
                }
            }
        }
        for mut status in answers {
            status.uuid = None;
            status.reason = Some(StatusReason::ReasonReconciliation);
            framework.send(Event::update(status));
        }
    }
}

fn count_terminal(counters: &mut super::Counters, state: TaskState) {
    match state {
        TaskState::TaskFinished => counters.tasks_finished += 1,
        TaskState::TaskFailed => counters.tasks_failed += 1,
        TaskState::TaskKilled => counters.tasks_killed += 1,
        TaskState::TaskLost | TaskState::TaskGone | TaskState::TaskDropped => counters.tasks_lost += 1,
        TaskState::TaskError => counters.tasks_error += 1,
        _ => {}
    }
}

impl Cluster {
    /// MESSAGE: passes framework data on to the named agent.
    pub fn message(&mut self, framework_id: &FrameworkId, message: Message) -> Result<(), ClusterError> {
        let agent = self
            .agents
            .get_mut(&message.agent_id)
            .ok_or_else(|| super::error::invalid(format!("agent {} is not registered", message.agent_id)))?;
        agent.commands.push(AgentCommand::FrameworkMessage {
            framework_id: framework_id.clone(),
            executor_id: message.executor_id.value,
            data: message.data,
        });
        Ok(())
    }
}
