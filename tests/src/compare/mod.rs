//! `compare-bench`'s engine: the same workload against Apache ZooKeeper, etcd and Corral's
//! coordinator, each a 3-node cluster on loopback, each driven through its own native client
//! protocol (ZooKeeper's wire protocol, etcd's v2 HTTP API, Corral's HTTP API through
//! `corral-coord-client`).
//!
//! A system is a [`Cluster`] (started by its module, stopped when dropped) that hands out
//! [`Client`]s, each with its own connection or session. This module holds what is the same for
//! every system: the load loop (closed-loop clients, a warm-up, then a measured window with
//! hdrhistogram latencies), the [`PhaseResult`] of each phase, and the markdown table that puts
//! the systems side by side with the ratio Corral / best peer. The watch fan-out is in
//! `fan_out.rs`.

pub mod corral;
pub mod etcd;
mod fan_out;
pub mod zookeeper;

use std::fmt::Write as _;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use hdrhistogram::Histogram;
use tokio::time::Instant;

pub use fan_out::{FanOut, Watchers};

/// A key's version as its system counts changes: ZooKeeper's data version, etcd's
/// `modifiedIndex`, Corral's znode version.
pub type Version = i64;

/// The operations every system's client offers. Each client owns its own connection (or
/// session), as a separate program would.
pub trait Client: Send + Sync + 'static {
    /// Makes a directory for keys to be created under; one that exists already is fine.
    fn make_dir(&self, path: &str) -> impl Future<Output = Result<()>> + Send;
    /// Sets an existing key's value, whatever its version.
    fn write(&self, key: &str, value: &str) -> impl Future<Output = Result<()>> + Send;
    /// Creates a key that does not exist yet.
    fn create(&self, key: &str, value: &str) -> impl Future<Output = Result<()>> + Send;
    /// Reads a key; its version.
    fn read(&self, key: &str) -> impl Future<Output = Result<Version>> + Send;
    /// Sets a key's value only if its version is still `expected`; the new version.
    fn cas(&self, key: &str, expected: Version, value: &str) -> impl Future<Output = Result<Version>> + Send;
    /// Reads the key, then waits until it changes after that read.
    fn watch(&self, key: &str) -> impl Future<Output = Result<()>> + Send;
}

/// A running cluster of one system; dropping it kills its processes.
pub trait Cluster: Send + Sync {
    type Client: Client;
    /// The system's name as the table shows it.
    fn name(&self) -> &'static str;
    fn node_count(&self) -> usize;
    /// The index of the node that leads.
    fn leader(&self) -> impl Future<Output = Result<usize>> + Send;
    /// A new client with its own connection (or session) to node `node`.
    fn connect(&self, node: usize) -> impl Future<Output = Result<Self::Client>> + Send;
    /// Clients for `count` watchers spread over the nodes, connected as a program holding that
    /// many watches would connect them; fewer when the system cannot take that many.
    fn watchers(&self, count: usize) -> impl Future<Output = Result<Watchers<Self::Client>>> + Send;
    /// How many watches are waiting on the servers, summed over the nodes.
    fn armed_watches(&self) -> impl Future<Output = Result<usize>> + Send;
}

/// What every system is measured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The measured window of each throughput phase.
    pub seconds: u64,
    /// Load before the measured window starts.
    pub warmup: Duration,
    /// Clients of the "many clients" phases.
    pub clients: usize,
    /// Watchers of the fan-out.
    pub watchers: usize,
    pub value_bytes: usize,
    /// Only the watch fan-out, no throughput phases.
    pub fan_out_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Write,
    Create,
    Read,
    Cas,
}

/// Where the clients connect: all to the leader, or round-robin over every node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Leader,
    AllNodes,
}

/// One throughput phase.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    pub operation: Operation,
    pub clients: usize,
    pub target: Target,
}

