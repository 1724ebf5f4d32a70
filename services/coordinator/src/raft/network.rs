//! openraft's RPCs carried over HTTP between coordinators: each RPC is a JSON POST to the
//! target's peer address, answered with the JSON of `Result<Response, RaftError>`. A commit index
//! leaves this node only once its log is durable up to it (see [`Durability`]).

use std::error::Error;
use std::time::Duration;

use openraft::error::{InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse, VoteRequest,
    VoteResponse,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::durability::Durability;
use super::{PeerAddr, TypeConfig};

pub const PEER_APPEND_PATH: &str = "/raft/append";
pub const PEER_VOTE_PATH: &str = "/raft/vote";
pub const PEER_SNAPSHOT_PATH: &str = "/raft/snapshot";

/// Makes one [`PeerConnection`] per target; all share one HTTP client (and its connection pool).
#[derive(Debug, Clone)]
pub struct PeerNetwork {
    http: reqwest::Client,
    /// `http` or `https`.
    scheme: &'static str,
    durability: Durability,
}

impl PeerNetwork {
    pub fn new(http: reqwest::Client, scheme: &'static str, durability: Durability) -> Self {
        PeerNetwork { http, scheme, durability }
    }
}

impl RaftNetworkFactory<TypeConfig> for PeerNetwork {
    type Network = PeerConnection;

    async fn new_client(&mut self, target: u64, node: &PeerAddr) -> PeerConnection {
        PeerConnection {
            http: self.http.clone(),
            target,
            base_url: format!("{}://{}", self.scheme, node.peer),
            durability: self.durability.clone(),
        }
    }
}

/// The RPC channel to one peer.
pub struct PeerConnection {
    http: reqwest::Client,
    target: u64,
    base_url: String,
    durability: Durability,
}

impl PeerConnection {
    async fn call<Req, Resp, E>(
        &self,
        path: &str,
        request: &Req,
        ttl: Duration,
    ) -> Result<Resp, RPCError<u64, PeerAddr, RaftError<u64, E>>>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: Error + DeserializeOwned,
    {
        let response =
            self.http.post(format!("{}{path}", self.base_url)).timeout(ttl).json(request).send().await.map_err(
                |error| {
                    if error.is_connect() {
                        RPCError::Unreachable(Unreachable::new(&error))
                    } else {
                        RPCError::Network(NetworkError::new(&error))
                    }
                },
            )?;
        let answer: Result<Resp, RaftError<u64, E>> =
            response.json().await.map_err(|error| RPCError::Network(NetworkError::new(&error)))?;
        answer.map_err(|error| RPCError::RemoteError(RemoteError::new(self.target, error)))
    }
}

impl RaftNetwork<TypeConfig> for PeerConnection {
    async fn append_entries(
        &mut self,
        request: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RPCError<u64, PeerAddr, RaftError<u64>>> {
        // The leader counts itself in the majority before its own fsync ends: no follower may
        // apply an entry that is not yet on this node's disk too.
        if let Some(committed) = request.leader_commit {
            self.durability
                .wait(committed.index)
                .await
                .map_err(|error| RPCError::Network(NetworkError::new(&error)))?;
        }
        self.call(PEER_APPEND_PATH, &request, option.hard_ttl()).await
    }

    async fn install_snapshot(
        &mut self,
        request: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<InstallSnapshotResponse<u64>, RPCError<u64, PeerAddr, RaftError<u64, InstallSnapshotError>>> {
        self.call(PEER_SNAPSHOT_PATH, &request, option.hard_ttl()).await
    }

    async fn vote(
        &mut self,
        request: VoteRequest<u64>,
        option: RPCOption,
    ) -> Result<VoteResponse<u64>, RPCError<u64, PeerAddr, RaftError<u64>>> {
        self.call(PEER_VOTE_PATH, &request, option.hard_ttl()).await
    }
}
