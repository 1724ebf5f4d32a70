//! A node's TOML configuration, validated before any port is bound, and the generator of a local
//! pseudo-cluster's config files.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Whether a node votes (participant) or only replicates and serves reads (observer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Participant,
    Observer,
}

/// A voting member of the initial cluster, as every node's config lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub id: u64,
    /// `host:port` of its client API.
    pub client: String,
    /// `host:port` of its peer (raft) endpoint.
    pub peer: String,
}

/// Raft timing and log compaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RaftSettings {
    pub heartbeat_ms: u64,
    pub election_timeout_min_ms: u64,
    pub election_timeout_max_ms: u64,
    /// Build a snapshot once this many entries were applied since the last one.
    pub snapshot_every: u64,
    /// How many applied entries to keep in the log behind a snapshot (for lagging followers).
    pub keep_logs: u64,
}

impl Default for RaftSettings {
    fn default() -> Self {
        RaftSettings {
            heartbeat_ms: 100,
            election_timeout_min_ms: 500,
            election_timeout_max_ms: 1000,
            snapshot_every: 20_000,
            keep_logs: 5_000,
        }
    }
}

/// One node's configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    pub id: u64,
    #[serde(default = "default_role")]
    pub role: Role,
    /// Where the client API listens.
    pub client_listen: SocketAddr,
    /// Where the peer (raft) endpoint listens.
    pub peer_listen: SocketAddr,
    /// How others reach the client API (default: `client_listen`).
    #[serde(default)]
    pub client_advertise: Option<String>,
    /// How others reach the peer endpoint (default: `peer_listen`).
    #[serde(default)]
    pub peer_advertise: Option<String>,
    pub data_dir: PathBuf,
    #[serde(default = "default_max_data_bytes")]
    pub max_data_bytes: u64,
    /// How many recent events watches can be answered from.
    #[serde(default = "default_watch_history")]
    pub watch_history: usize,
    /// Shortest and longest session timeouts a client may ask for.
    #[serde(default = "default_min_session_ms")]
    pub min_session_timeout_ms: u64,
    #[serde(default = "default_max_session_ms")]
    pub max_session_timeout_ms: u64,
    #[serde(default)]
    pub raft: RaftSettings,
    /// The voting members of the cluster (an observer's own entry is not among them).
    pub members: Vec<Member>,
}

fn default_role() -> Role {
    Role::Participant
}
fn default_max_data_bytes() -> u64 {
    1024 * 1024
}
fn default_watch_history() -> usize {
    100_000
}
fn default_min_session_ms() -> u64 {
    200
}
fn default_max_session_ms() -> u64 {
    120_000
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl NodeConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        let config: NodeConfig = toml::from_str(&text)
            .map_err(|error| ConfigError::Parse { path: path.to_path_buf(), message: error.message().to_string() })?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |message: String| Err(ConfigError::Invalid(message));
        if self.id == 0 {
            return invalid("id must be at least 1".into());
        }
        if self.members.is_empty() {
            return invalid("members must list at least one voting member".into());
        }
        let ids: BTreeSet<u64> = self.members.iter().map(|m| m.id).collect();
        if ids.len() != self.members.len() {
            return invalid("members have duplicate ids".into());
        }
        match (self.role, ids.contains(&self.id)) {
            (Role::Participant, false) => return invalid(format!("participant {} is not among members", self.id)),
            (Role::Observer, true) => return invalid(format!("observer {} must not be among members", self.id)),
            _ => {}
        }
        if self.client_listen == self.peer_listen {
            return invalid("client_listen and peer_listen must differ".into());
        }
        if self.max_data_bytes == 0 {
            return invalid("max_data_bytes must be at least 1".into());
        }
        if self.watch_history == 0 {
            return invalid("watch_history must be at least 1".into());
        }
        if self.min_session_timeout_ms == 0 || self.min_session_timeout_ms > self.max_session_timeout_ms {
            return invalid("min_session_timeout_ms must be positive and at most max_session_timeout_ms".into());
        }
        let raft = &self.raft;
        if raft.heartbeat_ms == 0 || raft.heartbeat_ms >= raft.election_timeout_min_ms {
            return invalid("raft.heartbeat_ms must be positive and below raft.election_timeout_min_ms".into());
        }
        if raft.election_timeout_min_ms >= raft.election_timeout_max_ms {
            return invalid("raft.election_timeout_min_ms must be below raft.election_timeout_max_ms".into());
        }
        if raft.snapshot_every == 0 {
            return invalid("raft.snapshot_every must be at least 1".into());
        }
        Ok(())
    }

    pub fn client_advertise(&self) -> String {
        self.client_advertise.clone().unwrap_or_else(|| self.client_listen.to_string())
    }

    pub fn peer_advertise(&self) -> String {
        self.peer_advertise.clone().unwrap_or_else(|| self.peer_listen.to_string())
    }
}