impl Workload {
    /// The table row's name.
    pub fn label(&self, nodes: usize) -> String {
        let what = match self.operation {
            Operation::Write => "writes/s",
            Operation::Create => "creates/s (new keys)",
            Operation::Read => "reads/s",
            Operation::Cas => "CAS/s (own key, versioned set)",
        };
        let clients = match self.clients {
            1 => "1 client".to_string(),
            many => format!("{many} clients"),
        };
        match self.target {
            Target::Leader => format!("{what}, {clients}, to the leader"),
            Target::AllNodes => format!("{what}, {clients} over {nodes} nodes"),
        }
    }
}

/// The throughput phases, in the order they run.
pub fn workloads(settings: &Settings) -> Vec<Workload> {
    let many = |operation| Workload { operation, clients: settings.clients, target: Target::AllNodes };
    vec![
        Workload { operation: Operation::Write, clients: 1, target: Target::Leader },
        many(Operation::Write),
        many(Operation::Create),
        many(Operation::Read),
        many(Operation::Cas),
    ]
}

/// The key client `index` writes, reads and CASes.
fn bench_key(index: usize) -> String {
    format!("/bench/c{index}")
}

/// What one throughput phase did within its measured window.
#[derive(Debug)]
pub struct PhaseResult {
    /// Operations that completed successfully within the window.
    pub operations: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub window: Duration,
    /// Microseconds per successful operation.
    pub latency: Histogram<u64>,
}

impl PhaseResult {
    fn empty(window: Duration) -> Self {
        PhaseResult {
            operations: 0,
            errors: 0,
            first_error: None,
            window,
            // Fixed bounds (1 µs to a minute): hdrhistogram 7.6 adds auto-resizing histograms
            // wrongly (the sum of 800 records of ~5 ms has a median of 2 µs).
            latency: Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"),
        }
    }

    pub fn per_second(&self) -> f64 {
        self.operations as f64 / self.window.as_secs_f64()
    }

    /// The latency at quantile `q`, in milliseconds.
    pub fn latency_ms(&self, q: f64) -> f64 {
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }

    fn absorb(&mut self, other: PhaseResult) {
        self.operations += other.operations;
        self.errors += other.errors;
        self.first_error = self.first_error.take().or(other.first_error);
        self.latency.add(other.latency).expect("histograms with the same precision add up");
    }
}

/// The seeded keys, then every throughput phase and the fan-out against one started cluster.
pub async fn run_system<C: Cluster>(cluster: &C, settings: &Settings) -> Result<SystemReport> {
    let mut report = SystemReport { name: cluster.name(), rows: Vec::new() };
    if !settings.fan_out_only {
        let setup = cluster.connect(0).await?;
        setup.make_dir("/bench").await?;
        setup.make_dir("/bench/new").await?;
        let value = "x".repeat(settings.value_bytes);
        for index in 0..settings.clients {
            setup.create(&bench_key(index), &value).await?;
        }
        for workload in workloads(settings) {
            let label = workload.label(cluster.node_count());
            eprintln!("{}: {label}", cluster.name());
            let measurement = match run_phase(cluster, workload, settings).await {
                Ok(result) => Measurement::Throughput(result),
                Err(error) => Measurement::Failed(format!("{error:#}")),
            };
            report.rows.push((label, measurement));
        }
    }
    eprintln!("{}: watch fan-out, {} watchers", cluster.name(), settings.watchers);
    let measurement = match fan_out::measure(cluster, settings.watchers).await {
        Ok(fan_out) => Measurement::FanOut(fan_out),
        Err(error) => Measurement::Failed(format!("{error:#}")),
    };
    report.rows.push((fan_out::label(settings.watchers), measurement));
    Ok(report)
}

