//! Frameworks: subscription and re-subscription, disconnection, failover timeouts and teardown.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use corral_wire::agent_api::AgentCommand;
use corral_wire::mesos::{Event, FrameworkId, FrameworkInfo, OfferId, Subscribed, TaskId, TaskState};

use super::error::invalid;
use super::tasks::Task;
use super::{push_bounded, wall_clock, Cluster, ClusterError, COMPLETED_FRAMEWORKS_KEPT};
use crate::event_stream::EventSender;

#[derive(Debug)]
pub struct Framework {
    pub id: FrameworkId,
    pub info: FrameworkInfo,
    /// The open subscriber stream, if the framework is connected.
    pub stream: Option<EventSender>,
    pub registered_time: f64,
    pub reregistered_time: Option<f64>,
    pub unregistered_time: Option<f64>,
    /// While disconnected: when the framework is torn down unless it subscribes again.
    pub failover_deadline: Option<Instant>,
    pub suppressed: bool,
    pub tasks: HashMap<TaskId, Task>,
    pub completed_tasks: VecDeque<Task>,
    pub offers: BTreeSet<OfferId>,
}

impl Framework {
    pub fn is_connected(&self) -> bool {
        self.stream.is_some()
    }

    /// Queues an event on the framework's stream, if it is connected. A stream that cannot take
    /// it (gone, or hopelessly behind) is dropped, which disconnects the framework.
    pub(super) fn send(&mut self, event: Event) -> bool {
        match &self.stream {
            Some(stream) if stream.send(event) => true,
            Some(_) => {
                tracing::warn!(message = "Dropping a subscriber stream that does not keep up.", framework_id = %self.id);
                self.stream = None;
                false
            }
            None => false,
        }
    }
}

/// How long a disconnected framework keeps its tasks (`failover_timeout`, 0 when not given).
fn failover_timeout(info: &FrameworkInfo) -> Duration {
    let seconds = info.failover_timeout.unwrap_or(0.0);
    Duration::try_from_secs_f64(seconds.max(0.0)).unwrap_or(Duration::from_secs(u32::MAX.into()))
}

impl Cluster {
    /// Subscribes a framework on a new stream (its id already persisted by the caller). A
    /// framework that subscribes again with its id takes over its tasks; its old stream, if still
    /// open, gets an ERROR and is closed.
    pub fn subscribe(&mut self, id: FrameworkId, mut info: FrameworkInfo, stream: EventSender) {
        info.id = Some(id.clone());
        let subscribed = Event::subscribed(Subscribed {
            framework_id: id.clone(),
            heartbeat_interval_seconds: Some(self.settings.heartbeat_interval.as_secs_f64()),
            master_info: Some(self.info.clone()),
        });
        let role = info.allocation_role().to_string();
        match self.frameworks.get_mut(&id) {
            Some(framework) => {
                if let Some(old) = framework.stream.take() {
                    old.send(Event::error("Framework failed over"));
                }
                framework.info = info;
                framework.reregistered_time = Some(wall_clock());
                framework.failover_deadline = None;
                framework.stream = Some(stream);
                framework.send(subscribed);
                self.allocator.activate_framework(&id);
                tracing::info!(message = "Framework re-subscribed.", framework_id = %id);
            }
            None => {
                let mut framework = Framework {
                    id: id.clone(),
                    info,
                    stream: Some(stream),
                    registered_time: wall_clock(),
                    reregistered_time: None,
                    unregistered_time: None,
                    failover_deadline: None,
                    suppressed: false,
                    tasks: HashMap::new(),
                    completed_tasks: VecDeque::new(),
                    offers: BTreeSet::new(),
                };
                framework.send(subscribed);
                self.frameworks.insert(id.clone(), framework);
                self.allocator.add_framework(id.clone(), role, false);
                tracing::info!(message = "Framework subscribed.", framework_id = %id);
            }
        }
        self.want_allocation();
    }

    /// Adds a framework known from the registry (after a master failover) that has not
    /// re-subscribed yet: it keeps its tasks for its failover timeout counted from now, and at
    /// least as long as agents have to re-register, since a failover is no fault of its own.
    pub fn recover_framework(&mut self, info: FrameworkInfo, now: Instant) {
        let grace = self.settings.agent_unreachable_timeout;
        let Some(id) = info.id.clone() else { return };
        let role = info.allocation_role().to_string();
        self.frameworks.entry(id.clone()).or_insert_with(|| Framework {
            failover_deadline: Some(now + failover_timeout(&info).max(grace)),
            id: id.clone(),
            info,
            stream: None,
            registered_time: wall_clock(),
            reregistered_time: None,
            unregistered_time: None,
            suppressed: false,
            tasks: HashMap::new(),
            completed_tasks: VecDeque::new(),
            offers: BTreeSet::new(),
        });
        self.allocator.add_framework(id.clone(), role, false);
        self.allocator.deactivate_framework(&id);
    }