/// What `pseudo-cluster` writes: `nodes` participants and `observers` observers on loopback.
#[derive(Debug, Clone, Copy)]
pub struct PseudoCluster {
    pub nodes: u64,
    pub observers: u64,
    pub first_client_port: u16,
    pub first_peer_port: u16,
}

impl PseudoCluster {
    /// The configs of every node, numbered from 1; ports count up from the first ones.
    pub fn configs(&self, dir: &Path) -> Vec<NodeConfig> {
        let loopback = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        let members: Vec<Member> = (1..=self.nodes)
            .map(|id| Member {
                id,
                client: loopback(self.first_client_port + id as u16 - 1).to_string(),
                peer: loopback(self.first_peer_port + id as u16 - 1).to_string(),
            })
            .collect();
        (1..=self.nodes + self.observers)
            .map(|id| NodeConfig {
                id,
                role: if id <= self.nodes { Role::Participant } else { Role::Observer },
                client_listen: loopback(self.first_client_port + id as u16 - 1),
                peer_listen: loopback(self.first_peer_port + id as u16 - 1),
                client_advertise: None,
                peer_advertise: None,
                data_dir: dir.join(format!("node{id}")),
                max_data_bytes: default_max_data_bytes(),
                watch_history: default_watch_history(),
                min_session_timeout_ms: default_min_session_ms(),
                max_session_timeout_ms: default_max_session_ms(),
                raft: RaftSettings::default(),
                members: members.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo(nodes: u64, observers: u64) -> Vec<NodeConfig> {
        PseudoCluster { nodes, observers, first_client_port: 2181, first_peer_port: 2888 }.configs(Path::new("/tmp/x"))
    }

    #[test]
    fn pseudo_cluster_configs_are_valid_and_distinct() {
        let configs = pseudo(3, 1);
        assert_eq!(configs.len(), 4);
        for config in &configs {
            config.validate().unwrap();
            let text = toml::to_string(config).unwrap();
            assert_eq!(toml::from_str::<NodeConfig>(&text).unwrap(), *config);
        }
        assert_eq!(configs[2].client_listen.port(), 2183);
        assert_eq!(configs[2].peer_listen.port(), 2890);
        assert_eq!(configs[3].role, Role::Observer);
        let dirs: BTreeSet<_> = configs.iter().map(|c| c.data_dir.clone()).collect();
        assert_eq!(dirs.len(), 4);
    }

    #[test]
    fn rejects_bad_values_with_their_name() {
        let base = pseudo(3, 0).remove(0);
        let check = |change: fn(&mut NodeConfig), expected: &str| {
            let mut config = base.clone();
            change(&mut config);
            let error = config.validate().unwrap_err().to_string();
            assert!(error.contains(expected), "{error}");
        };
        check(|c| c.id = 0, "id");
        check(|c| c.id = 9, "not among members");
        check(|c| c.raft.heartbeat_ms = 5000, "raft.heartbeat_ms");
        check(|c| c.max_data_bytes = 0, "max_data_bytes");
        check(|c| c.peer_listen = c.client_listen, "peer_listen");
        check(|c| c.members.clear(), "members");
    }
}
