//! Corral's coordinator in the comparison: three `corral-coordinator` processes from
//! `corral_testkit::CoordinatorCluster` (durable: every raft append is fsynced), driven through
//! `corral-coord-client`, the client every Corral service uses. Each load client is a
//! `CoordClient` bound to one node with its own connection pool (one HTTP/1.1 connection, as it
//! sends one request at a time); the fan-out's watchers share HTTP/2 connections, 100 long-polls to
//! a connection, as a program holding many watches would send them.

use anyhow::{Context, Result};
use corral_coord_client::{
    CoordAddresses, CoordClient, CoordClientConfig, CreateMode, WatchItem, WatchSpec, ANY_VERSION,
};
use corral_testkit::{ClusterOptions, CoordinatorCluster};

use super::{Client, Cluster, Version, Watchers};

/// The system's name in the table.
pub const NAME: &str = "Corral";

/// Long-polls that share one HTTP/2 connection in the fan-out.
const WATCHES_PER_CONNECTION: usize = 100;

pub struct CorralCluster {
    cluster: CoordinatorCluster,
}

impl CorralCluster {
    /// Starts three nodes (the release `corral-coordinator` next to this program) and waits until
    /// each knows a leader.
    pub async fn start() -> Self {
        let cluster = CoordinatorCluster::start(ClusterOptions { participants: 3, ..Default::default() }).await;
        CorralCluster { cluster }
    }

    /// A client of node `node` only (no fail-over to the others), sending through `http`.
    fn client(&self, node: usize, http: reqwest::Client) -> Result<CorralClient> {
        let addresses = CoordAddresses::parse(&self.cluster.nodes[node].client)?;
        Ok(CorralClient { client: CoordClient::with_http_client(addresses, CoordClientConfig::default(), http) })
    }
}

impl Cluster for CorralCluster {
    type Client = CorralClient;

    fn name(&self) -> &'static str {
        NAME
    }

    fn node_count(&self) -> usize {
        self.cluster.nodes.len()
    }

    async fn leader(&self) -> Result<usize> {
        Ok(self.cluster.leader().await)
    }

    async fn connect(&self, node: usize) -> Result<CorralClient> {
        self.client(node, corral_kit::http_client())
    }

    async fn watchers(&self, count: usize) -> Result<Watchers<CorralClient>> {
        let mut clients = Vec::with_capacity(count);
        for connection in 0..count.div_ceil(WATCHES_PER_CONNECTION) {
            let http = reqwest::Client::builder().http2_prior_knowledge().tcp_nodelay(true).build()?;
            let node = connection % self.node_count();
            let watches = WATCHES_PER_CONNECTION.min(count - clients.len());
            for _ in 0..watches {
                clients.push(self.client(node, http.clone())?);
            }
        }
        Ok(Watchers { clients, shortfall: None })
    }

    async fn armed_watches(&self) -> Result<usize> {
        let mut armed = 0;
        for node in 0..self.node_count() {
            let status = self.cluster.status(node).await.with_context(|| format!("status of node {node}"))?;
            armed += status.watches as usize;
        }
        Ok(armed)
    }
}

/// A `CoordClient` of one node.
pub struct CorralClient {
    client: CoordClient,
}

impl Client for CorralClient {
    async fn make_dir(&self, path: &str) -> Result<()> {
        match self.client.create(path, "", CreateMode::Persistent, None).await {
            Err(error) if !error.is_node_exists() => Err(error.into()),
            _ => Ok(()),
        }
    }

    async fn write(&self, key: &str, value: &str) -> Result<()> {
        self.client.set(key, value, ANY_VERSION).await?;
        Ok(())
    }

    async fn create(&self, key: &str, value: &str) -> Result<()> {
        self.client.create(key, value, CreateMode::Persistent, None).await?;
        Ok(())
    }

    async fn read(&self, key: &str) -> Result<Version> {
        Ok(self.client.get(key).await?.stat.version)
    }

    async fn cas(&self, key: &str, expected: Version, value: &str) -> Result<Version> {
        let written = self.client.set(key, value, expected).await?;
        Ok(written.stat.context("a set answers with the new stat")?.version)
    }

    async fn watch(&self, key: &str) -> Result<()> {
        let read = self.client.get_observed(key).await?;
        let mut stream = self.client.watch(WatchSpec::path(key), read.zxid);
        loop {
            match stream.next().await? {
                WatchItem::Event(event) if event.path == key => return Ok(()),
                WatchItem::Event(_) => {}
                // Events were missed: the key may have changed.
                WatchItem::Reset { .. } => return Ok(()),
            }
        }
    }
}
