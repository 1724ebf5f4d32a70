//! Agents: registration and re-registration with their running tasks, the command poll that is
//! also their heartbeat, their status updates, and the verdict that one is unreachable.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use corral_wire::agent_api::{AgentCommand, AgentRegistered, RegisterAgent, SequencedCommand, StatusUpdateMessage};
use corral_wire::mesos::{AgentId, Attribute, Event, Failure, FrameworkId, ResourceSet, StatusReason, TaskId};
use tokio::sync::Notify;

use super::agent_secret;
use super::error::invalid;
use super::tasks::Task;
use super::{wall_clock, Cluster, ClusterError};
use crate::command_queue::CommandQueue;

#[derive(Debug)]
pub struct Agent {
    pub id: AgentId,
    pub hostname: String,
    pub port: u16,
    pub attributes: Vec<Attribute>,
    pub total: ResourceSet,
    pub version: String,
    pub registered_time: f64,
    pub reregistered_time: Option<f64>,
    pub last_seen: Instant,
    pub commands: CommandQueue,
    /// The tasks on this agent, by framework.
    pub tasks: BTreeSet<(FrameworkId, TaskId)>,
}

impl Cluster {
    /// The secret an agent registering as `id` goes on with: the one it presented, if that is
    /// the agent's; a new one, if this master keeps none for `id` (a new agent, or one given up
    /// on). Anyone else is refused, so no one can re-register as an agent and have its tasks lost.
    pub fn agent_secret(&self, id: &AgentId, presented: Option<&str>) -> Result<String, ClusterError> {
        match (self.agent_secrets.get(id), presented) {
            (None, _) => Ok(agent_secret::generate()),
            (Some(kept), Some(presented)) if agent_secret::matches(kept, Some(presented)) => Ok(presented.to_string()),
            (Some(_), _) => Err(ClusterError::Forbidden(format!(
                "agent {id} is registered: only that agent, presenting its secret, can register as it"
            ))),
        }
    }

    /// Refuses a poll or an update that does not come from the registered agent `id`.
    pub fn authenticate_agent(&self, id: &AgentId, presented: Option<&str>) -> Result<(), ClusterError> {
        match self.agent_secrets.get(id) {
            Some(kept) if self.agents.contains_key(id) && agent_secret::matches(kept, presented) => Ok(()),
            Some(_) if self.agents.contains_key(id) => {
                Err(ClusterError::Forbidden(format!("the agent secret presented is not agent {id}'s")))
            }
            _ => Err(ClusterError::UnknownAgent(id.to_string())),
        }
    }

