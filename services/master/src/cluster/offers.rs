//! Offers: turning the allocator's decisions into OFFERS events, and the ACCEPT, DECLINE and
//! rescind paths that give resources back. An ACCEPT is checked whole before anything changes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use corral_wire::agent_api::AgentCommand;
use corral_wire::mesos::{
    Accept, AgentId, Decline, Event, Filters, FrameworkId, Offer, OfferId, OperationType, ResourceSet, TaskInfo,
};

use super::error::invalid;
use super::tasks::Task;
use super::{Cluster, ClusterError};
use crate::allocator::Refusal;

#[derive(Debug, Clone)]
pub struct OutstandingOffer {
    pub offer: Offer,
    pub resources: ResourceSet,
}

impl Cluster {
    /// Runs the allocator (over every agent, or only `agents`) and sends the offers it makes.
    pub fn allocate(&mut self, agents: Option<&[AgentId]>, now: Instant) -> usize {
        let allocations = match agents {
            Some(agents) => self.allocator.allocate_agents(agents, now),
            None => self.allocator.allocate(now),
        };
        let mut by_framework: BTreeMap<FrameworkId, Vec<Offer>> = BTreeMap::new();
        for allocation in allocations {
            let Some(agent) = self.agents.get(&allocation.agent_id) else {
                self.allocator.recover(&allocation.framework_id, &allocation.agent_id, &allocation.resources, None);
                continue;
            };
            let offer = Offer {
                id: self.ids.offer(),
                framework_id: allocation.framework_id.clone(),
                agent_id: allocation.agent_id.clone(),
                hostname: agent.hostname.clone(),
                resources: allocation.resources.to_resources(),
                attributes: agent.attributes.clone(),
                url: None,
            };
            self.offers
                .insert(offer.id.clone(), OutstandingOffer { offer: offer.clone(), resources: allocation.resources });
            by_framework.entry(allocation.framework_id).or_default().push(offer);
        }
        let mut sent = 0;
        for (framework_id, offers) in by_framework {
            let ids: Vec<OfferId> = offers.iter().map(|offer| offer.id.clone()).collect();
            let delivered = match self.frameworks.get_mut(&framework_id) {
                Some(framework) => {
                    framework.offers.extend(ids.iter().cloned());
                    framework.send(Event::offers(offers))
                }
                None => false,
            };
            if delivered {
                sent += ids.len();
            } else {
                for id in ids {
                    self.withdraw_offer(&id, None);
                }
                self.framework_stream_lost(&framework_id, now);
            }
        }
        self.counters.offers_sent += sent as u64;
        sent
    }

    fn framework_stream_lost(&mut self, framework_id: &FrameworkId, now: Instant) {
        if let Some(framework) = self.frameworks.get_mut(framework_id) {
            framework.stream = None;
        }
        self.framework_disconnected(framework_id, now);
    }

    /// Removes an offer and gives its resources back, with a refuse filter when given.
    fn withdraw_offer(&mut self, id: &OfferId, refusal: Option<Refusal>) -> Option<OutstandingOffer> {
        let outstanding = self.offers.remove(id)?;
        let offer = &outstanding.offer;
        if let Some(framework) = self.frameworks.get_mut(&offer.framework_id) {
            framework.offers.remove(id);
        }
        self.allocator.recover(&offer.framework_id, &offer.agent_id, &outstanding.resources, refusal);
        Some(outstanding)
    }

    /// ACCEPT with LAUNCH operations. Every offer must be outstanding, this framework's and on
    /// one agent; every task must be new, valid, on that agent and fit, all together, in the
    /// offered resources. Otherwise nothing changes and the offers stay outstanding.
    pub fn accept(&mut self, framework_id: &FrameworkId, accept: Accept, now: Instant) -> Result<usize, ClusterError> {
        if accept.offer_ids.is_empty() {
            return Err(invalid("`accept.offer_ids` is empty"));
        }
        let mut offered = ResourceSet::new();
        let mut agent_id: Option<AgentId> = None;
        let mut seen = BTreeSet::new();
        for id in &accept.offer_ids {
            if !seen.insert(id) {
                return Err(invalid(format!("offer {id} appears twice in `accept.offer_ids`")));
            }
            let outstanding = self.offers.get(id).ok_or_else(|| {
                invalid(format!("offer {id} is not outstanding (unknown, already used, or rescinded)"))
            })?;
            if &outstanding.offer.framework_id != framework_id {
                return Err(invalid(format!("offer {id} was not made to framework {framework_id}")));
            }
            match &agent_id {
                Some(agent) if agent != &outstanding.offer.agent_id => {
                    return Err(invalid("the offers of one ACCEPT must all be on the same agent"))
                }
                _ => agent_id = Some(outstanding.offer.agent_id.clone()),
            }
            offered.add(&outstanding.resources);
        }
        let agent_id = agent_id.expect("at least one offer");
        let tasks = self.validate_launches(framework_id, &agent_id, &accept, &offered)?;

        let mut used = ResourceSet::new();
        for task in &tasks {
            used.add(&task.resources);
        }
        for id in &accept.offer_ids {
            self.offers.remove(id);
        }
        let framework = self.frameworks.get_mut(framework_id).expect("the caller checked the subscription");
        for id in &accept.offer_ids {
            framework.offers.remove(id);
        }
        let launched = tasks.len();
        let agent = self.agents.get_mut(&agent_id).expect("offers only exist for registered agents");
        for task in tasks {
            agent.tasks.insert((framework_id.clone(), task.info.task_id.clone()));
            agent.commands.push(AgentCommand::Launch {
                framework_id: framework_id.clone(),
                framework: Box::new(framework.info.clone()),
                task: Box::new(task.info.clone()),
            });
            framework.tasks.insert(task.info.task_id.clone(), task);
        }
        let unused = offered.minus(&used);
        if !unused.is_empty() {
            self.allocator.recover(framework_id, &agent_id, &unused, refusal(accept.filters, now));
        }
        Ok(launched)
    }