/// Connects the workload's clients, runs them through the warm-up and the measured window, and
/// adds up what they did in the window.
async fn run_phase<C: Cluster>(cluster: &C, workload: Workload, settings: &Settings) -> Result<PhaseResult> {
    let nodes: Vec<usize> = match workload.target {
        Target::Leader => vec![cluster.leader().await?],
        Target::AllNodes => (0..cluster.node_count()).collect(),
    };
    let mut clients = Vec::with_capacity(workload.clients);
    for index in 0..workload.clients {
        clients.push(cluster.connect(nodes[index % nodes.len()]).await?);
    }
    let value: Arc<str> = "x".repeat(settings.value_bytes).into();
    let from = Instant::now() + settings.warmup;
    let window = Window { from, until: from + Duration::from_secs(settings.seconds) };
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(index, client)| tokio::spawn(client_loop(client, index, workload.operation, value.clone(), window)))
        .collect();
    let mut total = PhaseResult::empty(window.until - window.from);
    for task in tasks {
        total.absorb(task.await?);
    }
    Ok(total)
}

/// The measured part of a phase: operations that complete within it count.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: Instant,
    until: Instant,
}

/// One closed-loop client: the next operation starts when the last has answered.
async fn client_loop<K: Client>(
    client: K,
    index: usize,
    operation: Operation,
    value: Arc<str>,
    window: Window,
) -> PhaseResult {
    let key = bench_key(index);
    let mut result = PhaseResult::empty(window.until - window.from);
    // The version a CAS expects; `None` until read, and again after a refused CAS.
    let mut version: Option<Version> = None;
    let mut created = 0_u64;
    loop {
        let sent = Instant::now();
        if sent >= window.until {
            break;
        }
        let outcome = match operation {
            Operation::Write => client.write(&key, &value).await,
            Operation::Create => {
                created += 1;
                client.create(&format!("/bench/new/c{index}-{created}"), &value).await
            }
            Operation::Read => client.read(&key).await.map(drop),
            Operation::Cas => match version {
                None => {
                    // The read that starts (or restarts) a CAS loop is not an operation counted.
                    match client.read(&key).await {
                        Ok(read) => version = Some(read),
                        Err(error) => note_error(&mut result, error),
                    }
                    continue;
                }
                Some(expected) => client.cas(&key, expected, &value).await.map(|new| version = Some(new)),
            },
        };
        let done = Instant::now();
        if outcome.is_err() {
            version = None;
        }
        if done < window.from || done > window.until {
            continue;
        }
        match outcome {
            Ok(()) => {
                result.operations += 1;
                result.latency.saturating_record((done - sent).as_micros().max(1) as u64);
            }
            Err(error) => note_error(&mut result, error),
        }
    }
    result
}

fn note_error(result: &mut PhaseResult, error: anyhow::Error) {
    result.errors += 1;
    if result.first_error.is_none() {
        result.first_error = Some(format!("{error:#}"));
    }
}

/// One row's cell for one system.
#[derive(Debug)]
pub enum Measurement {
    Throughput(PhaseResult),
    FanOut(FanOut),
    Failed(String),
}

/// Everything measured of one system, row by row.
#[derive(Debug)]
pub struct SystemReport {
    pub name: &'static str,
    pub rows: Vec<(String, Measurement)>,
}

