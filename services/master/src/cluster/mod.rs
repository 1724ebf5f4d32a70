//! The leading master's view of the cluster: agents, frameworks, tasks and outstanding offers,
//! with the allocator deciding who is offered what. Everything here is synchronous and fast; it
//! lives behind one mutex that no one holds across an `.await`. The side effects it has are
//! non-blocking: events queued on subscriber streams, commands queued for agents, and a signal
//! that an allocation is wanted. Persistence (the registry) and all waiting happen in the callers.

pub mod agent_secret;
mod agents;
mod error;
mod frameworks;
mod offers;
mod tasks;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use corral_wire::mesos::{AgentId, FrameworkId, MasterInfo, OfferId};
use tokio::sync::Notify;

use crate::allocator::{Allocator, AllocatorConfig};
use crate::ids::IdGenerator;

pub use agents::Agent;
pub use error::ClusterError;
pub use frameworks::Framework;
pub use offers::OutstandingOffer;
pub use tasks::Task;

/// How many finished frameworks and tasks are kept for `/master/state`.
const COMPLETED_FRAMEWORKS_KEPT: usize = 50;
const COMPLETED_TASKS_KEPT: usize = 1000;

#[derive(Debug, Clone)]
pub struct ClusterSettings {
    pub agent_unreachable_timeout: Duration,
    pub heartbeat_interval: Duration,
    pub allocator: AllocatorConfig,
}

/// Counts of what has happened since this master was elected, for `/metrics/snapshot`.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    pub tasks_finished: u64,
    pub tasks_failed: u64,
    pub tasks_killed: u64,
    pub tasks_lost: u64,
    pub tasks_error: u64,
    pub agents_unreachable: u64,
    pub offers_sent: u64,
    pub offers_declined: u64,
    pub offers_rescinded: u64,
    pub invalid_calls: u64,
}

#[derive(Debug)]
pub struct Cluster {
    pub info: MasterInfo,
    pub settings: ClusterSettings,
    pub(crate) ids: IdGenerator,
    pub agents: HashMap<AgentId, Agent>,
    /// Agents in the registry that have not re-registered with this leader yet, and when they
    /// will be given up on.
    pub expected_agents: HashMap<AgentId, Instant>,
    /// The digest of each registered or expected agent's secret.
    agent_secrets: HashMap<AgentId, String>,
    pub frameworks: HashMap<FrameworkId, Framework>,
    pub completed_frameworks: VecDeque<Framework>,
    pub offers: HashMap<OfferId, OutstandingOffer>,
    pub(crate) allocator: Allocator,
    allocation_wanted: Arc<Notify>,
    pub counters: Counters,
    /// Seconds since the epoch.
    pub elected_time: f64,
}

impl Cluster {
    pub fn new(info: MasterInfo, settings: ClusterSettings) -> Self {
        Cluster {
            ids: IdGenerator::new(info.id.clone()),
            allocator: Allocator::new(settings.allocator.clone()),
            info,
            settings,
            agents: HashMap::new(),
            expected_agents: HashMap::new(),
            agent_secrets: HashMap::new(),
            frameworks: HashMap::new(),
            completed_frameworks: VecDeque::new(),
            offers: HashMap::new(),
            allocation_wanted: Arc::new(Notify::new()),
            counters: Counters::default(),
            elected_time: wall_clock(),
        }
    }

    /// Signalled whenever something happened that may make an allocation worthwhile.
    pub fn allocation_signal(&self) -> Arc<Notify> {
        self.allocation_wanted.clone()
    }

    fn want_allocation(&self) {
        self.allocation_wanted.notify_one();
    }

    pub fn next_framework_id(&mut self) -> FrameworkId {
        self.ids.framework()
    }

    pub fn next_agent_id(&mut self) -> AgentId {
        self.ids.agent()
    }

    /// The allocator's dominant share of a framework, for `/master/state` and metrics.
    pub fn dominant_share(&self, framework_id: &FrameworkId) -> f64 {
        self.allocator.dominant_share(framework_id)
    }
}

/// Seconds since the Unix epoch, as Mesos writes times.
pub fn wall_clock() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

fn push_bounded<T>(list: &mut VecDeque<T>, item: T, limit: usize) {
    if list.len() == limit {
        list.pop_front();
    }
    list.push_back(item);
}

#[cfg(test)]
mod tests;