    fn validate_launches(
        &self,
        framework_id: &FrameworkId,
        agent_id: &AgentId,
        accept: &Accept,
        offered: &ResourceSet,
    ) -> Result<Vec<Task>, ClusterError> {
        let framework = self.frameworks.get(framework_id).expect("the caller checked the subscription");
        let mut tasks: Vec<Task> = Vec::new();
        let mut wanted = ResourceSet::new();
        for operation in &accept.operations {
            if operation.operation_type != OperationType::Launch {
                return Err(invalid(format!(
                    "operation {:?} is not supported; only LAUNCH is",
                    operation.operation_type
                )));
            }
            let launch = operation.launch.as_ref().ok_or_else(|| invalid("a LAUNCH operation has no `launch`"))?;
            for info in &launch.task_infos {
                let task_id = &info.task_id;
                if task_id.value.is_empty() {
                    return Err(invalid("a task has an empty `task_id`"));
                }
                if framework.tasks.contains_key(task_id) || tasks.iter().any(|t| &t.info.task_id == task_id) {
                    return Err(invalid(format!("task {task_id} is already in use by this framework")));
                }
                if &info.agent_id != agent_id {
                    return Err(invalid(format!(
                        "task {task_id} names agent {} but the offers are on {agent_id}",
                        info.agent_id
                    )));
                }
                validate_task(info)?;
                let resources = ResourceSet::from_resources(&info.resources)
                    .map_err(|error| invalid(format!("task {task_id}: `resources`: {error}")))?;
                if resources.is_empty() {
                    return Err(invalid(format!("task {task_id} uses no resources")));
                }
                wanted.add(&resources);
                if let Some(shortfall) = offered.shortfall(&wanted) {
                    return Err(invalid(format!("the tasks use more than the offers hold: {shortfall}")));
                }
                tasks.push(Task::new(info.clone(), framework_id.clone(), resources));
            }
        }
        Ok(tasks)
    }

    /// DECLINE: the offers' resources go back, with a filter for `refuse_seconds` (default 5).
    /// Offers that are no longer outstanding are ignored (they may have been rescinded).
    pub fn decline(&mut self, framework_id: &FrameworkId, decline: Decline, now: Instant) {
        let refusal = refusal(decline.filters, now);
        for id in &decline.offer_ids {
            if self.offers.get(id).is_some_and(|outstanding| &outstanding.offer.framework_id == framework_id) {
                self.withdraw_offer(id, refusal);
                self.counters.offers_declined += 1;
            }
        }
    }

    pub(super) fn rescind_offers_of_agent(&mut self, agent_id: &AgentId) {
        let ids: Vec<OfferId> =
            self.offers.values().filter(|o| &o.offer.agent_id == agent_id).map(|o| o.offer.id.clone()).collect();
        self.rescind(ids);
    }

    pub(super) fn rescind_offers_of_framework(&mut self, framework_id: &FrameworkId) {
        let ids: Vec<OfferId> = self
            .offers
            .values()
            .filter(|o| &o.offer.framework_id == framework_id)
            .map(|o| o.offer.id.clone())
            .collect();
        self.rescind(ids);
    }

    fn rescind(&mut self, ids: Vec<OfferId>) {
        for id in ids {
            if let Some(outstanding) = self.withdraw_offer(&id, None) {
                self.counters.offers_rescinded += 1;
                if let Some(framework) = self.frameworks.get_mut(&outstanding.offer.framework_id) {
                    framework.send(Event::rescind(id));
                }
            }
        }
    }
}

/// The filter a DECLINE or ACCEPT installs: `refuse_seconds` (default 5) from `now`; none for 0.
fn refusal(filters: Option<Filters>, now: Instant) -> Option<Refusal> {
    let duration = Duration::try_from_secs_f64(filters.unwrap_or_default().refuse_seconds().max(0.0)).ok()?;
    (!duration.is_zero()).then_some(Refusal { duration, now })
}

/// Checks a task's own consistency: a command or a container, and Docker host ports inside
/// the task's port resources.
fn validate_task(info: &TaskInfo) -> Result<(), ClusterError> {
    let task_id = &info.task_id;
    if info.command.is_none() && info.container.is_none() {
        return Err(invalid(format!("task {task_id} has neither `command` nor `container`")));
    }
    let docker = info.container.as_ref().and_then(|container| container.docker.as_ref());
    if let Some(docker) = docker {
        if docker.image.trim().is_empty() {
            return Err(invalid(format!("task {task_id}: `container.docker.image` is empty")));
        }
        let resources = ResourceSet::from_resources(&info.resources)
            .map_err(|error| invalid(format!("task {task_id}: `resources`: {error}")))?;
        for mapping in &docker.port_mappings {
            let port = u64::from(mapping.host_port);
            if !resources.ranges("ports").iter().any(|&(begin, end)| begin <= port && port <= end) {
                return Err(invalid(format!(
                    "task {task_id}: host port {} is not among the task's `ports` resources",
                    mapping.host_port
                )));
            }
        }
    }
    Ok(())
}
