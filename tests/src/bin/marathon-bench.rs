//! `marathon-bench`: Marathon's v2 API at scale. One coordinator node, one master, one
//! `corral-agent` process running `--simulated-agents` agents, and one marathon.
//! 1. Launch: `POST /v2/apps` with `--instances` tiny tasks; seconds until `tasksRunning` counts
//!    them all (polled every 200 ms through `GET /v2/apps?id=`, which carries counts, not tasks).
//! 2. List: create `--apps` apps (`--app-instances` each, 0 by default), then `--clients`
//!    concurrent clients call `GET /v2/apps` for `--seconds`: requests per second, p50/p99.
//!
//! Run with `cargo build --release --workspace --bins && target/release/marathon-bench`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use corral_testkit::{send_json, MarathonCluster, MarathonClusterOptions, MesosClusterOptions};
use hdrhistogram::Histogram;
use reqwest::Method;
use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// mimalloc, as in the services.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    /// Instances of the app launched in phase 1.
    #[arg(long, default_value_t = 10_000)]
    instances: u32,
    /// Simulated agents (each offers cpus:16, mem:65536).
    #[arg(long, default_value_t = 1_000)]
    agents: usize,
    /// Apps created for phase 2.
    #[arg(long, default_value_t = 1_000)]
    apps: usize,
    /// Instances of each phase-2 app.
    #[arg(long, default_value_t = 0)]
    app_instances: u32,
    /// Concurrent `GET /v2/apps` clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// How long the clients run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// How long phase 1 may take before the benchmark gives up.
    #[arg(long, default_value_t = 600)]
    launch_timeout_seconds: u64,
    /// Skip phase 1.
    #[arg(long)]
    skip_launch: bool,
    /// Skip phase 2.
    #[arg(long)]
    skip_list: bool,
}

/// One row of the results table.
struct Row {
    what: String,
    result: String,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let mesos = MesosClusterOptions {
        agents: 0,
        master_args: vec!["--allocation-interval-ms".into(), "100".into()],
        agent_args: vec![],
        ..MesosClusterOptions::default()
    };
    let mut cluster =
        MarathonCluster::start(MarathonClusterOptions { mesos, ..MarathonClusterOptions::default() }).await;
    if !args.skip_launch || args.app_instances > 0 {
        cluster.mesos.add_simulated_agents(args.agents, "cpus:16;mem:65536;disk:100000;ports:[31000-32000]").await;
    }
    let leader = cluster.leader_url().await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(args.clients.max(32))
        .build()
        .expect("http client");
    let mut rows = Vec::new();
    if !args.skip_launch {
        rows.push(launch(&cluster, &http, &leader, &args).await);
    }
    if !args.skip_list {
        rows.extend(list(&cluster, &http, &leader, &args).await);
    }
    println!("\n| benchmark | result |\n|---|---|");
    for row in rows {
        println!("| {} | {} |", row.what, row.result);
    }
}

