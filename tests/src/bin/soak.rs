//! `soak`: the cluster under churn for a long while, its memory and open files sampled. One
//! coordinator, one master, one agent process hosting `--agents` simulated agents, one marathon and
//! corral-lb with HAProxy. Every `--pause-ms` one change, picked at random: create an app (up to
//! `--apps`), scale one, restart one, kill one of its tasks (`POST /v2/tasks/delete`), or delete
//! one. Every `--sample-seconds` each process's resident memory (VmRSS) and open files are read
//! from `/proc`. At the end it prints, per process, the first, middle and last samples and the
//! peak, and whether the last third grew more than 10% over the middle one (no levelling off).
//!
//! Run (not in CI): `cargo build --release --workspace --bins && target/release/soak --minutes 30`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clap::Parser;
use corral_testkit::{send_json, LbProcess, MarathonCluster, MarathonClusterOptions, MesosClusterOptions};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{json, Value};

#[derive(Parser)]
struct Args {
    /// How long the churn runs.
    #[arg(long, default_value_t = 30)]
    minutes: u64,
    /// How often memory and open files are read.
    #[arg(long, default_value_t = 30)]
    sample_seconds: u64,
    /// The pause between two changes.
    #[arg(long, default_value_t = 500)]
    pause_ms: u64,
    /// The most apps at once.
    #[arg(long, default_value_t = 20)]
    apps: usize,
    /// Simulated agents.
    #[arg(long, default_value_t = 20)]
    agents: usize,
    /// The random seed of the changes.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// One reading of one process.
#[derive(Debug, Clone, Copy)]
struct Sample {
    rss_kib: u64,
    open_files: u64,
}

fn read_sample(pid: u32) -> Option<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    let open_files = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64;
    Some(Sample { rss_kib, open_files })
}

/// Every Corral process of the cluster, by name.
fn processes(cluster: &MarathonCluster, lb: &LbProcess) -> Vec<(String, u32)> {
    let mut named = Vec::new();
    named.extend(
        cluster.mesos.coordinator.nodes.iter().map(|node| (format!("coordinator{}", node.id), node.process.id())),
    );
    named.extend(cluster.mesos.masters.iter().enumerate().map(|(i, m)| (format!("master{i}"), m.process.id())));
    named.extend(cluster.mesos.agents.iter().enumerate().map(|(i, a)| (format!("agent{i}"), a.process.id())));
    named.extend(cluster.marathons.iter().enumerate().map(|(i, m)| (format!("marathon{i}"), m.process.id())));
    named.push(("lb".to_string(), lb.process.id()));
    named.into_iter().filter_map(|(name, pid)| pid.map(|pid| (name, pid))).collect()
}

/// One random change; what it was, for the log.
async fn change(cluster: &MarathonCluster, rng: &mut rand::rngs::StdRng, max_apps: usize, serial: &mut u64) -> String {
    let base = cluster.leader_url().await;
    let http = cluster.http();
    let apps: Value = send_json(http, Method::GET, &format!("{base}/v2/apps?embed=apps.tasks"), None).await.2;
    let ids: Vec<String> = apps["apps"]
        .as_array()
        .map(|apps| apps.iter().filter_map(|app| app["id"].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let pick = ids.choose(rng).cloned();
    match (rng.gen_range(0..5), pick) {
        (0, _) | (_, None) if ids.len() < max_apps => {
            *serial += 1;
            let app = json!({"id": format!("/soak/app{serial}"), "cmd": "sleep 1000", "cpus": 0.01, "mem": 8,
                             "instances": rng.gen_range(1..4), "portDefinitions": [{"port": 0}],
                             "labels": {"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": format!("app{serial}.soak")}});
            let status = send_json(http, Method::POST, &format!("{base}/v2/apps"), Some(app.to_string())).await.0;
            format!("create /soak/app{serial}: {status}")
        }
        (1, Some(id)) => {
            let body = json!({"instances": rng.gen_range(0..6)}).to_string();
            let status = send_json(http, Method::PUT, &format!("{base}/v2/apps{id}?force=true"), Some(body)).await.0;
            format!("scale {id}: {status}")
        }
        (2, Some(id)) => {
            let status = send_json(http, Method::POST, &format!("{base}/v2/apps{id}/restart?force=true"), None).await.0;
            format!("restart {id}: {status}")
        }
        (3, Some(id)) => {
            let tasks: Vec<String> = apps["apps"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|app| app["id"] == id.as_str())
                .flat_map(|app| app["tasks"].as_array().cloned().unwrap_or_default())
                .filter_map(|task| task["id"].as_str().map(str::to_string))
                .collect();
            let Some(task) = tasks.choose(rng) else { return format!("kill a task of {id}: none") };
            let body = json!({"ids": [task]}).to_string();
            let status = send_json(http, Method::POST, &format!("{base}/v2/tasks/delete"), Some(body)).await.0;
            format!("kill {task}: {status}")
        }
        (_, Some(id)) => {
            let status = send_json(http, Method::DELETE, &format!("{base}/v2/apps{id}?force=true"), None).await.0;
            format!("delete {id}: {status}")
        }
        (_, None) => "nothing to change".to_string(),
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let options = MarathonClusterOptions {
        mesos: MesosClusterOptions { agents: 0, agent_args: Vec::new(), ..MesosClusterOptions::default() },
        ..MarathonClusterOptions::default()
    };
    let mut cluster = MarathonCluster::start(options).await;
    cluster.mesos.add_simulated_agents(args.agents, "cpus:8;mem:16384;ports:[31000-32000]").await;
    let lb = LbProcess::start(&cluster, &["--group", "*"]).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(args.seed);
    let (started, mut serial, mut changes) = (Instant::now(), 0u64, 0u64);
    let mut samples: BTreeMap<String, Vec<Sample>> = BTreeMap::new();
    let mut next_sample = Instant::now();
    while started.elapsed() < Duration::from_secs(args.minutes * 60) {
        if Instant::now() >= next_sample {
            for (name, pid) in processes(&cluster, &lb) {
                if let Some(sample) = read_sample(pid) {
                    samples.entry(name).or_default().push(sample);
                }
            }
            next_sample += Duration::from_secs(args.sample_seconds);
            println!("[{:>5} s] {changes} changes", started.elapsed().as_secs());
        }
        let done = change(&cluster, &mut rng, args.apps, &mut serial).await;
        changes += 1;
        if done.contains(": 5") {
            println!("{done}");
        }
        tokio::time::sleep(Duration::from_millis(args.pause_ms)).await;
    }

    println!("\n{changes} changes in {} minutes; memory (RSS, MiB) and open files per process:\n", args.minutes);
    println!("| process | RSS first | RSS middle | RSS last | RSS peak | files first | files last | levels off |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, series) in &samples {
        let (first, middle, last) = (series[0], series[series.len() / 2], series[series.len() - 1]);
        let peak = series.iter().map(|s| s.rss_kib).max().unwrap_or(0);
        let third = series.len().max(3) / 3;
        let mean = |part: &[Sample]| part.iter().map(|s| s.rss_kib as f64).sum::<f64>() / part.len().max(1) as f64;
        let (middle_third, last_third) = (mean(&series[third..2 * third]), mean(&series[2 * third..]));
        let levels = last_third <= middle_third * 1.10 && last.open_files <= middle.open_files + 16;
        let mib = |kib: u64| format!("{:.1}", kib as f64 / 1024.0);
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} |",
            mib(first.rss_kib),
            mib(middle.rss_kib),
            mib(last.rss_kib),
            mib(peak),
            first.open_files,
            last.open_files,
            if levels { "yes" } else { "NO" }
        );
    }
}
