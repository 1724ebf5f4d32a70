//! [`CoordinatorNode`]: one running coordinator. It starts raft on the sqlite store, submits
//! commands (forwarding them to the leader when it does not lead), gives reads their barriers,
//! keeps session deadlines while it leads and proposes the expiry of silent sessions.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use corral_kit::ClientSecurity;
use corral_wire::coordinator::Session;
use openraft::error::{InitializeError, RaftError};
use openraft::{ServerState, SnapshotPolicy};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::applied::AppliedState;
use crate::config::{NodeConfig, Role};
use crate::machine::{validate_command, Command, CommandResult, Outcome};
use crate::proposer::{Proposer, COMMIT_TIMEOUT};
use crate::raft::{open_database, Durability, LogStore, PeerAddr, PeerNetwork, Raft, StateMachineStore};
use crate::request_stats::RequestStats;
use crate::session_deadlines::SessionDeadlines;
use crate::tree::{Limits, TreeError};

/// Peer routes a node calls on the leader (see `api::peer`).
pub const INTERNAL_WRITE_PATH: &str = "/internal/write";
pub const INTERNAL_READ_INDEX_PATH: &str = "/internal/read-index";
pub const INTERNAL_KEEPALIVE_PATH: &str = "/internal/keepalive";
pub const INTERNAL_JOIN_PATH: &str = "/internal/join";

/// How long a request waits for this node to apply a zxid it must reflect.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the leader looks for expired sessions.
const EXPIRY_TICK: Duration = Duration::from_millis(50);

/// Why a request could not be served; the API maps each to an HTTP status.
#[derive(Debug, Clone, Error)]
pub enum NodeError {
    #[error(transparent)]
    Tree(#[from] TreeError),
    #[error("no leader is known right now; retry shortly")]
    NoLeader,
    /// Surely not applied: the client may retry anywhere.
    #[error("{0}")]
    Unavailable(String),
    /// A write that may or may not have been applied (its answer was lost on the way).
    #[error("the outcome of the write is unknown: {0}")]
    OutcomeUnknown(String),
    #[error("session timeout {asked} ms is outside [{min}, {max}] ms")]
    BadTimeout { asked: u64, min: u64, max: u64 },
    /// A command only the leader itself may propose arrived forwarded.
    #[error("{0}")]
    NotForwardable(&'static str),
}

impl NodeError {
    /// For requests that are safe to repeat, a lost answer just means "try again".
    fn retryable(self) -> Self {
        match self {
            NodeError::OutcomeUnknown(message) => NodeError::Unavailable(message),
            other => other,
        }
    }
}

/// Why a node could not start.
#[derive(Debug, Error)]
pub enum StartError {
    #[error("cannot open the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot load the stored state: {0}")]
    Storage(String),
    #[error("invalid raft settings: {0}")]
    RaftSettings(String),
    #[error("raft did not start: {0}")]
    Raft(String),
}

/// A write as the leader answers a forwarding follower.
#[derive(Debug, Serialize, Deserialize)]
pub struct ForwardedWrite {
    pub zxid: u64,
    pub result: CommandResult,
}

/// The leader's read index: a read that waits for it is linearizable.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReadIndex {
    pub index: u64,
}

/// An observer asking to be added as a learner.
#[derive(Debug, Serialize, Deserialize)]
pub struct JoinRequest {
    pub id: u64,
    pub addr: PeerAddr,
}

pub struct CoordinatorNode {
    pub config: NodeConfig,
    pub raft: Raft,
    pub applied: Arc<AppliedState>,
    pub stats: RequestStats,
    http: reqwest::Client,
    /// How this node calls its peers (TLS, its token).
    client: ClientSecurity,
    proposer: Proposer,
    deadlines: Mutex<SessionDeadlines>,
    limits: Limits,
}

impl CoordinatorNode {
    /// Opens the node's storage and starts raft; a fresh participant initializes the cluster
    /// with the configured members (safe on every member at once).
    pub async fn start(config: NodeConfig, client: &ClientSecurity) -> Result<Arc<Self>, StartError> {
        let raft_failed = |error: &dyn std::fmt::Display| StartError::Raft(error.to_string());
        let pool = open_database(&config.data_dir).await?;
        let applied = Arc::new(AppliedState::new(config.watch_history));
        let durability = Durability::default();
        let state_machine = StateMachineStore::open(pool.clone(), applied.clone(), durability.clone())
            .await
            .map_err(|error| StartError::Storage(error.to_string()))?;
        let http = client.http_client();
        let raft = Raft::new(
            config.id,
            Arc::new(raft_config(&config)?),
            PeerNetwork::new(http.clone(), client.scheme(), durability.clone()),
            LogStore::new(pool, config.id, durability),
            state_machine,
        )
        .await
        .map_err(|e| raft_failed(&e))?;
        if config.role == Role::Participant && !raft.is_initialized().await.map_err(|e| raft_failed(&e))? {
            let members: BTreeMap<u64, PeerAddr> = config
                .members
                .iter()
                .map(|m| (m.id, PeerAddr { client: m.client.clone(), peer: m.peer.clone() }))
                .collect();
            match raft.initialize(members).await {
                Ok(()) | Err(RaftError::APIError(InitializeError::NotAllowed(_))) => {}
                Err(error) => return Err(raft_failed(&error)),
            }
        }
        let node = Arc::new(CoordinatorNode {
            limits: Limits { max_data_bytes: config.max_data_bytes },
            config,
            applied,
            stats: RequestStats::default(),
            http,
            client: client.clone(),
            proposer: Proposer::start(raft.clone()),
            raft,
            deadlines: Mutex::new(SessionDeadlines::default()),
        });
        tokio::spawn(expire_sessions(Arc::downgrade(&node)));
        if node.config.role == Role::Observer {
            tokio::spawn(join_as_observer(node.clone()));
        }
        Ok(node)
    }