    /// The framework's stream `stream_id` closed. Its offers are rescinded and its failover
    /// timeout starts; a later stream of the same framework is not affected.
    pub fn stream_closed(&mut self, id: &FrameworkId, stream_id: &str, now: Instant) {
        let Some(framework) = self.frameworks.get_mut(id) else { return };
        if framework.stream.as_ref().is_some_and(|stream| stream.stream_id != stream_id) {
            return;
        }
        framework.stream = None;
        self.framework_disconnected(id, now);
    }

    pub(super) fn framework_disconnected(&mut self, id: &FrameworkId, now: Instant) {
        let Some(framework) = self.frameworks.get_mut(id) else { return };
        if framework.failover_deadline.is_some() {
            return;
        }
        let timeout = failover_timeout(&framework.info);
        framework.failover_deadline =
            Some(now.checked_add(timeout).unwrap_or(now + Duration::from_secs(u32::MAX.into())));
        tracing::info!(message = "Framework disconnected.", framework_id = %id, failover_timeout_s = timeout.as_secs_f64());
        self.allocator.deactivate_framework(id);
        self.rescind_offers_of_framework(id);
    }

    /// Checks that a call comes from the framework's current stream.
    pub fn check_subscribed(&self, id: Option<&FrameworkId>, stream_id: Option<&str>) -> Result<(), ClusterError> {
        let id = id.ok_or_else(|| invalid("the call has no `framework_id`"))?;
        let framework = self
            .frameworks
            .get(id)
            .ok_or_else(|| ClusterError::NotSubscribed(format!("framework {id} is not subscribed")))?;
        let current = framework
            .stream
            .as_ref()
            .ok_or_else(|| ClusterError::NotSubscribed(format!("framework {id} is not subscribed")))?;
        match stream_id {
            None => Err(invalid("the call has no `Mesos-Stream-Id` header")),
            Some(stream_id) if stream_id != current.stream_id => {
                Err(invalid(format!("`Mesos-Stream-Id` {stream_id} is not the stream of framework {id}")))
            }
            Some(_) => Ok(()),
        }
    }

    pub fn suppress(&mut self, id: &FrameworkId) {
        if let Some(framework) = self.frameworks.get_mut(id) {
            framework.suppressed = true;
            self.allocator.suppress(id);
        }
    }

    pub fn revive(&mut self, id: &FrameworkId) {
        if let Some(framework) = self.frameworks.get_mut(id) {
            framework.suppressed = false;
            self.allocator.revive(id);
            self.want_allocation();
        }
    }

    /// Removes a framework: its tasks are killed, its offers withdrawn, its stream closed.
    /// Returns whether it existed (the caller removes it from the registry).
    pub fn teardown(&mut self, id: &FrameworkId) -> bool {
        self.rescind_offers_of_framework(id);
        let Some(mut framework) = self.frameworks.remove(id) else { return false };
        tracing::info!(message = "Tearing down framework.", framework_id = %id);
        let mut agents = BTreeSet::new();
        for (_, mut task) in framework.tasks.drain() {
            agents.insert(task.agent_id.clone());
            if let Some(agent) = self.agents.get_mut(&task.agent_id) {
                agent.tasks.remove(&(id.clone(), task.info.task_id.clone()));
            }
            task.state = TaskState::TaskKilled;
            self.counters.tasks_killed += 1;
            push_bounded(&mut framework.completed_tasks, task, super::COMPLETED_TASKS_KEPT);
        }
        for agent_id in agents {
            if let Some(agent) = self.agents.get_mut(&agent_id) {
                agent.commands.push(AgentCommand::ShutdownFramework { framework_id: id.clone() });
            }
        }
        self.allocator.remove_framework(id);
        framework.stream = None;
        framework.unregistered_time = Some(wall_clock());
        push_bounded(&mut self.completed_frameworks, framework, COMPLETED_FRAMEWORKS_KEPT);
        self.want_allocation();
        true
    }

    /// Disconnected frameworks whose failover timeout has run out at `now`.
    pub fn expired_frameworks(&self, now: Instant) -> Vec<FrameworkId> {
        self.frameworks
            .values()
            .filter(|framework| framework.failover_deadline.is_some_and(|deadline| deadline <= now))
            .map(|framework| framework.id.clone())
            .collect()
    }

    /// Whether a framework was torn down (as opposed to never known).
    /// Refuses a SUBSCRIBE for framework `id` by any principal but the one that registered it: a
    /// framework fails over only to itself.
    pub fn check_framework_principal(&self, id: &FrameworkId, principal: Option<&str>) -> Result<(), ClusterError> {
        let registered = self.frameworks.get(id).and_then(|framework| framework.info.principal.as_deref());
        match registered {
            Some(registered) if Some(registered) != principal => Err(ClusterError::Forbidden(format!(
                "framework {id} was registered by principal `{registered}`; only it can subscribe as this framework"
            ))),
            _ => Ok(()),
        }
    }

    pub fn is_completed_framework(&self, id: &FrameworkId) -> bool {
        self.completed_frameworks.iter().any(|framework| &framework.id == id)
    }
}
