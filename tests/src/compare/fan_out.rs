//! The watch fan-out: many watchers, spread over the nodes, wait on one key; once the servers
//! report every watch armed, one write changes the key, and the measure is the time until the
//! last watcher has heard of it (and how the hearing times spread).
//!
//! It runs twice with the same watchers: a warm-up round (the servers' notification paths run for
//! the first time, which for the JVM means interpreted code and compilation), then the measured
//! round. Every watcher re-arms as soon as it has heard.

use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use corral_testkit::patience;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Client, Cluster};

/// The key every watcher watches.
const KEY: &str = "/fan";
/// The warm-up round, then the measured one.
const ROUNDS: usize = 2;

/// The fan-out's row in the table.
pub(super) fn label(watchers: usize) -> String {
    format!("watch fan-out: {watchers} watchers, one write, ms until the last heard")
}

/// The clients a system could connect for the fan-out, and why they are fewer than asked for.
#[derive(Debug)]
pub struct Watchers<K> {
    pub clients: Vec<K>,
    pub shortfall: Option<String>,
}

/// How long each watcher took to hear the write, sorted.
#[derive(Debug)]
pub struct FanOut {
    pub requested: usize,
    /// Watchers that were waiting when the measured write went out.
    pub watchers: usize,
    pub delays: Vec<Duration>,
    /// Why fewer watchers took part (or heard) than asked for.
    pub shortfall: Option<String>,
}

impl FanOut {
    pub fn last(&self) -> Duration {
        self.delays.last().copied().unwrap_or_default()
    }

    pub fn quantile(&self, q: f64) -> Duration {
        match self.delays.len() {
            0 => Duration::ZERO,
            len => self.delays[((len - 1) as f64 * q) as usize],
        }
    }
}

/// What a watcher task reports.
enum Heard {
    /// It heard round `round`'s write at this instant (and is re-arming).
    Round(usize, Instant),
    /// Its watch failed; it watches no more.
    Failed(String),
}

pub(super) async fn measure<C: Cluster>(cluster: &C, requested: usize) -> Result<FanOut> {
    let writer = cluster.connect(0).await?;
    writer.create(KEY, "start").await.context("create the watched key")?;
    let Watchers { clients, mut shortfall } = cluster.watchers(requested).await?;
    ensure!(!clients.is_empty(), "no watcher could connect: {}", shortfall.unwrap_or_default());
    let count = clients.len();
    let (reports, mut heard) = mpsc::unbounded_channel();
    for client in clients {
        let reports = reports.clone();
        tokio::spawn(async move {
            for round in 0..ROUNDS {
                let report = match client.watch(KEY).await {
                    Ok(()) => Heard::Round(round, Instant::now()),
                    Err(error) => Heard::Failed(format!("{error:#}")),
                };
                let failed = matches!(report, Heard::Failed(_));
                if reports.send(report).is_err() || failed {
                    return;
                }
            }
        });
    }
    drop(reports);
    let mut live = count;
    let mut failures: Vec<String> = Vec::new();
    let mut delays = Vec::new();
    for round in 0..ROUNDS {
        live = wait_until_armed(cluster, &mut heard, &mut failures, live).await?;
        let written = Instant::now();
        writer.write(KEY, &format!("round {round}")).await.context("the write the watchers wait for")?;
        delays = collect_round(&mut heard, &mut failures, round, live, written).await;
        ensure!(!delays.is_empty(), "no watcher heard the write of round {round}: {:?}", failures.first());
        delays.sort();
        report(cluster.name(), round, &delays);
        // Those that heard have re-armed; the others watch no more.
        live = delays.len();
    }
    if let Some(first) = failures.first() {
        let note = format!("{} watchers failed, the first: {first}", failures.len());
        shortfall = Some(shortfall.map_or(note.clone(), |earlier| format!("{earlier}; {note}")));
    }
    Ok(FanOut { requested, watchers: delays.len(), delays, shortfall })
}

/// Waits until the servers count `live` waiting watches, less any watcher that fails meanwhile;
/// the watchers still live.
async fn wait_until_armed<C: Cluster>(
    cluster: &C,
    heard: &mut mpsc::UnboundedReceiver<Heard>,
    failures: &mut Vec<String>,
    mut live: usize,
) -> Result<usize> {
    let started = Instant::now();
    let deadline = started + patience(Duration::from_secs(300));
    let mut armed = 0;
    loop {
        while let Ok(report) = heard.try_recv() {
            match report {
                Heard::Failed(error) => {
                    failures.push(error);
                    live -= 1;
                }
                Heard::Round(round, _) => bail!("a watcher heard round {round} before its write"),
            }
        }
        if live == 0 {
            bail!("every watcher failed, the first: {:?}", failures.first());
        }
        if armed >= live {
            break;
        }
        if Instant::now() > deadline {
            bail!("only {armed} of {live} watches were armed after {:?}", started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        // A server busy taking thousands of connections may not answer at once: ask again.
        match cluster.armed_watches().await {
            Ok(count) => armed = count,
            Err(error) => eprintln!("{}: cannot count the armed watches yet: {error:#}", cluster.name()),
        }
    }
    eprintln!("{}: {armed} watches armed after {:.1} s", cluster.name(), started.elapsed().as_secs_f64());
    Ok(live)
}

/// Collects the hearing delays of one round from `live` watchers, within the patience; the
/// watchers that fail or do not hear in time are added to `failures`.
async fn collect_round(
    heard: &mut mpsc::UnboundedReceiver<Heard>,
    failures: &mut Vec<String>,
    round: usize,
    live: usize,
    written: Instant,
) -> Vec<Duration> {
    let patience_end = written + patience(Duration::from_secs(120));
    let mut delays = Vec::with_capacity(live);
    let mut failed = 0;
    while delays.len() + failed < live {
        match tokio::time::timeout_at(patience_end, heard.recv()).await {
            Ok(Some(Heard::Round(heard_round, at))) if heard_round == round => {
                delays.push(at.saturating_duration_since(written))
            }
            Ok(Some(Heard::Round(other, _))) => {
                failed += 1;
                failures.push(format!("heard round {other} during round {round}"));
            }
            Ok(Some(Heard::Failed(error))) => {
                failed += 1;
                failures.push(error);
            }
            Ok(None) => break,
            Err(_) => {
                failures.push(format!("{} watchers had not heard round {round} in time", live - delays.len() - failed));
                break;
            }
        }
    }
    delays
}

fn report(system: &str, round: usize, delays: &[Duration]) {
    let ms = |q: f64| delays[((delays.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    let which = if round + 1 == ROUNDS { "measured" } else { "warm-up" };
    eprintln!(
        "{system}: {which} round, {} watchers heard the write after: first {:.1} ms, median {:.1} ms, p99 {:.1} ms, \
         last {:.1} ms",
        delays.len(),
        ms(0.0),
        ms(0.5),
        ms(0.99),
        ms(1.0)
    );
}
