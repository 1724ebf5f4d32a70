//! Our one wrapper around openraft: the type configuration, the sqlite log store, the state
//! machine with its snapshots, and the HTTP transport between peers. Nothing outside this module
//! names an openraft storage or network trait.

// openraft's trait methods return its own (large) `StorageError`; we cannot box it.
#![allow(clippy::result_large_err)]

mod database;
mod durability;
mod log_store;
mod log_writer;
mod network;
mod recent_entries;
mod state_machine;
#[cfg(test)]
mod storage_suite;

use std::io::Cursor;

use serde::{Deserialize, Serialize};

use crate::machine::{CommandResult, Proposal};

pub use database::open_database;
pub use durability::Durability;
pub use log_store::LogStore;
pub use network::{PeerNetwork, PEER_APPEND_PATH, PEER_SNAPSHOT_PATH, PEER_VOTE_PATH};
pub use state_machine::StateMachineStore;

/// How one coordinator is reached: its client API and its peer (raft) endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PeerAddr {
    pub client: String,
    pub peer: String,
}

impl std::fmt::Display for PeerAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "client {} peer {}", self.client, self.peer)
    }
}

openraft::declare_raft_types!(
    /// The coordinator's raft types: proposals (batches of commands) in, one result per command out.
    pub TypeConfig:
        D = Proposal,
        R = Vec<CommandResult>,
        NodeId = u64,
        Node = PeerAddr,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

pub type Raft = openraft::Raft<TypeConfig>;
pub type LogId = openraft::LogId<u64>;
pub type StorageError = openraft::StorageError<u64>;
pub type Membership = openraft::StoredMembership<u64, PeerAddr>;
