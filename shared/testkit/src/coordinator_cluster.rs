//! [`CoordinatorCluster`]: real `corral-coordinator` processes on free loopback ports, each with
//! its own generated config file and data directory, that a test can kill and restart, pause and
//! resume, and (with `peer_links`) cut off from its peers.

use std::fmt::Write;
use std::time::Duration;

use corral_wire::coordinator::Status;
use tempfile::TempDir;

use crate::{binary, eventually, free_port, ChildProcess, PeerLinks};

/// Settings written into every node's config.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    pub participants: usize,
    pub observers: usize,
    pub heartbeat_ms: u64,
    pub election_timeout_min_ms: u64,
    pub election_timeout_max_ms: u64,
    pub snapshot_every: u64,
    pub keep_logs: u64,
    pub watch_history: usize,
    pub max_data_bytes: u64,
    /// A data directory of the test's choosing for one node (its index): a small file system, say.
    pub data_dir: Option<(usize, std::path::PathBuf)>,
    /// Route every node's peer traffic through [`PeerLinks`], so the test can partition nodes.
    pub peer_links: bool,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            participants: 3,
            observers: 0,
            heartbeat_ms: 100,
            election_timeout_min_ms: 500,
            election_timeout_max_ms: 1000,
            snapshot_every: 20_000,
            keep_logs: 5_000,
            watch_history: 100_000,
            max_data_bytes: 1024 * 1024,
            data_dir: None,
            peer_links: false,
        }
    }
}

/// One node of the cluster.
pub struct CoordinatorNodeProcess {
    pub id: u64,
    pub client: String,
    pub peer: String,
    pub process: ChildProcess,
}

pub struct CoordinatorCluster {
    pub nodes: Vec<CoordinatorNodeProcess>,
    links: Option<PeerLinks>,
    http: reqwest::Client,
    // Dropped last: the data directories outlive the processes.
    _dir: TempDir,
}

impl CoordinatorCluster {
    /// Starts the nodes and waits until every participant and observer knows a leader.
    pub async fn start(options: ClusterOptions) -> Self {
        let mut dir = tempfile::tempdir().expect("temporary directory");
        if std::env::var_os("CORRAL_TEST_KEEP_DIRS").is_some() {
            // For a post-mortem: configs, logs and sqlite files stay after the test.
            dir.disable_cleanup(true);
            eprintln!("coordinator cluster in {}", dir.path().display());
        }
        let total = options.participants + options.observers;
        let addrs: Vec<(String, String)> =
            (0..total).map(|_| (format!("127.0.0.1:{}", free_port()), format!("127.0.0.1:{}", free_port()))).collect();
        let links = match options.peer_links {
            true => {
                let targets: Vec<_> = addrs.iter().map(|(_, peer)| peer.parse().expect("a socket address")).collect();
                Some(PeerLinks::start(&targets).await)
            }
            false => None,
        };
        // The members as node `from` lists them: the others behind its links, if there are links.
        let members = |from: usize| {
            let mut members = String::new();
            for (index, (client, peer)) in addrs.iter().take(options.participants).enumerate() {
                let peer = match &links {
                    Some(links) if index != from => links.address(from, index).to_string(),
                    _ => peer.clone(),
                };
                let _ =
                    write!(members, "\n[[members]]\nid = {}\nclient = \"{client}\"\npeer = \"{peer}\"\n", index + 1);
            }
            members
        };
        let program = binary("corral-coordinator");
        let nodes = addrs
            .iter()
            .enumerate()
            .map(|(index, (client, peer))| {
                let id = index as u64 + 1;
                let role = if index < options.participants { "participant" } else { "observer" };
                let config = format!(
                    "id = {id}\nrole = \"{role}\"\nclient_listen = \"{client}\"\npeer_listen = \"{peer}\"\n\
                     data_dir = \"{data}\"\nmax_data_bytes = {max_data}\nwatch_history = {history}\n\n[raft]\n\
                     heartbeat_ms = {hb}\nelection_timeout_min_ms = {emin}\nelection_timeout_max_ms = {emax}\n\
                     snapshot_every = {snap}\nkeep_logs = {keep}\n{members}",
                    members = members(index),
                    data = match &options.data_dir {
                        Some((node, path)) if *node == index => path.clone(),
                        _ => dir.path().join(format!("node{id}")),
                    }
                    .display(),
                    max_data = options.max_data_bytes,
                    history = options.watch_history,
                    hb = options.heartbeat_ms,
                    emin = options.election_timeout_min_ms,
                    emax = options.election_timeout_max_ms,
                    snap = options.snapshot_every,
                    keep = options.keep_logs,
                );
                let config_path = dir.path().join(format!("node{id}.toml"));
                std::fs::write(&config_path, config).expect("write the node config");
                let args = vec!["serve".to_string(), "--config".to_string(), config_path.display().to_string()];
                let log = dir.path().join(format!("node{id}.log"));
                CoordinatorNodeProcess {
                    id,
                    client: client.clone(),
                    peer: peer.clone(),
                    process: ChildProcess::spawn(&program, &args, &log),
                }
            })
            .collect();
        let cluster = CoordinatorCluster {
            nodes,
            links,
            http: reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("http client"),
            _dir: dir,
        };
        for index in 0..cluster.nodes.len() {
            cluster.wait_until_synced(index).await;
        }
        cluster
    }

    /// Every node's client address, comma-separated, as `--server` and the client take them.
    pub fn servers(&self) -> String {
        self.nodes.iter().map(|node| node.client.as_str()).collect::<Vec<_>>().join(",")
    }

    pub fn client_addrs(&self) -> Vec<String> {
        self.nodes.iter().map(|node| node.client.clone()).collect()
    }

    /// `GET /v1/status` of one node, or `None` if it does not answer.
    pub async fn status(&self, index: usize) -> Option<Status> {
        let url = format!("http://{}/v1/status", self.nodes[index].client);
        self.http.get(url).send().await.ok()?.json().await.ok()
    }

    /// Waits until the node answers and knows a leader.
    pub async fn wait_until_synced(&self, index: usize) {
        let what = format!("node {} to know a leader", self.nodes[index].id);
        eventually(&what, Duration::from_secs(20), || async {
            self.status(index).await.filter(|status| status.mode != "looking").map(|_| ())
        })
        .await;
    }

    /// The index of the node that leads, once one leads and every running node agrees.
    pub async fn leader(&self) -> usize {
        eventually("a leader", Duration::from_secs(20), || async {
            for index in 0..self.nodes.len() {
                if self.status(index).await.is_some_and(|status| status.mode == "leader") {
                    return Some(index);
                }
            }
            None
        })
        .await
    }

    pub fn kill(&mut self, index: usize) {
        self.nodes[index].process.kill();
    }

    pub fn restart(&mut self, index: usize) {
        self.nodes[index].process.restart();
    }

    /// SIGSTOP: the node keeps its sockets but answers nothing until [`Self::resume`].
    pub fn pause(&self, index: usize) {
        self.nodes[index].process.signal("STOP");
    }

    /// SIGCONT after [`Self::pause`].
    pub fn resume(&self, index: usize) {
        self.nodes[index].process.signal("CONT");
    }

    /// The proxies between the nodes; panics unless the cluster started with `peer_links`.
    pub fn links(&self) -> &PeerLinks {
        self.links.as_ref().expect("the cluster was started with peer_links")
    }
}
