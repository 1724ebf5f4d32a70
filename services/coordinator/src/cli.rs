//! The client subcommands (`status`, `ls`, `get`, `stat`, `create`, `set`, `delete`, `watch`),
//! used the way zkCli is used to check a cluster, and the pseudo-cluster config writer.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use corral_coord_client::{CoordAddresses, CoordClient, CreateMode, WatchItem, WatchSpec, ANY_VERSION};
use serde::Serialize;

use crate::config::PseudoCluster;

#[derive(Debug, Args)]
pub struct ServerArg {
    /// Coordinator client addresses, `HOST:PORT[,HOST:PORT...]`.
    #[arg(long, env = "CORRAL_COORDINATOR", default_value = "127.0.0.1:2181")]
    server: String,
    /// `--tls-ca` and `--token-file` reach a secured cluster.
    #[command(flatten)]
    security: corral_kit::SecurityArgs,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Show the answering node's status (mode, zxid, leader, node count).
    Status {
        #[command(flatten)]
        server: ServerArg,
    },
    /// List the children of a znode.
    Ls {
        #[command(flatten)]
        server: ServerArg,
        path: String,
    },
    /// Print a znode's data.
    Get {
        #[command(flatten)]
        server: ServerArg,
        path: String,
    },
    /// Print a znode's stat.
    Stat {
        #[command(flatten)]
        server: ServerArg,
        path: String,
    },
    /// Create a znode.
    Create {
        #[command(flatten)]
        server: ServerArg,
        /// Ephemeral: deleted when this command's session ends (right after it exits).
        #[arg(short = 'e')]
        ephemeral: bool,
        /// Sequential: a 10-digit counter is appended to the name.
        #[arg(short = 's')]
        sequential: bool,
        path: String,
        #[arg(default_value = "")]
        data: String,
    },
    /// Replace a znode's data.
    Set {
        #[command(flatten)]
        server: ServerArg,
        #[arg(short = 'v', default_value_t = ANY_VERSION, allow_negative_numbers = true)]
        version: i64,
        path: String,
        data: String,
    },
    /// Delete a znode.
    Delete {
        #[command(flatten)]
        server: ServerArg,
        #[arg(short = 'v', default_value_t = ANY_VERSION, allow_negative_numbers = true)]
        version: i64,
        path: String,
    },
    /// Print every event on a znode and everything below it, as JSON lines, until interrupted.
    Watch {
        #[command(flatten)]
        server: ServerArg,
        path: String,
    },
}

fn connect(server: &ServerArg) -> anyhow::Result<CoordClient> {
    let security = server.security.load().map_err(anyhow::Error::msg)?;
    let addresses = CoordAddresses::parse_with_scheme(&server.server, security.client.scheme()).context("--server")?;
    Ok(CoordClient::with_security(addresses, &security.client))
}

fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub async fn run(command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Status { server } => print_json(&connect(&server)?.status().await?),
        ClientCommand::Ls { server, path } => {
            for child in connect(&server)?.children(&path).await?.children {
                println!("{child}");
            }
            Ok(())
        }
        ClientCommand::Get { server, path } => {
            println!("{}", connect(&server)?.get(&path).await?.data);
            Ok(())
        }
        ClientCommand::Stat { server, path } => print_json(&connect(&server)?.get(&path).await?.stat),
        ClientCommand::Create { server, ephemeral, sequential, path, data } => {
            let client = connect(&server)?;
            let mode = CreateMode::from_flags(ephemeral, sequential);
            let session = match ephemeral {
                true => Some(client.create_session(std::time::Duration::from_secs(10)).await?),
                false => None,
            };
            let created = client.create(&path, &data, mode, session.as_ref().map(|s| s.id())).await?;
            println!("{}", created.path);
            if let Some(session) = session {
                session.close().await?;
            }
            Ok(())
        }
        ClientCommand::Set { server, version, path, data } => {
            print_json(&connect(&server)?.set(&path, &data, version).await?)
        }
        ClientCommand::Delete { server, version, path } => {
            connect(&server)?.delete(&path, version).await?;
            Ok(())
        }
        ClientCommand::Watch { server, path } => {
            let client = connect(&server)?;
            let since = client.get(&path).await.map(|_| client.seen_zxid()).unwrap_or(client.seen_zxid());
            let mut stream = client.watch(WatchSpec::prefix(path), since);
            loop {
                match stream.next().await? {
                    WatchItem::Event(event) => println!("{}", serde_json::to_string(&event)?),
                    WatchItem::Reset { zxid } => println!("{}", serde_json::json!({"reset": zxid})),
                }
            }
        }
    }
}

/// Writes `DIR/node1.toml..`, prints how to start each node, and returns the files written.
pub fn write_pseudo_cluster(cluster: &PseudoCluster, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = dir.canonicalize()?;
    let mut files = Vec::new();
    for config in cluster.configs(&dir) {
        config.validate()?;
        let file = dir.join(format!("node{}.toml", config.id));
        std::fs::write(&file, toml::to_string(&config)?).with_context(|| format!("cannot write {}", file.display()))?;
        println!(
            "corral-coordinator serve --config {}   # {:?}, client {}, peer {}",
            file.display(),
            config.role,
            config.client_listen,
            config.peer_listen
        );
        files.push(file);
    }
    Ok(files)
}

/// Runs one `serve` child process per config file until Ctrl-C or SIGTERM, then stops them all.
pub async fn run_pseudo_cluster(configs: &[PathBuf]) -> anyhow::Result<()> {
    let program = std::env::current_exe()?;
    let mut children = Vec::new();
    for config in configs {
        let child = tokio::process::Command::new(&program)
            .arg("serve")
            .arg("--config")
            .arg(config)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start the node of {}", config.display()))?;
        children.push(child);
    }
    println!("started {} nodes; check them with `corral-coordinator status --server 127.0.0.1:PORT`", children.len());
    corral_kit::shutdown_signal().await;
    for child in &mut children {
        if let Some(pid) = child.id() {
            // Ask each node to stop gracefully; kill_on_drop is the backstop.
            let _ = std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
        }
    }
    for child in &mut children {
        let _ = child.wait().await;
    }
    Ok(())
}
