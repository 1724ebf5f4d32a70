//! Apache ZooKeeper in the comparison: three `QuorumPeerMain` JVMs from Debian's `zookeeper`
//! package on free loopback ports, each with its own config, `myid` and data directory in a
//! temporary directory, with ZooKeeper's default durability (`forceSync=yes`: every transaction log
//! write fsynced), driven through ZooKeeper's own wire protocol by the `zookeeper-client` crate.
//! Every client, load client or watcher, is a session of its own on its own TCP connection, as
//! separate programs would be. Readiness, the leader and the number of armed watches come from the
//! four-letter words `srvr` and `mntr`.

use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use corral_testkit::{eventually, free_port, ChildProcess};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use zookeeper_client::{Acls, CreateMode, Error as ZkError, EventType};

use super::{Client, Cluster, Version, Watchers};

const JAVA: &str = "/usr/bin/java";
const ZOOKEEPER_JAR: &str = "/usr/share/java/zookeeper.jar";
/// The classpath of Debian's `zkEnv.sh`.
const CLASSPATH: &str = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar";
/// A logging backend for the server's slf4j, so its log file says why it fails, if it does.
const SLF4J_SIMPLE: &str = "/usr/share/java/slf4j-simple.jar";
/// Clients' session timeout; ZooKeeper allows up to 20 ticks (40 s with `tickTime=2000`).
const SESSION_TIMEOUT: Duration = Duration::from_secs(30);
/// Sessions the fan-out opens at once.
const CONCURRENT_CONNECTS: usize = 100;

/// Whether Debian's ZooKeeper and a JVM are installed.
pub fn installed() -> bool {
    Path::new(JAVA).is_file() && Path::new(ZOOKEEPER_JAR).is_file()
}

pub struct ZooKeeperCluster {
    // Dropped first: the servers are killed before their data directories go.
    servers: Vec<Server>,
    _dir: TempDir,
}

struct Server {
    client_port: u16,
    _process: ChildProcess,
}

impl ZooKeeperCluster {
    /// Starts the three servers and waits until each serves as leader or follower.
    pub async fn start() -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("compare-zookeeper").tempdir()?;
        // (client, quorum, election) ports of each server.
        let ports: Vec<(u16, u16, u16)> = (0..3).map(|_| (free_port(), free_port(), free_port())).collect();
        let quorum: String = ports
            .iter()
            .enumerate()
            .map(|(index, (_, peer, election))| format!("server.{}=127.0.0.1:{peer}:{election}\n", index + 1))
            .collect();
        let classpath = match Path::new(SLF4J_SIMPLE).is_file() {
            true => format!("{CLASSPATH}:{SLF4J_SIMPLE}"),
            false => CLASSPATH.to_string(),
        };
        let mut servers = Vec::new();
        for (index, (client_port, _, _)) in ports.iter().enumerate() {
            let id = index + 1;
            let data_dir = dir.path().join(format!("zk{id}"));
            std::fs::create_dir_all(&data_dir)?;
            std::fs::write(data_dir.join("myid"), format!("{id}\n"))?;
            let config = format!(
                "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir={data}\nclientPort={client_port}\n\
                 clientPortAddress=127.0.0.1\nmaxClientCnxns=0\n4lw.commands.whitelist=*\n\
                 admin.enableServer=false\n{quorum}",
                data = data_dir.display(),
            );
            let config_path = dir.path().join(format!("zoo{id}.cfg"));
            std::fs::write(&config_path, config)?;
            let args: Vec<String> = [
                "-Xms512m",
                "-Xmx512m",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp",
                &classpath,
                "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                &config_path.display().to_string(),
            ]
            .iter()
            .map(|arg| arg.to_string())
            .collect();
            let log = dir.path().join(format!("zk{id}.log"));
            servers.push(Server {
                client_port: *client_port,
                _process: ChildProcess::spawn(Path::new(JAVA), &args, &log),
            });
        }
        let cluster = ZooKeeperCluster { servers, _dir: dir };
        for server in 0..cluster.servers.len() {
            let what = format!("ZooKeeper server {} to serve", server + 1);
            eventually(&what, Duration::from_secs(60), || async {
                let mode = cluster.mode(server).await.ok()?;
                (mode == "leader" || mode == "follower").then_some(())
            })
            .await;
        }
        Ok(cluster)
    }

    /// `leader`, `follower` or `standalone`, from `srvr`.
    async fn mode(&self, server: usize) -> Result<String> {
        let answer = four_letter_word(self.servers[server].client_port, "srvr").await?;
        answer
            .lines()
            .find_map(|line| line.strip_prefix("Mode: "))
            .map(str::to_string)
            .ok_or_else(|| anyhow!("no mode in {answer:?}"))
    }

    fn connect_string(&self, server: usize) -> String {
        format!("127.0.0.1:{}", self.servers[server].client_port)
    }
}

