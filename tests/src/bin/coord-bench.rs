//! `coord-bench`: measures a 3-node coordinator cluster on loopback with durable commits (every
//! raft append is fsynced). Writes/s with p50/p99 latency at 1 and 64 clients, reads/s at 64
//! clients, and watch fan-out: the time until 10,000 waiting watches are all answered after one
//! write. Run with `cargo build --release --workspace --bins && target/release/coord-bench`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use corral_testkit::{ClusterOptions, CoordinatorCluster};
use hdrhistogram::Histogram;
use serde_json::json;

/// mimalloc, as in the coordinator: the client's own cost should stay small beside the servers'.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    /// Seconds each throughput phase runs.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Number of waiting watches in the fan-out phase.
    #[arg(long, default_value_t = 10_000)]
    watchers: usize,
    /// Participants in the cluster (3 for the reported figures; 1 shows the cost of replication).
    #[arg(long, default_value_t = 3)]
    nodes: usize,
    /// Bytes of data per write.
    #[arg(long, default_value_t = 100)]
    value_bytes: usize,
    /// Skip the write and read phases and measure only the watch fan-out.
    #[arg(long)]
    fan_out_only: bool,
}

/// Where load goes: only the leader, or spread over every node (followers forward writes).
#[derive(Clone, Copy, Debug)]
enum Target {
    Leader,
    AllNodes,
}

struct Phase {
    operations: u64,
    elapsed: Duration,
    latency: Histogram<u64>,
}

impl Phase {
    fn report(&self, name: &str) {
        let per_second = self.operations as f64 / self.elapsed.as_secs_f64();
        let ms = |q: f64| self.latency.value_at_quantile(q) as f64 / 1000.0;
        println!("| {name} | {per_second:.0} | {:.2} | {:.2} |", ms(0.5), ms(0.99));
    }
}

/// Every request says it sends JSON (the coordinator refuses a POST that does not).
fn json_headers() -> reqwest::header::HeaderMap {
    let json = reqwest::header::HeaderValue::from_static("application/json");
    [(reqwest::header::CONTENT_TYPE, json)].into_iter().collect()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(20_000)
        .tcp_nodelay(true)
        .default_headers(json_headers())
        .build()
        .expect("http client")
}