/// The markdown table: one row per measurement, ops/s (or ms for the fan-out) with p50 and p99
/// per system, then Corral's figure over the best peer's (for throughput higher is better, for
/// the fan-out lower). Notes about errors and shortfalls follow the table.
pub fn render_table(reports: &[SystemReport]) -> String {
    let mut labels: Vec<&str> = Vec::new();
    for (label, _) in reports.iter().flat_map(|report| &report.rows) {
        if !labels.contains(&label.as_str()) {
            labels.push(label);
        }
    }
    let corral = reports.iter().position(|report| report.name == corral::NAME);
    let ratio_column = corral.is_some() && reports.len() > 1;
    let mut table = String::from("| measurement |");
    let mut rule = String::from("|---|");
    for report in reports {
        let _ = write!(table, " {} | p50 ms | p99 ms |", report.name);
        rule.push_str("---:|---:|---:|");
    }
    if ratio_column {
        table.push_str(" Corral / best peer |");
        rule.push_str("---:|");
    }
    let _ = writeln!(table, "\n{rule}");
    let mut notes = Vec::new();
    for label in labels {
        let _ = write!(table, "| {label} |");
        let cells: Vec<Option<&Measurement>> = reports
            .iter()
            .map(|report| report.rows.iter().find(|(row, _)| row == label).map(|(_, measurement)| measurement))
            .collect();
        for (report, cell) in reports.iter().zip(&cells) {
            table.push_str(&cell_text(*cell));
            if let Some(note) = cell.and_then(cell_note) {
                notes.push(format!("{} — {label}: {note}", report.name));
            }
        }
        if let (true, Some(corral)) = (ratio_column, corral) {
            let _ = write!(table, " {} |", ratio_text(&cells, corral));
        }
        table.push('\n');
    }
    for note in notes {
        let _ = write!(table, "\n- {note}");
    }
    table
}

fn cell_text(cell: Option<&Measurement>) -> String {
    match cell {
        None => " – | – | – |".to_string(),
        Some(Measurement::Throughput(result)) => {
            format!(" {:.0} | {:.2} | {:.2} |", result.per_second(), result.latency_ms(0.5), result.latency_ms(0.99))
        }
        Some(Measurement::FanOut(fan_out)) => {
            let ms = |delay: Duration| delay.as_secs_f64() * 1000.0;
            let watchers = match fan_out.watchers == fan_out.requested {
                true => String::new(),
                false => format!(" ({} watchers)", fan_out.watchers),
            };
            format!(
                " {:.1} ms{watchers} | {:.1} | {:.1} |",
                ms(fan_out.last()),
                ms(fan_out.quantile(0.5)),
                ms(fan_out.quantile(0.99))
            )
        }
        Some(Measurement::Failed(_)) => " failed | – | – |".to_string(),
    }
}

/// What the reader should know beside a cell: errors during the phase, a fan-out with fewer
/// watchers than asked for, a failure.
fn cell_note(measurement: &Measurement) -> Option<String> {
    match measurement {
        Measurement::Throughput(result) if result.errors > 0 => Some(format!(
            "{} operations failed, the first: {}",
            result.errors,
            result.first_error.as_deref().unwrap_or("?")
        )),
        Measurement::FanOut(fan_out) => fan_out.shortfall.clone(),
        Measurement::Failed(error) => Some(format!("failed: {error}")),
        Measurement::Throughput(_) => None,
    }
}

/// Corral's figure over the best peer's: throughput over the highest peer throughput, fan-out
/// time over the shortest peer time.
fn ratio_text(cells: &[Option<&Measurement>], corral: usize) -> String {
    let figure = |cell: &Option<&Measurement>| match cell {
        Some(Measurement::Throughput(result)) => Some(result.per_second()),
        Some(Measurement::FanOut(fan_out)) => Some(fan_out.last().as_secs_f64()),
        _ => None,
    };
    let lower_is_better = matches!(cells[corral], Some(Measurement::FanOut(_)));
    let peers = cells.iter().enumerate().filter(|(index, _)| *index != corral).filter_map(|(_, cell)| figure(cell));
    let best = match lower_is_better {
        true => peers.reduce(f64::min),
        false => peers.reduce(f64::max),
    };
    match (figure(&cells[corral]), best) {
        (Some(ours), Some(best)) if best > 0.0 => {
            let note = if lower_is_better { " (time: lower is better)" } else { "" };
            format!("{:.2}×{note}", ours / best)
        }
        _ => "–".to_string(),
    }
}

/// Raises this process's soft limit of open files to its hard limit (children inherit it: the
/// servers hold thousands of watcher connections too); the new soft limit.
pub fn raise_open_files_limit() -> Result<u64> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard)?;
    Ok(hard)
}

/// `name` if it is an executable file in one of `$PATH`'s directories.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}
