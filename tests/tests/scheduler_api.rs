//! A framework written against the public v1 scheduler API (raw HTTP and JSON) runs tasks on two
//! real agents through a real master: offers, launch, TASK_RUNNING, a task serving HTTP on its
//! offered port, kill, acknowledgements and the resending of unacknowledged updates.

use std::collections::BTreeMap;
use std::time::Duration;

use corral_testkit::{MesosCluster, MesosClusterOptions};
use corral_tests::raw_scheduler::{first_offered_port, port, scalar, RawScheduler};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

fn launch(offer: &Value, tasks: Vec<Value>) -> Value {
    json!({"type": "ACCEPT", "accept": {
        "offer_ids": [offer["id"]],
        "operations": [{"type": "LAUNCH", "launch": {"task_infos": tasks}}],
        "filters": {"refuse_seconds": 1.0}}})
}

fn command_task(id: &str, offer: &Value, command: &str, extra_resources: Vec<Value>) -> Value {
    let mut resources = vec![scalar("cpus", 0.1), scalar("mem", 32.0)];
    resources.extend(extra_resources);
    json!({"name": id, "task_id": {"value": id}, "agent_id": offer["agent_id"], "resources": resources,
           "command": {"value": command}})
}

/// Offers from `count` different agents, by agent id.
async fn offers_from_agents(scheduler: &mut RawScheduler, count: usize) -> BTreeMap<String, Value> {
    let mut by_agent = BTreeMap::new();
    while by_agent.len() < count {
        let event = scheduler.wait_for(WAIT, |event| event["type"] == "OFFERS").await.expect("offers");
        for offer in event["offers"]["offers"].as_array().unwrap() {
            by_agent.insert(offer["agent_id"]["value"].as_str().unwrap().to_string(), offer.clone());
        }
    }
    by_agent
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raw_framework_launches_reaches_and_kills_tasks() {
    let mut options = MesosClusterOptions::default();
    options.agent_args.extend(["--status-retry-ms".to_string(), "500".to_string()]);
    options.master_args.extend(["--heartbeat-interval-ms".to_string(), "1000".to_string()]);
    let cluster = MesosCluster::start(options).await;
    let framework = json!({"user": "root", "name": "raw-test", "failover_timeout": 60.0});
    let mut scheduler = RawScheduler::subscribe(&cluster.scheduler_url().await, framework).await.unwrap();

    let offers = offers_from_agents(&mut scheduler, 2).await;
    let (sleeper_offer, web_offer) = {
        let mut offers = offers.values();
        (offers.next().unwrap().clone(), offers.next().unwrap().clone())
    };
    let host_port = first_offered_port(&web_offer);
    let sleeper = command_task("sleeper", &sleeper_offer, "sleep 1000", vec![]);
    let web = command_task(
        "web",
        &web_offer,
        "exec python3 -m http.server \"$PORT0\" --bind 127.0.0.1",
        vec![port(host_port)],
    );
    assert_eq!(scheduler.call(launch(&sleeper_offer, vec![sleeper])).await.0, 202);
    assert_eq!(scheduler.call(launch(&web_offer, vec![web])).await.0, 202);

    // Each task's updates come one at a time, the next only after the previous is acknowledged.
    // The sleeper's TASK_RUNNING is left unacknowledged at first: the agent must send it again.
    scheduler.wait_for_state("sleeper", "TASK_STARTING", WAIT).await.expect("the sleeper starts");
    let first = scheduler
        .wait_for(WAIT, |e| {
            e["update"]["status"]["task_id"]["value"] == "sleeper" && e["update"]["status"]["state"] == "TASK_RUNNING"
        })
        .await
        .expect("the sleeper runs");
    let resent = scheduler
        .wait_for(WAIT, |e| {
            e["update"]["status"]["task_id"]["value"] == "sleeper" && e["update"]["status"]["state"] == "TASK_RUNNING"
        })
        .await
        .expect("an unacknowledged update is sent again");
    assert_eq!(first["update"]["status"]["uuid"], resent["update"]["status"]["uuid"]);
    scheduler.acknowledge(&resent["update"]["status"]).await;
    scheduler.wait_for_state("web", "TASK_RUNNING", WAIT).await.expect("the web task runs");

    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{host_port}/");
    let mut reached = false;
    for _ in 0..100 {
        if http.get(&url).send().await.is_ok_and(|response| response.status() == 200) {
            reached = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reached, "the web task answers on its host port {host_port}");

    let kill = json!({"type": "KILL", "kill": {"task_id": {"value": "web"}, "agent_id": web_offer["agent_id"]}});
    assert_eq!(scheduler.call(kill).await.0, 202);
    scheduler.wait_for_state("web", "TASK_KILLED", WAIT).await.expect("the web task is killed");
    assert!(http.get(&url).send().await.is_err(), "nothing answers on the port after the kill");

    // Everything was acknowledged: nothing comes again within several retry periods.
    let acknowledged: Vec<Value> =
        scheduler.seen.iter().filter_map(|e| e["update"]["status"]["uuid"].as_str().map(Value::from)).collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    while let Some(event) = scheduler.next_event(Duration::from_millis(100)).await {
        if let Some(uuid) = event["update"]["status"]["uuid"].as_str() {
            assert!(!acknowledged.contains(&Value::from(uuid)), "an acknowledged update came again: {event}");
        }
    }

    assert!(scheduler.seen.iter().any(|event| event["type"] == "HEARTBEAT"), "a quiet stream gets heartbeats");
    let state = cluster.state().await;
    let framework = &state["frameworks"][0];
    let running: Vec<&str> = framework["tasks"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(running, vec!["sleeper"]);
    assert_eq!(framework["completed_tasks"][0]["state"], "TASK_KILLED");
}
