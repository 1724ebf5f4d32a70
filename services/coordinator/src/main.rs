//! `corral-coordinator`: serve a node, write a pseudo-cluster's configs, or talk to a cluster
//! the way zkCli does.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use corral_coordinator::cli::{self, ClientCommand};
use corral_coordinator::config::PseudoCluster;
use corral_kit::LogFormat;

/// mimalloc: glibc's allocator spends a large share of the time freeing the many small buffers of
/// thousands of concurrent requests.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "corral-coordinator",
    version,
    about = "Corral's coordinator: ZooKeeper semantics over HTTP, replicated with raft."
)]
struct Args {
    #[arg(long, global = true, env = "CORRAL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Plain)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one coordinator node.
    Serve {
        /// The node's TOML configuration file.
        #[arg(long, env = "CORRAL_COORDINATOR_CONFIG")]
        config: PathBuf,
        #[command(flatten)]
        security: corral_kit::SecurityArgs,
    },
    /// Write the config files of a local pseudo-cluster and print how to start it.
    PseudoCluster {
        #[arg(long, default_value_t = 3)]
        nodes: u64,
        #[arg(long, default_value_t = 0)]
        observers: u64,
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 2181)]
        client_port: u16,
        #[arg(long, default_value_t = 2888)]
        peer_port: u16,
        /// Also start every node (as child processes) and run until Ctrl-C.
        #[arg(long)]
        start: bool,
    },
    #[command(flatten)]
    Client(ClientCommand),
}

fn main() -> ExitCode {
    let args = Args::parse();
    corral_kit::init_logging(args.log_format);
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    // When one write wakes thousands of waiting watches, tokio's LIFO slot runs each connection's
    // task right after each answer, so every answer is written with a syscall of its own. Without
    // it, a connection's answers queue up and go out together (`.cargo/config.toml` sets the cfg).
    #[cfg(tokio_unstable)]
    builder.disable_lifo_slot();
    let runtime = builder.build().expect("tokio runtime");
    let result = runtime.block_on(async {
        match args.command {
            Command::Serve { config, security } => corral_coordinator::serve::serve(&config, &security).await,
            Command::PseudoCluster { nodes, observers, dir, client_port, peer_port, start } => {
                let cluster =
                    PseudoCluster { nodes, observers, first_client_port: client_port, first_peer_port: peer_port };
                let configs = cli::write_pseudo_cluster(&cluster, &dir)?;
                match start {
                    true => cli::run_pseudo_cluster(&configs).await,
                    false => Ok(()),
                }
            }
            Command::Client(command) => cli::run(command).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("corral-coordinator: {error:#}");
            ExitCode::FAILURE
        }
    }
}