    /// The URL of `path` on `peer`'s peer port.
    fn peer_url(&self, peer: &PeerAddr, path: &str) -> String {
        format!("{}{path}", self.client.url(&peer.peer))
    }

    /// Resolves with the reason once raft has stopped for good (its storage failed).
    pub async fn failed(&self) -> String {
        let mut metrics = self.raft.metrics();
        loop {
            if let Err(fatal) = &metrics.borrow_and_update().running_state {
                return fatal.to_string();
            }
            if metrics.changed().await.is_err() {
                return "raft stopped".to_string();
            }
        }
    }

    pub fn own_addr(&self) -> PeerAddr {
        PeerAddr { client: self.config.client_advertise(), peer: self.config.peer_advertise() }
    }

    /// The leader's id and addresses, if one is known.
    pub fn leader(&self) -> Option<(u64, PeerAddr)> {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        let id = metrics.current_leader?;
        let addr = metrics.membership_config.membership().get_node(&id)?.clone();
        Some((id, addr))
    }

    pub fn is_leader(&self) -> bool {
        self.raft.metrics().borrow().state == ServerState::Leader
    }

    /// ZooKeeper's name for this node's role right now.
    pub fn mode(&self) -> &'static str {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        match (metrics.state, metrics.current_leader.is_some()) {
            (ServerState::Leader, _) => "leader",
            (ServerState::Follower, true) => "follower",
            (ServerState::Learner, true) => "observer",
            _ => "looking",
        }
    }

    /// True while this node is part of a quorum with a known leader, and raft runs (a storage
    /// failure stops it for good).
    pub fn is_healthy(&self) -> bool {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        if metrics.running_state.is_err() {
            return false;
        }
        match metrics.state {
            ServerState::Leader => {
                metrics.millis_since_quorum_ack.is_some_and(|ms| ms <= 2 * self.config.raft.election_timeout_max_ms)
            }
            ServerState::Follower | ServerState::Learner => metrics.current_leader.is_some(),
            _ => false,
        }
    }

    /// Applies a command through consensus, from any node; answers once this node has applied it.
    pub async fn submit(&self, command: Command) -> Result<(Outcome, u64), NodeError> {
        validate_command(&command, &self.limits)?;
        if self.is_leader() {
            match self.proposer.propose(command.clone()).await {
                // Leadership moved before the command was appended: the new leader takes it.
                Err(NodeError::NoLeader) => {}
                other => return other,
            }
        }
        let (_, leader) = self.leader().ok_or(NodeError::NoLeader)?;
        let url = self.peer_url(&leader, INTERNAL_WRITE_PATH);
        let forwarded: ForwardedWrite = self.call_leader(self.http.post(url).json(&command)).await?;
        // Answer once this node reflects the write, so its reads see it; if it lags too far, the
        // write still happened: its zxid tells the client what to ask for (x-corral-min-zxid).
        if let Err(error) = self.wait_applied(forwarded.zxid).await {
            tracing::warn!(message = "Answering a forwarded write before applying it here.", %error);
        }
        Ok((forwarded.result?, forwarded.zxid))
    }

    /// A command another node forwarded: only what a client may ask for, within this node's
    /// bounds, is applied (if this node leads). Session expiry is decided by the leader alone.
    pub async fn submit_forwarded(&self, command: Command) -> Result<(Outcome, u64), NodeError> {
        match &command {
            Command::ExpireSessions { .. } => {
                return Err(NodeError::NotForwardable(
                    "session expiry is decided by the leader and cannot be forwarded",
                ))
            }
            Command::CreateSession { timeout_ms } => self.check_session_timeout(*timeout_ms)?,
            Command::Write { .. } | Command::CloseSession { .. } => {}
        }
        self.submit_on_leader(command).await
    }

    /// Applies a command if this node leads; `NoLeader` otherwise (never forwards, so a
    /// forwarded write takes at most one hop).
    pub async fn submit_on_leader(&self, command: Command) -> Result<(Outcome, u64), NodeError> {
        validate_command(&command, &self.limits)?;
        if !self.is_leader() {
            return Err(NodeError::NoLeader);
        }
        self.proposer.propose(command).await
    }

    /// Waits until a read here is linearizable: the leader confirms its leadership and this
    /// node applies everything the leader had committed at that moment.
    pub async fn read_barrier(&self) -> Result<(), NodeError> {
        if self.is_leader() {
            if let Ok(index) = self.local_read_index().await {
                return self.wait_applied(index).await;
            }
        }
        let (_, leader) = self.leader().ok_or(NodeError::NoLeader)?;
        let url = self.peer_url(&leader, INTERNAL_READ_INDEX_PATH);
        let read_index: ReadIndex = self.call_leader(self.http.get(url)).await.map_err(NodeError::retryable)?;
        self.wait_applied(read_index.index).await
    }

    /// The read index, if this node leads.
    pub async fn local_read_index(&self) -> Result<u64, NodeError> {
        let Ok((read_log_id, _)) = self.raft.get_read_log_id().await else {
            return Err(NodeError::NoLeader);
        };
        // openraft 0.9 restores a restarted leader that kept its vote with the committed index it
        // had stored, which can lag what it acknowledged before the crash; its read index can then
        // miss acknowledged writes. Every acknowledged write is in the leader's log, so a read
        // that waits for the leader's whole log to apply sees all of them.
        let last_log_index = self.raft.metrics().borrow().last_log_index.unwrap_or(0);
        Ok(read_log_id.map_or(0, |log_id| log_id.index).max(last_log_index))
    }

    /// Waits (boundedly) until this node has applied `zxid`.
    pub async fn wait_applied(&self, zxid: u64) -> Result<(), NodeError> {
        let mut applied = self.applied.subscribe();
        let reached = tokio::time::timeout(CATCH_UP_TIMEOUT, applied.wait_for(|applied| *applied >= zxid)).await;
        match reached {
            Ok(Ok(_)) => Ok(()),
            _ => Err(NodeError::Unavailable(format!(
                "this node has not yet applied zxid {zxid:#x}; retry or use another node"
            ))),
        }
    }

    /// Creates a session with a timeout inside the configured bounds.
    pub async fn create_session(&self, timeout_ms: u64) -> Result<Session, NodeError> {
        self.check_session_timeout(timeout_ms)?;
        match self.submit(Command::CreateSession { timeout_ms }).await? {
            (Outcome::SessionCreated { session_id, timeout_ms }, _) => Ok(Session { session_id, timeout_ms }),
            (other, _) => Err(NodeError::Unavailable(format!("unexpected outcome {other:?}"))),
        }
    }

    fn check_session_timeout(&self, timeout_ms: u64) -> Result<(), NodeError> {
        let (min, max) = (self.config.min_session_timeout_ms, self.config.max_session_timeout_ms);
        match (min..=max).contains(&timeout_ms) {
            true => Ok(()),
            false => Err(NodeError::BadTimeout { asked: timeout_ms, min, max }),
        }
    }

    /// A heartbeat from any node: the leader extends the session, others forward it there.
    pub async fn keepalive(&self, session_id: u64) -> Result<Session, NodeError> {
        match self.keepalive_on_leader(session_id).await {
            Err(NodeError::NoLeader) => {}
            other => return other,
        }
        let (_, leader) = self.leader().ok_or(NodeError::NoLeader)?;
        let url = self.peer_url(&leader, &format!("{INTERNAL_KEEPALIVE_PATH}/{session_id}"));
        let answer: Result<Session, TreeError> =
            self.call_leader(self.http.post(url).json(&())).await.map_err(NodeError::retryable)?;
        Ok(answer?)
    }

    /// Extends a session if this node leads.
    pub async fn keepalive_on_leader(&self, session_id: u64) -> Result<Session, NodeError> {
        if !self.is_leader() {
            return Err(NodeError::NoLeader);
        }
        let known = |node: &Self| node.applied.read(|applied| applied.state.sessions.get(&session_id).copied());
        let entry = match known(self) {
            Some(entry) => entry,
            // A leader may not yet have applied everything it holds (after a restart, say):
            // a session it does not know is expired only once its whole log is applied.
            None => {
                let index = self.local_read_index().await?;
                self.wait_applied(index).await?;
                known(self).ok_or(TreeError::SessionExpired { session_id })?
            }
        };
        let timeout = Duration::from_millis(entry.timeout_ms);
        self.deadlines.lock().expect("deadlines lock").touch(session_id, timeout, Instant::now());
        Ok(Session { session_id, timeout_ms: entry.timeout_ms })
    }

    /// Adds an observer as a learner (on the leader).
    pub async fn add_observer(&self, join: JoinRequest) -> Result<(), NodeError> {
        if !self.is_leader() {
            return Err(NodeError::NoLeader);
        }
        self.raft
            .add_learner(join.id, join.addr, false)
            .await
            .map(|_| ())
            .map_err(|error| NodeError::Unavailable(format!("cannot add observer {}: {error}", join.id)))
    }

    /// Sends a request to the leader's peer endpoint and decodes the JSON of `T` it answers.
    async fn call_leader<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, NodeError> {
        let response = request.timeout(COMMIT_TIMEOUT + Duration::from_secs(2)).send().await.map_err(|error| {
            if error.is_connect() {
                NodeError::Unavailable(format!("cannot reach the leader: {error}"))
            } else {
                NodeError::OutcomeUnknown(format!("the leader's answer was lost: {error}"))
            }
        })?;
        match response.status() {
            reqwest::StatusCode::SERVICE_UNAVAILABLE => return Err(NodeError::NoLeader),
            reqwest::StatusCode::GATEWAY_TIMEOUT => {
                let message = response.text().await.unwrap_or_default();
                return Err(NodeError::OutcomeUnknown(format!("on the leader: {message}")));
            }
            _ => {}
        }
        response.json().await.map_err(|error| NodeError::Unavailable(format!("bad answer from the leader: {error}")))
    }
}

