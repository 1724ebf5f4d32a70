//! etcd in the comparison: three `etcd` 3.4 members on free loopback ports, each with its own data
//! directory in a temporary directory, with default durability (every raft append fsynced) and
//! the v2 API turned on, driven through that v2 HTTP API with reqwest, as the project owner's
//! measurements by hand were: `PUT /v2/keys/k` with a form `value` to write (`prevExist=false`
//! to create, `prevIndex` to compare-and-swap), `GET` to read, `?wait=true&waitIndex=` to watch.
//! Reads are etcd's default v2 reads, served by the member asked (not through a quorum), as
//! ZooKeeper's and Corral's are.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use corral_testkit::{eventually, free_port, ChildProcess};
use reqwest::header::HeaderMap;
use serde_json::Value;
use tempfile::TempDir;

use super::{find_program, Client, Cluster, Version, Watchers};

/// Where Debian's `etcd-server` package puts it, else `$PATH`.
pub fn etcd_program() -> Option<PathBuf> {
    let debian = PathBuf::from("/usr/bin/etcd");
    if debian.is_file() {
        return Some(debian);
    }
    find_program("etcd")
}

/// Long-poll watchers that share one HTTP/1.1 connection pool (each waiting request still holds
/// a connection of its own, as with any v2 client).
const WATCHES_PER_POOL: usize = 100;

pub struct EtcdCluster {
    // Dropped first: the members are killed before their data directories go.
    members: Vec<Member>,
    http: reqwest::Client,
    _dir: TempDir,
}

struct Member {
    client_url: String,
    _process: ChildProcess,
}

impl EtcdCluster {
    /// Starts the three members and waits until each reports itself healthy (in a quorum with a
    /// leader).
    pub async fn start(program: PathBuf) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("compare-etcd").tempdir()?;
        let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
        let initial_cluster = ports
            .iter()
            .enumerate()
            .map(|(index, (_, peer))| format!("m{index}=http://127.0.0.1:{peer}"))
            .collect::<Vec<_>>()
            .join(",");
        let members = ports
            .iter()
            .enumerate()
            .map(|(index, (client, peer))| {
                let client_url = format!("http://127.0.0.1:{client}");
                let peer_url = format!("http://127.0.0.1:{peer}");
                let data_dir = dir.path().join(format!("m{index}"));
                let args: Vec<String> = [
                    "--name",
                    &format!("m{index}"),
                    "--data-dir",
                    &data_dir.display().to_string(),
                    "--listen-client-urls",
                    &client_url,
                    "--advertise-client-urls",
                    &client_url,
                    "--listen-peer-urls",
                    &peer_url,
                    "--initial-advertise-peer-urls",
                    &peer_url,
                    "--initial-cluster",
                    &initial_cluster,
                    "--initial-cluster-state",
                    "new",
                    "--initial-cluster-token",
                    "compare-bench",
                    "--enable-v2=true",
                    "--logger",
                    "zap",
                    "--log-outputs",
                    "stderr",
                ]
                .iter()
                .map(|arg| arg.to_string())
                .collect();
                let log = dir.path().join(format!("m{index}.log"));
                Member { client_url, _process: ChildProcess::spawn(&program, &args, &log) }
            })
            .collect();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
        let cluster = EtcdCluster { members, http, _dir: dir };
        for member in &cluster.members {
            let url = format!("{}/health", member.client_url);
            eventually(&format!("etcd at {} to be healthy", member.client_url), Duration::from_secs(60), || async {
                let health: Value = cluster.http.get(&url).send().await.ok()?.json().await.ok()?;
                (health["health"] == "true").then_some(())
            })
            .await;
        }
        Ok(cluster)
    }

    async fn stats(&self, member: usize, which: &str) -> Result<Value> {
        let url = format!("{}/v2/stats/{which}", self.members[member].client_url);
        Ok(self.http.get(url).send().await?.error_for_status()?.json().await?)
    }

    fn client(&self, member: usize, http: reqwest::Client) -> EtcdClient {
        EtcdClient { http, base: format!("{}/v2/keys", self.members[member].client_url) }
    }
}

impl Cluster for EtcdCluster {
    type Client = EtcdClient;

