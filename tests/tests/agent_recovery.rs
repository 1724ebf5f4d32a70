//! `kill -9` of an agent with running tasks: restarted at once, it recovers the same tasks, still
//! RUNNING, with no duplicates. Kept down past the unreachable timeout, the framework gets
//! TASK_LOST and the agent's offers are rescinded.

use std::time::Duration;

use corral_testkit::{MesosCluster, MesosClusterOptions};
use corral_tests::raw_scheduler::{scalar, RawScheduler};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_agent_keeps_its_tasks_and_a_dead_one_loses_them() {
    let mut options = MesosClusterOptions { agents: 1, ..MesosClusterOptions::default() };
    options.master_args.extend(["--agent-unreachable-timeout-ms".to_string(), "4000".to_string()]);
    let mut cluster = MesosCluster::start(options).await;
    let framework = json!({"user": "root", "name": "recovery-test", "failover_timeout": 300.0});
    let mut scheduler = RawScheduler::subscribe(&cluster.scheduler_url().await, framework).await.unwrap();

    let event = scheduler.wait_for(WAIT, |event| event["type"] == "OFFERS").await.expect("an offer");
    let offer = &event["offers"]["offers"][0];
    let tasks: Vec<_> = ["a", "b"]
        .iter()
        .map(|id| {
            json!({"name": id, "task_id": {"value": id}, "agent_id": offer["agent_id"],
                   "resources": [scalar("cpus", 0.1), scalar("mem", 16.0)], "command": {"value": "sleep 1000"}})
        })
        .collect();
    let accept = json!({"type": "ACCEPT", "accept": {"offer_ids": [offer["id"]],
        "operations": [{"type": "LAUNCH", "launch": {"task_infos": tasks}}], "filters": {"refuse_seconds": 0.0}}});
    assert_eq!(scheduler.call(accept).await.0, 202);
    for id in ["a", "b"] {
        scheduler.wait_for_state(id, "TASK_RUNNING", WAIT).await.expect("the task runs");
    }
    let processes = cluster.task_processes();
    assert!(!processes.is_empty());

    cluster.agents[0].process.restart();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let state = cluster.state().await;
        let reregistered = state["slaves"][0]["reregistered_time"].is_number();
        let tasks = state["frameworks"][0]["tasks"].as_array().cloned().unwrap_or_default();
        if reregistered {
            let mut ids: Vec<&str> = tasks.iter().map(|task| task["id"].as_str().unwrap()).collect();
            ids.sort();
            assert_eq!(ids, vec!["a", "b"], "the same tasks, no duplicates");
            assert!(tasks.iter().all(|task| task["state"] == "TASK_RUNNING"), "{tasks:?}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the agent did not re-register:\n{}",
            cluster.agents[0].log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(cluster.task_processes(), processes, "the same processes, none started again");
    let agent_state: serde_json::Value =
        reqwest::get(cluster.agents[0].url("/state")).await.unwrap().json().await.unwrap();
    assert!(agent_state.to_string().matches("\"sleep 1000\"").count() >= 2, "the agent reports both tasks");
    for event in &scheduler.seen {
        let state = &event["update"]["status"]["state"];
        let fine = *state == "TASK_STARTING" || *state == "TASK_RUNNING" || state.is_null();
        assert!(fine, "no task ended in the restart: {event}");
    }

    // Offers on the agent stay outstanding (this scheduler never answers them) until it is lost.
    scheduler.wait_for(WAIT, |event| event["type"] == "OFFERS").await.expect("an offer of the rest");
    cluster.agents[0].process.kill();
    let mut lost = Vec::new();
    let mut rescinded = false;
    while lost.len() < 2 || !rescinded {
        let event = scheduler.next_event(WAIT).await.expect("TASK_LOST and RESCIND after the timeout");
        rescinded |= event["type"] == "RESCIND";
        let status = &event["update"]["status"];
        if status["state"] == "TASK_LOST" {
            lost.push(status["task_id"]["value"].as_str().unwrap().to_string());
        }
    }
    lost.sort();
    assert_eq!(lost, vec!["a", "b"]);
    let state = cluster.state().await;
    assert!(state["slaves"].as_array().unwrap().is_empty());
    assert!(state["frameworks"][0]["offers"].as_array().unwrap().is_empty());
}
