//! `MasterService`: what every HTTP handler shares. It knows this master, who leads (from the
//! coordinator), and, once this master has been elected and has read the registry, the
//! [`Leader`] state. Only the leader acts; a standby redirects to the leader.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use corral_coord_client::LeaderInfo;
use corral_wire::mesos::MasterInfo;
use tokio::sync::watch;

use crate::cluster::Cluster;
use crate::config::MasterConfig;
use crate::registry::Registry;

/// The Mesos version this master speaks, as `/version` reports it.
pub const MESOS_VERSION: &str = "1.11.0";

/// The elected master's state.
#[derive(Debug)]
pub struct Leader {
    cluster: Mutex<Cluster>,
    pub registry: Registry,
}

impl Leader {
    pub fn new(cluster: Cluster, registry: Registry) -> Self {
        Leader { cluster: Mutex::new(cluster), registry }
    }

    /// The cluster, locked. Never hold the guard across an `.await`.
    pub fn cluster(&self) -> MutexGuard<'_, Cluster> {
        self.cluster.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Who leads, as a request sees it.
pub enum Leadership {
    Leading(Arc<Leader>),
    /// Another master leads.
    Elsewhere(MasterInfo),
    /// No leader is known, or this master was elected and is still reading the registry.
    Unknown,
}

#[derive(Debug)]
pub struct MasterService {
    pub config: MasterConfig,
    pub info: MasterInfo,
    /// Seconds since the epoch.
    pub start_time: f64,
    /// For calls to agents on an operator's behalf (their sandbox files): the cluster's TLS trust,
    /// and the operator's token, never this master's.
    pub agent_client: reqwest::Client,
    leader: OnceLock<Arc<Leader>>,
    discovered: watch::Receiver<Option<LeaderInfo>>,
}

impl MasterService {
    pub fn new(config: MasterConfig, info: MasterInfo, discovered: watch::Receiver<Option<LeaderInfo>>) -> Self {
        let agent_client = config.security.client.http_client_for_callers();
        MasterService {
            config,
            info,
            start_time: crate::cluster::wall_clock(),
            agent_client,
            leader: OnceLock::new(),
            discovered,
        }
    }

    /// Makes this master the acting leader (once: a master that loses leadership exits).
    pub fn start_leading(&self, leader: Arc<Leader>) {
        let _ = self.leader.set(leader);
    }

    pub fn leader(&self) -> Option<&Arc<Leader>> {
        self.leader.get()
    }

    pub fn leadership(&self) -> Leadership {
        if let Some(leader) = self.leader.get() {
            return Leadership::Leading(leader.clone());
        }
        match self.leading_master() {
            Some(info) if info.id != self.info.id => Leadership::Elsewhere(info),
            _ => Leadership::Unknown,
        }
    }

    /// The MasterInfo published by whoever leads, as the coordinator shows it.
    pub fn leading_master(&self) -> Option<MasterInfo> {
        if self.leader.get().is_some() {
            return Some(self.info.clone());
        }
        let discovered = self.discovered.borrow();
        discovered.as_ref().and_then(|leader| serde_json::from_str(&leader.data).ok())
    }
}
