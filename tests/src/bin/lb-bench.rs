//! `lb-bench`: how long after marathon reports a task TASK_RUNNING it serves through corral-lb.
//! One coordinator, one master, two agents running real `python3 -m http.server` tasks, one
//! marathon and one corral-lb with Debian's HAProxy. An app is scaled up one task at a time
//! (`--steps`); for each new task the benchmark takes the moment its `status_update_event`
//! TASK_RUNNING arrives on `/v2/events`, then polls HAProxy's runtime API every 2 ms until the
//! task's server serves (up, out of maintenance): the lb has read the event and the apps, filled a
//! slot through the runtime API, and let the server in once the task answered its probe (Python
//! takes some tens of milliseconds to listen after it starts).
//!
//! Run with `cargo build --release --workspace --bins && target/release/lb-bench`.

use std::time::{Duration, Instant};

use clap::Parser;
use corral_testkit::{port_echo_app, EventStream, LbProcess, MarathonCluster, MarathonClusterOptions};
use hdrhistogram::Histogram;
use reqwest::Method;
use serde_json::json;

/// mimalloc, as in the services.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    /// Tasks added one at a time (each one sample).
    #[arg(long, default_value_t = 30)]
    steps: u32,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let cluster = MarathonCluster::start(MarathonClusterOptions::default()).await;
    let lb = LbProcess::start(&cluster, &[]).await;
    let labels = json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "bench.test"});
    assert_eq!(cluster.post_app(&port_echo_app("/bench", 1, labels)).await.0, 201);
    cluster.wait_for_running("/bench", 1).await;
    let backend = loop {
        let config = lb.config().await;
        if let Some(name) = config.lines().find_map(|line| line.strip_prefix("backend bench_")) {
            break format!("bench_{name}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let url = format!("{}/v2/events?event_type=status_update_event", cluster.leader_url().await);
    let mut events = EventStream::open(&url).await;

    let mut serving = Histogram::<u64>::new(3).expect("histogram");
    for step in 0..args.steps {
        let instances = step + 2;
        let body = json!({"instances": instances});
        let (status, _, answer) = cluster.call(Method::PUT, "/v2/apps/bench", Some(&body)).await;
        assert_eq!(status, 200, "{answer}");
        let (port, running_at) = loop {
            let (kind, data) = events.next(Duration::from_secs(30)).await.expect("a TASK_RUNNING event");
            if kind == "status_update_event" && data["taskStatus"] == "TASK_RUNNING" && data["appId"] == "/bench" {
                break (data["ports"][0].as_u64().expect("a port") as u16, Instant::now());
            }
        };
        while !lb.serving_ports(&backend).contains(&port) {
            assert!(running_at.elapsed() < Duration::from_secs(30), "task on {port} never served");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        serving.record(running_at.elapsed().as_micros() as u64).expect("in range");
    }
    let ms = |histogram: &Histogram<u64>, quantile: f64| histogram.value_at_quantile(quantile) as f64 / 1000.0;
    println!("| TASK_RUNNING event → ({} tasks) | median | p99 | max |", args.steps);
    println!("|---|---|---|---|");
    let max = serving.max() as f64 / 1000.0;
    println!("| serving through HAProxy | {:.1} ms | {:.1} ms | {max:.1} ms |", ms(&serving, 0.5), ms(&serving, 0.99));
    println!("| reloads during the run | {} | | |", lb.status_count("reloads").await);
}