    fn name(&self) -> &'static str {
        "etcd"
    }

    fn node_count(&self) -> usize {
        self.members.len()
    }

    async fn leader(&self) -> Result<usize> {
        for member in 0..self.members.len() {
            if self.stats(member, "self").await?["state"] == "StateLeader" {
                return Ok(member);
            }
        }
        bail!("no etcd member says it leads")
    }

    async fn connect(&self, member: usize) -> Result<EtcdClient> {
        Ok(self.client(member, reqwest::Client::builder().tcp_nodelay(true).build()?))
    }

    async fn watchers(&self, count: usize) -> Result<Watchers<EtcdClient>> {
        let mut clients = Vec::with_capacity(count);
        for pool in 0..count.div_ceil(WATCHES_PER_POOL) {
            let http = reqwest::Client::builder().tcp_nodelay(true).pool_max_idle_per_host(WATCHES_PER_POOL).build()?;
            let member = pool % self.members.len();
            for _ in 0..WATCHES_PER_POOL.min(count - clients.len()) {
                clients.push(self.client(member, http.clone()));
            }
        }
        Ok(Watchers { clients, shortfall: None })
    }

    async fn armed_watches(&self) -> Result<usize> {
        let mut armed = 0;
        for member in 0..self.members.len() {
            let store = self.stats(member, "store").await?;
            armed += store["watchers"].as_u64().context("v2 store stats count watchers")? as usize;
        }
        Ok(armed)
    }
}

/// A client of one member's v2 key API.
pub struct EtcdClient {
    http: reqwest::Client,
    /// `http://127.0.0.1:port/v2/keys`.
    base: String,
}

impl EtcdClient {
    /// Sends a v2 key request; the answer's headers and body if it succeeded.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<(HeaderMap, Value)> {
        let response = request.send().await?;
        let (status, headers) = (response.status(), response.headers().clone());
        let body: Value = response.json().await?;
        if !status.is_success() {
            bail!("etcd answered {status}: {body}");
        }
        Ok((headers, body))
    }

    fn put(&self, key: &str, query: &[(&str, &str)], value: &str) -> reqwest::RequestBuilder {
        self.http.put(format!("{}{key}", self.base)).query(query).form(&[("value", value)])
    }
}

/// The `modifiedIndex` of the node in a v2 answer.
fn modified_index(body: &Value) -> Result<Version> {
    body["node"]["modifiedIndex"].as_i64().with_context(|| format!("no modifiedIndex in {body}"))
}

impl Client for EtcdClient {
    async fn make_dir(&self, path: &str) -> Result<()> {
        let request = self.http.put(format!("{}{path}", self.base)).query(&[("dir", "true")]);
        let response = request.send().await?;
        let status = response.status();
        let body: Value = response.json().await?;
        // 102 "Not a file" / 105 "Key already exists": the directory is there already.
        match (status.is_success(), body["errorCode"].as_u64()) {
            (true, _) | (false, Some(102 | 105)) => Ok(()),
            _ => bail!("etcd answered {status}: {body}"),
        }
    }

    async fn write(&self, key: &str, value: &str) -> Result<()> {
        self.send(self.put(key, &[], value)).await.map(drop)
    }

    async fn create(&self, key: &str, value: &str) -> Result<()> {
        self.send(self.put(key, &[("prevExist", "false")], value)).await.map(drop)
    }

    async fn read(&self, key: &str) -> Result<Version> {
        let (_, body) = self.send(self.http.get(format!("{}{key}", self.base))).await?;
        modified_index(&body)
    }

    async fn cas(&self, key: &str, expected: Version, value: &str) -> Result<Version> {
        let (_, body) = self.send(self.put(key, &[("prevIndex", &expected.to_string())], value)).await?;
        modified_index(&body)
    }

    async fn watch(&self, key: &str) -> Result<()> {
        let url = format!("{}{key}", self.base);
        let (headers, _) = self.send(self.http.get(&url)).await?;
        // Wait from the store's index at the read, not the key's: a `waitIndex` more than 1000
        // events old is refused.
        let index: u64 = headers
            .get("x-etcd-index")
            .and_then(|value| value.to_str().ok()?.parse().ok())
            .context("a v2 read carries X-Etcd-Index")?;
        let wait_index = (index + 1).to_string();
        self.send(self.http.get(&url).query(&[("wait", "true"), ("waitIndex", wait_index.as_str())])).await?;
        Ok(())
    }
}