fn raft_config(config: &NodeConfig) -> Result<openraft::Config, StartError> {
    let raft = &config.raft;
    let settings = openraft::Config {
        cluster_name: "corral-coordinator".to_string(),
        heartbeat_interval: raft.heartbeat_ms,
        election_timeout_min: raft.election_timeout_min_ms,
        election_timeout_max: raft.election_timeout_max_ms,
        install_snapshot_timeout: 10_000,
        max_payload_entries: 2_000,
        snapshot_policy: SnapshotPolicy::LogsSinceLast(raft.snapshot_every),
        max_in_snapshot_log_to_keep: raft.keep_logs,
        ..Default::default()
    };
    settings.validate().map_err(|error| StartError::RaftSettings(error.to_string()))
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// While this node leads: gives every session a full timeout when leadership begins, and
/// proposes the expiry of sessions whose heartbeats stopped.
async fn expire_sessions(node: std::sync::Weak<CoordinatorNode>) {
    let mut leading_term = None;
    loop {
        tokio::time::sleep(EXPIRY_TICK).await;
        let Some(node) = node.upgrade() else { return };
        let term = {
            let metrics = node.raft.metrics();
            let metrics = metrics.borrow();
            (metrics.state == ServerState::Leader).then_some(metrics.current_term)
        };
        if term != leading_term {
            node.deadlines.lock().expect("deadlines lock").clear();
            leading_term = term;
        }
        if term.is_none() {
            continue;
        }
        let sessions = node.applied.read(|applied| applied.state.sessions.clone());
        let expired = {
            let mut deadlines = node.deadlines.lock().expect("deadlines lock");
            deadlines.sync(&sessions, Instant::now());
            deadlines.expired(Instant::now())
        };
        if !expired.is_empty() {
            tracing::info!(message = "Expiring sessions.", sessions = ?expired);
            let command = Command::ExpireSessions { session_ids: expired };
            if let Err(error) = node.submit_on_leader(command).await {
                tracing::warn!(message = "Session expiry failed.", %error);
            }
        }
    }
}

/// An observer asks the cluster to add it as a learner until it sees itself in the membership.
async fn join_as_observer(node: Arc<CoordinatorNode>) {
    let join = JoinRequest { id: node.config.id, addr: node.own_addr() };
    loop {
        let known = node.raft.metrics().borrow().membership_config.membership().get_node(&join.id).is_some();
        if known {
            return;
        }
        for member in &node.config.members {
            let url = format!("{}{INTERNAL_JOIN_PATH}", node.client.url(&member.peer));
            let answer = node.http.post(url).json(&join).timeout(Duration::from_secs(5)).send().await;
            if answer.is_ok_and(|response| response.status().is_success()) {
                tracing::info!(message = "Joined the cluster as an observer.", id = join.id);
                break;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
