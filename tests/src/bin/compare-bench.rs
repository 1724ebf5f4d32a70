//! `compare-bench`: Apache ZooKeeper, etcd and Corral's coordinator side by side on this machine,
//! three durable nodes each on loopback, one system at a time, each driven through its native
//! client protocol by this one load generator (see `corral_tests::compare`). Prints a markdown
//! table: writes, creates, reads and CAS per second with p50/p99 latency, and the time for one
//! write to reach 10,000 watchers, with Corral's figure over the best peer's.
//!
//! Run with `cargo build --release -p corral-coordinator -p corral-tests --bin compare-bench &&
//! target/release/compare-bench`; `--systems corral` measures Corral alone.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use corral_tests::compare::corral::CorralCluster;
use corral_tests::compare::etcd::{etcd_program, EtcdCluster};
use corral_tests::compare::zookeeper::{self, ZooKeeperCluster};
use corral_tests::compare::{raise_open_files_limit, render_table, run_system, Settings, SystemReport};

/// mimalloc, as in the coordinator: the load generator's own cost should stay small beside the
/// servers'.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    /// The systems to measure, in this order.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "zookeeper,etcd,corral")]
    systems: Vec<System>,
    /// Seconds each throughput phase is measured.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Seconds of load before each phase's measured window.
    #[arg(long, default_value_t = 1)]
    warmup_seconds: u64,
    /// Clients of the writes, creates, reads and CAS phases (besides the one-client writes).
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Watchers in the fan-out.
    #[arg(long, default_value_t = 10_000)]
    watchers: usize,
    /// Bytes of every value written.
    #[arg(long, default_value_t = 100)]
    value_bytes: usize,
    /// Measure only the watch fan-out.
    #[arg(long)]
    fan_out_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum System {
    Zookeeper,
    Etcd,
    Corral,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match raise_open_files_limit() {
        Ok(limit) if limit < args.watchers as u64 + 1000 => {
            eprintln!("warning: only {limit} open files allowed; {} watchers may not all connect", args.watchers)
        }
        Ok(_) => {}
        Err(error) => eprintln!("warning: cannot raise the open files limit: {error}"),
    }
    let settings = Settings {
        seconds: args.seconds,
        warmup: Duration::from_secs(args.warmup_seconds),
        clients: args.clients,
        watchers: args.watchers,
        value_bytes: args.value_bytes,
        fan_out_only: args.fan_out_only,
    };
    let load_before = load_average();
    // Ctrl-C or SIGTERM drops the running cluster, which kills its processes, instead of leaving
    // them behind.
    let reports = tokio::select! {
        reports = measure_all(&args.systems, &settings) => reports,
        () = corral_kit::shutdown_signal() => {
            eprintln!("interrupted: the running cluster's processes are killed");
            return ExitCode::from(130);
        }
    };
    if reports.is_empty() {
        eprintln!("nothing was measured");
        return ExitCode::FAILURE;
    }
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "3 nodes per system on loopback, durable (fsync) writes, {} B values; each phase {} s after {} s of \
         warm-up; servers and this load generator share {cores} cores (1-minute load average {load_before} \
         before the run, {} at its end including the run itself; anything else running skews the figures).\n",
        settings.value_bytes,
        settings.seconds,
        args.warmup_seconds,
        load_average()
    );
    println!("{}", render_table(&reports));
    ExitCode::SUCCESS
}

/// Each system in turn; a cluster is dropped (its processes killed) before the next one starts.
async fn measure_all(systems: &[System], settings: &Settings) -> Vec<SystemReport> {
    let mut reports = Vec::new();
    for system in systems {
        let report = match system {
            System::Zookeeper if !zookeeper::installed() => {
                eprintln!(
                    "ZooKeeper is not installed (needs /usr/bin/java and /usr/share/java/zookeeper.jar): \
                     `apt-get install zookeeper`"
                );
                continue;
            }
            System::Zookeeper => match ZooKeeperCluster::start().await {
                Ok(cluster) => run_system(&cluster, settings).await,
                Err(error) => Err(error),
            },
            System::Etcd => match etcd_program() {
                None => {
                    eprintln!("etcd is not installed: `apt-get install etcd-server`");
                    continue;
                }
                Some(program) => match EtcdCluster::start(program).await {
                    Ok(cluster) => run_system(&cluster, settings).await,
                    Err(error) => Err(error),
                },
            },
            System::Corral => run_system(&CorralCluster::start().await, settings).await,
        };
        match report {
            Ok(report) => reports.push(report),
            Err(error) => eprintln!("{system:?} could not be measured: {error:#}"),
        }
    }
    reports
}

/// The 1-minute load average, as `/proc/loadavg` has it, or `?`.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().next().unwrap_or("?").to_string()
}