    /// Registers an agent under `id` (new, or the id it had) with `secret` (checked by
    /// [`Cluster::agent_secret`]). Tasks it reports are adopted; tasks this master had on it and
    /// it no longer reports are lost; tasks of frameworks that were torn down are killed.
    pub fn register_agent(
        &mut self,
        id: AgentId,
        message: RegisterAgent,
        secret: &str,
        now: Instant,
    ) -> Result<AgentRegistered, ClusterError> {
        let total = ResourceSet::from_resources(&message.resources)
            .map_err(|error| invalid(format!("`resources`: {error}")))?;
        let task_resources = message
            .tasks
            .iter()
            .map(|reported| {
                ResourceSet::from_resources(&reported.task.resources)
                    .map_err(|error| invalid(format!("task {}: `resources`: {error}", reported.task.task_id)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let previous = self.agents.remove(&id);
        if previous.is_some() {
            self.rescind_offers_of_agent(&id);
            self.allocator.remove_agent(&id);
        }
        self.expected_agents.remove(&id);
        let mut agent = Agent {
            id: id.clone(),
            hostname: message.hostname,
            port: message.port,
            attributes: message.attributes,
            total: total.clone(),
            version: message.version,
            registered_time: previous.as_ref().map_or_else(wall_clock, |agent| agent.registered_time),
            reregistered_time: message.agent_id.as_ref().map(|_| wall_clock()),
            last_seen: now,
            commands: previous.map_or_else(CommandQueue::new, |agent| agent.commands),
            tasks: BTreeSet::new(),
        };
        let mut used: Vec<(FrameworkId, ResourceSet)> = Vec::new();
        let mut reported_ids = BTreeSet::new();
        for (reported, resources) in message.tasks.into_iter().zip(task_resources) {
            let framework_id = reported.framework_id.clone();
            let task_id = reported.task.task_id.clone();
            reported_ids.insert((framework_id.clone(), task_id.clone()));
            if reported.status.state.is_terminal() {
                continue;
            }
            let Some(framework) = self.frameworks.get_mut(&framework_id) else {
                tracing::info!(message = "Killing a task of a framework that is gone.", agent_id = %id, %framework_id, %task_id);
                agent.commands.push(AgentCommand::ShutdownFramework { framework_id });
                continue;
            };
            let task = framework
                .tasks
                .entry(task_id.clone())
                .or_insert_with(|| Task::new(reported.task.clone(), framework_id.clone(), resources.clone()));
            task.agent_id = id.clone();
            task.state = reported.status.state;
            if task.statuses.is_empty() {
                task.statuses.push(reported.status.clone());
            }
            agent.tasks.insert((framework_id.clone(), task_id));
            used.push((framework_id, resources));
        }
        let lost: Vec<(FrameworkId, TaskId)> = self
            .frameworks
            .values()
            .flat_map(|framework| framework.tasks.values())
            .filter(|task| {
                task.agent_id == id && !reported_ids.contains(&(task.framework_id.clone(), task.info.task_id.clone()))
            })
            .map(|task| (task.framework_id.clone(), task.info.task_id.clone()))
            .collect();
        for (framework_id, task_id) in lost {
            self.lose_task(
                &framework_id,
                &task_id,
                StatusReason::ReasonAgentRestarted,
                "the agent re-registered without this task",
            );
        }
        self.allocator.add_agent(id.clone(), total, &used);
        tracing::info!(message = "Agent registered.", agent_id = %id, hostname = %agent.hostname, tasks = agent.tasks.len());
        self.agents.insert(id.clone(), agent);
        self.agent_secrets.insert(id.clone(), agent_secret::digest(secret));
        self.want_allocation();
        Ok(AgentRegistered {
            agent_id: id,
            master_id: self.info.id.clone(),
            unreachable_timeout_ms: self.settings.agent_unreachable_timeout.as_millis() as u64,
            secret: secret.to_string(),
        })
    }

    /// An agent's poll: acknowledges commands up to `after` and returns the rest, with the
    /// signal to wait on when there are none.
    pub fn poll_commands(
        &mut self,
        id: &AgentId,
        after: u64,
        now: Instant,
    ) -> Result<(Vec<SequencedCommand>, Arc<Notify>), ClusterError> {
        let agent = self.agents.get_mut(id).ok_or_else(|| ClusterError::UnknownAgent(id.to_string()))?;
        agent.last_seen = now;
        agent.commands.acknowledge(after);
        Ok((agent.commands.pending(), agent.commands.arrivals()))
    }

    /// A status update from an agent.
    pub fn agent_update(
        &mut self,
        id: &AgentId,
        update: StatusUpdateMessage,
        now: Instant,
    ) -> Result<(), ClusterError> {
        let owner = self
            .frameworks
            .get(&update.framework_id)
            .and_then(|framework| framework.tasks.get(&update.status.task_id))
            .map(|task| &task.agent_id);
        if owner.is_some_and(|owner| owner != id) {
            return Err(ClusterError::Forbidden(format!(
                "task {} does not run on agent {id}: only its own agent reports it",
                update.status.task_id
            )));
        }
        let agent = self.agents.get_mut(id).ok_or_else(|| ClusterError::UnknownAgent(id.to_string()))?;
        agent.last_seen = now;
        if update.status.uuid.as_deref().is_none_or(str::is_empty) {
            return Err(invalid("`status.uuid` is missing: agent updates must be acknowledgeable"));
        }
        let mut status = update.status;
        status.agent_id = Some(id.clone());
        self.apply_status(&update.framework_id, id, status);
        Ok(())
    }

    /// Declares unreachable every agent silent for longer than the timeout, and gives up on
    /// expected agents whose deadline passed. Their tasks are lost; frameworks are told.
    pub fn check_agents(&mut self, now: Instant) -> Vec<AgentId> {
        let timeout = self.settings.agent_unreachable_timeout;
        let silent: Vec<AgentId> = self
            .agents
            .values()
            .filter(|agent| now.saturating_duration_since(agent.last_seen) > timeout)
            .map(|agent| agent.id.clone())
            .collect();
        for id in &silent {
            tracing::warn!(message = "Agent is unreachable.", agent_id = %id, timeout_ms = timeout.as_millis() as u64);
            self.remove_agent(id, StatusReason::ReasonAgentDisconnected, "the agent is unreachable");
        }
        let overdue: Vec<AgentId> =
            self.expected_agents.iter().filter(|(_, deadline)| **deadline <= now).map(|(id, _)| id.clone()).collect();
        for id in &overdue {
            tracing::warn!(message = "Agent did not re-register after the master failover.", agent_id = %id);
            self.expected_agents.remove(id);
            self.agent_secrets.remove(id);
        }
        silent.into_iter().chain(overdue).collect()
    }

    /// Removes an agent: its offers are rescinded, its tasks lost, frameworks get a FAILURE.
    fn remove_agent(&mut self, id: &AgentId, reason: StatusReason, message: &str) {
        self.rescind_offers_of_agent(id);
        self.allocator.remove_agent(id);
        self.agent_secrets.remove(id);
        let Some(agent) = self.agents.remove(id) else { return };
        self.counters.agents_unreachable += 1;
        let frameworks: BTreeSet<FrameworkId> =
            agent.tasks.iter().map(|(framework_id, _)| framework_id.clone()).collect();
        for (framework_id, task_id) in &agent.tasks {
            self.lose_task(framework_id, task_id, reason, message);
        }
        for framework in self.frameworks.values_mut() {
            if frameworks.contains(&framework.id) || framework.is_connected() {
                framework.send(Event::failure(Failure { agent_id: Some(id.clone()), executor_id: None, status: None }));
            }
        }
    }

    /// Agents known from the registry, with the digests of their secrets, that must re-register
    /// by `deadline`.
    pub fn expect_agents(&mut self, agents: impl IntoIterator<Item = (AgentId, Option<String>)>, deadline: Instant) {
        for (id, digest) in agents {
            if !self.agents.contains_key(&id) {
                if let Some(digest) = digest {
                    self.agent_secrets.insert(id.clone(), digest);
                }
                self.expected_agents.insert(id, deadline);
            }
        }
    }
}