/// Phase 1: one app of `--instances` tasks, timed from the POST until all run.
async fn launch(cluster: &MarathonCluster, http: &reqwest::Client, leader: &str, args: &Args) -> Row {
    let app = json!({"id": "/bench", "cmd": "sleep 100000", "cpus": 0.01, "mem": 1, "instances": args.instances,
                     "portDefinitions": []});
    let posted = Instant::now();
    let (status, _, body) = send_json(http, Method::POST, &format!("{leader}/v2/apps"), Some(app.to_string())).await;
    assert_eq!(status, 201, "POST /v2/apps: {body}\n{}", cluster.log_tails());
    let deadline = posted + Duration::from_secs(args.launch_timeout_seconds);
    let mut last_report = Instant::now();
    let all_running = loop {
        let (_, _, apps) = send_json(http, Method::GET, &format!("{leader}/v2/apps?id=/bench"), None).await;
        let app = apps["apps"].as_array().and_then(|apps| apps.iter().find(|app| app["id"] == "/bench"));
        let running = app.and_then(|app| app["tasksRunning"].as_u64()).unwrap_or(0);
        if running >= u64::from(args.instances) {
            break posted.elapsed();
        }
        if last_report.elapsed() >= Duration::from_secs(1) {
            println!("{:5.1} s: {running} of {} running", posted.elapsed().as_secs_f64(), args.instances);
            last_report = Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "only {running} tasks running after {:?}\n{}",
            posted.elapsed(),
            cluster.log_tails()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let done = loop {
        let (_, _, deployments) = send_json(http, Method::GET, &format!("{leader}/v2/deployments"), None).await;
        if deployments == json!([]) {
            break posted.elapsed();
        }
        assert!(Instant::now() < deadline, "the deployment did not finish: {deployments}\n{}", cluster.log_tails());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let seconds = all_running.as_secs_f64();
    Row {
        what: format!("`POST /v2/apps` of {} instances on {} simulated agents", args.instances, args.agents),
        result: format!(
            "{seconds:.2} s until all TASK_RUNNING ({:.0} tasks/s); deployment done after {:.2} s",
            f64::from(args.instances) / seconds,
            done.as_secs_f64()
        ),
    }
}

/// Phase 2: `--apps` apps, then `GET /v2/apps` from `--clients` clients for `--seconds`.
async fn list(cluster: &MarathonCluster, http: &reqwest::Client, leader: &str, args: &Args) -> Vec<Row> {
    const IN_FLIGHT: usize = 32;
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut posts = JoinSet::new();
    let started = Instant::now();
    for index in 0..args.apps {
        let permit = permits.clone().acquire_owned().await.expect("the semaphore stays open");
        let (http, url) = (http.clone(), format!("{leader}/v2/apps"));
        let app = json!({"id": format!("/list/app-{index:05}"), "cmd": "sleep 100000", "cpus": 0.01, "mem": 1,
                         "instances": args.app_instances, "portDefinitions": []});
        posts.spawn(async move {
            let answer = send_json(&http, Method::POST, &url, Some(app.to_string())).await;
            drop(permit);
            answer
        });
    }
    while let Some(answer) = posts.join_next().await {
        let (status, _, body) = answer.expect("a POST task");
        assert_eq!(status, 201, "POST /v2/apps: {body}\n{}", cluster.log_tails());
    }
    let created = started.elapsed().as_secs_f64();
    cluster.wait_for_deployments_done().await;
    let (_, _, apps) = send_json(http, Method::GET, &format!("{leader}/v2/apps"), None).await;
    let count = apps["apps"].as_array().map_or(0, Vec::len);
    let size = apps.to_string().len();

    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut clients = JoinSet::new();
    for _ in 0..args.clients {
        let (http, url) = (http.clone(), format!("{leader}/v2/apps"));
        clients.spawn(async move {
            let mut latencies = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds");
            let mut failures = 0u64;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let ok = match http.get(&url).send().await {
                    Ok(response) => response.status() == 200 && response.bytes().await.is_ok(),
                    Err(_) => false,
                };
                latencies.saturating_record(sent.elapsed().as_micros() as u64);
                failures += u64::from(!ok);
            }
            (latencies, failures)
        });
    }
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds");
    let mut failures = 0;
    while let Some(client) = clients.join_next().await {
        let (client_latencies, client_failures) = client.expect("a client task");
        latencies.add(&client_latencies).expect("histograms of the same bounds");
        failures += client_failures;
    }
    let ms = |quantile: f64| latencies.value_at_quantile(quantile) as f64 / 1000.0;
    vec![
        Row {
            what: format!(
                "create {} apps ({IN_FLIGHT} concurrent POSTs, {} instances each)",
                args.apps, args.app_instances
            ),
            result: format!("{created:.2} s ({:.0} apps/s)", args.apps as f64 / created),
        },
        Row {
            what: format!(
                "`GET /v2/apps` with {count} apps ({size} bytes), {} clients for {} s",
                args.clients, args.seconds
            ),
            result: format!(
                "{:.0} requests/s; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {failures} failed",
                latencies.len() as f64 / args.seconds as f64,
                ms(0.5),
                ms(0.99),
                latencies.max() as f64 / 1000.0
            ),
        },
    ]
}
