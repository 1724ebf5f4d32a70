//! `mesos-bench`: launches tasks through the v1 scheduler API on many simulated agents and
//! measures how fast they reach TASK_RUNNING. One coordinator node, one master, and one
//! `corral-agent` process running `--simulated-agents` agents, each registering on its own.
//! Run with `cargo build --release --workspace --bins && target/release/mesos-bench`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use corral_testkit::{MesosCluster, MesosClusterOptions};
use corral_tests::raw_scheduler::{scalar, RawScheduler};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

/// mimalloc, as in the services.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    /// Simulated agents.
    #[arg(long, default_value_t = 1_000)]
    agents: usize,
    /// Tasks to launch.
    #[arg(long, default_value_t = 10_000)]
    tasks: usize,
}

/// Each simulated agent's resources.
const AGENT_RESOURCES: &str = "cpus:16;mem:65536;disk:100000;ports:[31000-32000]";
const TASK_CPUS: f64 = 0.1;
const TASK_MEM: f64 = 32.0;

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let options = MesosClusterOptions {
        agents: 0,
        master_args: vec!["--allocation-interval-ms".into(), "100".into()],
        agent_args: vec![],
        ..MesosClusterOptions::default()
    };
    let mut cluster = MesosCluster::start(options).await;
    cluster.add_simulated_agents(args.agents, AGENT_RESOURCES).await;

    let framework = json!({"user": "root", "name": "mesos-bench", "failover_timeout": 600.0});
    let mut scheduler = RawScheduler::subscribe(&cluster.scheduler_url().await, framework).await.expect("subscribe");
    let in_flight = Arc::new(Semaphore::new(64));
    let mut launched = 0;
    let mut running = HashSet::new();
    let mut first_accept = None;
    while running.len() < args.tasks {
        let event = scheduler.next_event(Duration::from_secs(30)).await.expect("events keep coming");
        match event["type"].as_str() {
            Some("OFFERS") => {
                for offer in event["offers"]["offers"].as_array().unwrap() {
                    let tasks = tasks_for(offer, &mut launched, args.tasks);
                    let call = match tasks.is_empty() {
                        true => json!({"type": "DECLINE", "decline": {"offer_ids": [offer["id"]],
                                        "filters": {"refuse_seconds": 3600.0}}}),
                        false => json!({"type": "ACCEPT", "accept": {"offer_ids": [offer["id"]],
                            "operations": [{"type": "LAUNCH", "launch": {"task_infos": tasks}}],
                            "filters": {"refuse_seconds": 3600.0}}}),
                    };
                    first_accept.get_or_insert_with(Instant::now);
                    send(&scheduler, &in_flight, call).await;
                }
            }
            Some("UPDATE") => {
                let status = event["update"]["status"].clone();
                if status["state"] == "TASK_RUNNING" {
                    running.insert(status["task_id"]["value"].as_str().unwrap().to_string());
                }
                let caller = scheduler.caller.clone();
                let permit = in_flight.clone().acquire_owned().await.unwrap();
                tokio::spawn(async move {
                    caller.acknowledge(&status).await;
                    drop(permit);
                });
            }
            _ => {}
        }
    }
    let elapsed = first_accept.expect("at least one offer").elapsed();
    println!(
        "| {} tasks on {} simulated agents | {:.2} s until all RUNNING | {:.0} tasks/s |",
        args.tasks,
        args.agents,
        elapsed.as_secs_f64(),
        args.tasks as f64 / elapsed.as_secs_f64()
    );
}

async fn send(scheduler: &RawScheduler, in_flight: &Arc<Semaphore>, call: Value) {
    let caller = scheduler.caller.clone();
    let permit = in_flight.clone().acquire_owned().await.unwrap();
    tokio::spawn(async move {
        let (status, body) = caller.call(call).await;
        assert_eq!(status, 202, "{body}");
        drop(permit);
    });
}

/// As many tasks as fit in the offer, up to the number still to launch.
fn tasks_for(offer: &Value, launched: &mut usize, wanted: usize) -> Vec<Value> {
    let amount = |name: &str| {
        offer["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .map_or(0.0, |r| r["scalar"]["value"].as_f64().unwrap_or(0.0))
    };
    let fit = ((amount("cpus") + 1e-9) / TASK_CPUS).min((amount("mem") + 1e-9) / TASK_MEM).floor() as usize;
    let count = fit.min(16).min(wanted - *launched);
    (0..count)
        .map(|_| {
            *launched += 1;
            let id = format!("bench-{}", *launched);
            json!({"name": id, "task_id": {"value": id}, "agent_id": offer["agent_id"],
                   "resources": [scalar("cpus", TASK_CPUS), scalar("mem", TASK_MEM)], "command": {"value": "true"}})
        })
        .collect()
}