/// Sends a four-letter word to the client port and reads the whole answer.
async fn four_letter_word(port: u16, word: &str) -> Result<String> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream.write_all(word.as_bytes()).await?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await?;
        Ok::<_, anyhow::Error>(answer)
    };
    tokio::time::timeout(Duration::from_secs(5), exchange).await.context("four-letter word timed out")?
}

impl Cluster for ZooKeeperCluster {
    type Client = ZooKeeperClient;

    fn name(&self) -> &'static str {
        "ZooKeeper"
    }

    fn node_count(&self) -> usize {
        self.servers.len()
    }

    async fn leader(&self) -> Result<usize> {
        for server in 0..self.servers.len() {
            if self.mode(server).await? == "leader" {
                return Ok(server);
            }
        }
        bail!("no ZooKeeper server says it leads")
    }

    async fn connect(&self, server: usize) -> Result<ZooKeeperClient> {
        connect(self.connect_string(server)).await
    }

    /// One session per watcher, opened a hundred at a time; when sessions start failing, the
    /// fan-out goes on with those that opened, and says why there are no more.
    async fn watchers(&self, count: usize) -> Result<Watchers<ZooKeeperClient>> {
        let limit = std::sync::Arc::new(Semaphore::new(CONCURRENT_CONNECTS));
        let mut connecting = JoinSet::new();
        for watcher in 0..count {
            let (limit, target) = (limit.clone(), self.connect_string(watcher % self.servers.len()));
            connecting.spawn(async move {
                let _permit = limit.acquire_owned().await.expect("the semaphore is never closed");
                connect(target).await
            });
        }
        let (mut clients, mut failures) = (Vec::with_capacity(count), Vec::new());
        while let Some(outcome) = connecting.join_next().await {
            match outcome? {
                Ok(client) => clients.push(client),
                Err(error) => failures.push(format!("{error:#}")),
            }
        }
        let shortfall = failures.first().map(|first| {
            format!(
                "only {} of {count} ZooKeeper sessions could be opened; {} failed, the first with: {first}",
                clients.len(),
                failures.len()
            )
        });
        if let Some(shortfall) = &shortfall {
            eprintln!("ZooKeeper: {shortfall}");
        }
        Ok(Watchers { clients, shortfall })
    }

    async fn armed_watches(&self) -> Result<usize> {
        let mut armed = 0;
        for server in &self.servers {
            let answer = four_letter_word(server.client_port, "mntr").await?;
            let count = answer
                .lines()
                .find_map(|line| line.strip_prefix("zk_watch_count"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .ok_or_else(|| anyhow!("no zk_watch_count in mntr's answer {answer:?}"))?;
            armed += count;
        }
        Ok(armed)
    }
}

/// Opens a session with one server.
async fn connect(server: String) -> Result<ZooKeeperClient> {
    let connecting = zookeeper_client::Client::connector().with_session_timeout(SESSION_TIMEOUT).connect(&server);
    let client = tokio::time::timeout(SESSION_TIMEOUT, connecting)
        .await
        .with_context(|| format!("no session with {server} within {SESSION_TIMEOUT:?}"))??;
    Ok(ZooKeeperClient { client })
}

/// One ZooKeeper session.
pub struct ZooKeeperClient {
    client: zookeeper_client::Client,
}

impl Client for ZooKeeperClient {
    async fn make_dir(&self, path: &str) -> Result<()> {
        match self.client.create(path, b"", &CreateMode::Persistent.with_acls(Acls::anyone_all())).await {
            Ok(_) | Err(ZkError::NodeExists) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    async fn write(&self, key: &str, value: &str) -> Result<()> {
        self.client.set_data(key, value.as_bytes(), None).await?;
        Ok(())
    }

    async fn create(&self, key: &str, value: &str) -> Result<()> {
        self.client.create(key, value.as_bytes(), &CreateMode::Persistent.with_acls(Acls::anyone_all())).await?;
        Ok(())
    }

    async fn read(&self, key: &str) -> Result<Version> {
        let (_, stat) = self.client.get_data(key).await?;
        Ok(stat.version.into())
    }

    async fn cas(&self, key: &str, expected: Version, value: &str) -> Result<Version> {
        let expected = i32::try_from(expected).context("ZooKeeper versions are 32-bit")?;
        let stat = self.client.set_data(key, value.as_bytes(), Some(expected)).await?;
        Ok(stat.version.into())
    }

    async fn watch(&self, key: &str) -> Result<()> {
        let (_, _, watcher) = self.client.get_and_watch_data(key).await?;
        let event = watcher.changed().await;
        match event.event_type {
            EventType::NodeDataChanged => Ok(()),
            other => bail!("the watch ended with {other:?} ({:?})", event.session_state),
        }
    }
}