/// Runs `clients` loops for `seconds`, each sending requests made by `request` to its node.
async fn load<F>(addrs: Vec<String>, clients: usize, seconds: u64, request: F) -> Phase
where
    F: Fn(&reqwest::Client, &str, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|client_index| {
            let (request, stop, http) = (request.clone(), stop.clone(), http());
            let addr = addrs[client_index % addrs.len()].clone();
            tokio::spawn(async move {
                let mut latency = Histogram::<u64>::new(3).unwrap();
                let mut operations = 0;
                while !stop.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    let response = request(&http, &addr, client_index).send().await.expect("request");
                    assert!(response.status().is_success(), "{}", response.text().await.unwrap_or_default());
                    let _ = response.bytes().await;
                    latency.record(sent.elapsed().as_micros() as u64).unwrap();
                    operations += 1;
                }
                (operations, latency)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = Phase { operations: 0, elapsed: Duration::ZERO, latency: Histogram::new(3).unwrap() };
    for task in tasks {
        let (operations, latency) = task.await.unwrap();
        total.operations += operations;
        total.latency.add(latency).unwrap();
    }
    total.elapsed = started.elapsed();
    total
}

async fn writes(cluster: &CoordinatorCluster, target: Target, clients: usize, args: &Args) -> Phase {
    let addrs = match target {
        Target::Leader => vec![cluster.nodes[cluster.leader().await].client.clone()],
        Target::AllNodes => cluster.client_addrs(),
    };
    let setup = http();
    for index in 0..clients {
        let url = format!("http://{}/v1/znodes/bench/c{index}", addrs[0]);
        setup.post(url).body("{}").send().await.unwrap();
    }
    let body = Arc::new(json!({ "data": "x".repeat(args.value_bytes) }).to_string());
    load(addrs, clients, args.seconds, move |http, addr, index| {
        http.put(format!("http://{addr}/v1/znodes/bench/c{index}")).body(body.as_str().to_string())
    })
    .await
}

async fn reads(cluster: &CoordinatorCluster, clients: usize, args: &Args) -> Phase {
    load(cluster.client_addrs(), clients, args.seconds, |http, addr, index| {
        http.get(format!("http://{addr}/v1/znodes/bench/c{}", index % 64))
    })
    .await
}

/// Starts `watchers` long-polls on `/fan`, spread over the nodes, waits until all are waiting,
/// writes once, and returns the time until the last one is answered. The watches travel as
/// HTTP/2 streams, 100 to a connection, as a client holding many watches would send them.
async fn fan_out(cluster: &CoordinatorCluster, watchers: usize) -> Duration {
    const STREAMS_PER_CONNECTION: usize = 100;
    let http = http();
    let addrs = cluster.client_addrs();
    let created = http.post(format!("http://{}/v1/znodes/fan", addrs[0])).body("{}").send().await.unwrap();
    let zxid = created.json::<serde_json::Value>().await.unwrap()["zxid"].as_u64().unwrap();
    let body = json!({ "paths": ["/fan"], "since": zxid, "timeout_ms": 120_000 }).to_string();
    let connections: Vec<reqwest::Client> = (0..watchers.div_ceil(STREAMS_PER_CONNECTION))
        .map(|_| {
            reqwest::Client::builder()
                .http2_prior_knowledge()
                .default_headers(json_headers())
                .build()
                .expect("http/2 client")
        })
        .collect();
    let answered: Vec<_> = (0..watchers)
        .map(|index| {
            let connection = &connections[index / STREAMS_PER_CONNECTION];
            let addr = &addrs[(index / STREAMS_PER_CONNECTION) % addrs.len()];
            let request = connection.post(format!("http://{addr}/v1/watch")).body(body.clone());
            tokio::spawn(async move {
                let answer = request.send().await.expect("watch").bytes().await.expect("watch answer");
                assert!(String::from_utf8_lossy(&answer).contains("\"path\":\"/fan\""), "{answer:?}");
                Instant::now()
            })
        })
        .collect();
    loop {
        let mut waiting = 0;
        for index in 0..cluster.nodes.len() {
            waiting += cluster.status(index).await.map_or(0, |status| status.watches);
        }
        if waiting as usize >= watchers {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let written = Instant::now();
    http.put(format!("http://{}/v1/znodes/fan", addrs[0])).body(r#"{"data": "go"}"#).send().await.unwrap();
    let mut delays = Vec::with_capacity(watchers);
    for task in answered {
        delays.push(task.await.unwrap() - written);
    }
    delays.sort();
    let at = |q: f64| delays[((delays.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    println!(
        "fan-out answers after the write: first {:.1} ms, median {:.1} ms, p99 {:.1} ms",
        at(0.0),
        at(0.5),
        at(0.99)
    );
    *delays.last().expect("at least one watcher")
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let cluster = CoordinatorCluster::start(ClusterOptions { participants: args.nodes, ..Default::default() }).await;
    http().post(format!("http://{}/v1/znodes/bench", cluster.client_addrs()[0])).body("{}").send().await.unwrap();
    if !args.fan_out_only {
        println!("| measurement | ops/s | p50 ms | p99 ms |");
        println!("|---|---|---|---|");
        writes(&cluster, Target::Leader, 1, &args).await.report("writes, 1 client, to the leader");
        writes(&cluster, Target::Leader, 64, &args).await.report("writes, 64 clients, to the leader");
        writes(&cluster, Target::AllNodes, 64, &args).await.report("writes, 64 clients, spread over 3 nodes");
        reads(&cluster, 64, &args).await.report("reads, 64 clients, spread over 3 nodes");
    }
    let fan_out = fan_out(&cluster, args.watchers).await;
    println!(
        "\nwatch fan-out: {} waiting watches answered {:.1} ms after one write",
        args.watchers,
        fan_out.as_secs_f64() * 1000.0
    );
}
