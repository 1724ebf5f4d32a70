//! Two masters: `kill -9` of the leader makes the standby lead within 5 s; agents re-register
//! with their tasks; the framework re-subscribes with its id; no running task is killed. A leader
//! stopped with SIGTERM gives its session up, so the standby leads well within the session timeout.

use std::time::{Duration, Instant};

use corral_testkit::{MesosCluster, MesosClusterOptions};
use corral_tests::raw_scheduler::{scalar, RawScheduler};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread")]
async fn the_standby_takes_over_without_killing_tasks() {
    let options = MesosClusterOptions { masters: 2, ..MesosClusterOptions::default() };
    let mut cluster = MesosCluster::start(options).await;
    let framework_info = json!({"user": "root", "name": "failover-test", "failover_timeout": 300.0});
    let mut scheduler = RawScheduler::subscribe(&cluster.scheduler_url().await, framework_info.clone()).await.unwrap();

    // One sleeping task on each agent.
    let mut launched = Vec::new();
    while launched.len() < 2 {
        let event = scheduler.wait_for(WAIT, |event| event["type"] == "OFFERS").await.expect("offers");
        for offer in event["offers"]["offers"].as_array().unwrap() {
            if launched.len() == 2 || launched.iter().any(|(_, agent): &(String, Value)| *agent == offer["agent_id"]) {
                continue;
            }
            let id = format!("sleeper-{}", launched.len());
            let task = json!({"name": id, "task_id": {"value": id}, "agent_id": offer["agent_id"],
                "resources": [scalar("cpus", 0.1), scalar("mem", 16.0)], "command": {"value": "sleep 1000"}});
            let accept = json!({"type": "ACCEPT", "accept": {"offer_ids": [offer["id"]],
                "operations": [{"type": "LAUNCH", "launch": {"task_infos": [task]}}]}});
            assert_eq!(scheduler.call(accept).await.0, 202);
            launched.push((id, offer["agent_id"].clone()));
        }
    }
    for (id, _) in &launched {
        scheduler.wait_for_state(id, "TASK_RUNNING", WAIT).await.expect("the task runs");
    }
    let pids_before = cluster.task_processes();
    assert!(pids_before.len() >= 2, "the tasks run as processes: {pids_before:?}");

    let leader = cluster.leading_master().await;
    let index = cluster.masters.iter().position(|master| master.addr == leader).unwrap();
    let standby = &cluster.masters[1 - index];
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for path in ["/master/redirect", "/api/v1/scheduler"] {
        let request = match path {
            "/master/redirect" => no_redirects.get(standby.url(path)),
            _ => no_redirects
                .post(standby.url(path))
                .header("content-type", "application/json")
                .body(r#"{"type":"REVIVE"}"#),
        };
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 307, "{path} on the standby");
        let location = answer.headers()["location"].to_str().unwrap();
        assert!(location.starts_with(&format!("//{leader}")), "{path}: Location {location}");
    }
    let killed_at = Instant::now();
    cluster.masters[index].process.kill();

    let new_leader = cluster.leading_master().await;
    let took = killed_at.elapsed();
    assert_ne!(new_leader, leader);
    assert!(took < Duration::from_secs(5), "the standby took {took:?} to lead");

    let mut framework_info = framework_info;
    framework_info["id"] = json!({"value": scheduler.framework_id});
    let url = format!("http://{new_leader}/api/v1/scheduler");
    let mut scheduler =
        RawScheduler::subscribe(&url, framework_info).await.expect("re-subscribe with the framework id");
    cluster.wait_for_agents(2).await;

    let call = json!({"type": "RECONCILE", "reconcile": {"tasks": []}});
    let deadline = Instant::now() + WAIT;
    let mut running = Vec::new();
    while running.len() < 2 {
        assert!(Instant::now() < deadline, "reconciliation did not report both tasks running: {running:?}");
        running.clear();
        assert_eq!(scheduler.call(call.clone()).await.0, 202);
        tokio::time::sleep(Duration::from_millis(300)).await;
        while let Some(event) = scheduler.next_event(Duration::from_millis(100)).await {
            let status = &event["update"]["status"];
            if status["reason"] == "REASON_RECONCILIATION" && status["state"] == "TASK_RUNNING" {
                running.push(status["task_id"]["value"].as_str().unwrap().to_string());
            }
            assert_ne!(status["state"], "TASK_KILLED", "a task was killed by the failover: {event}");
            assert_ne!(status["state"], "TASK_LOST", "a task was lost in the failover: {event}");
        }
        running.sort();
        running.dedup();
    }
    assert_eq!(cluster.task_processes(), pids_before, "the same processes still run");
    let state = cluster.state().await;
    assert_eq!(state["frameworks"][0]["id"], scheduler.framework_id.as_str());
    assert_eq!(state["frameworks"][0]["tasks"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leader_that_loses_its_session_stops_at_once() {
    let mut options = MesosClusterOptions { agents: 0, ..MesosClusterOptions::default() };
    options.master_args.extend(["--session-timeout-ms".to_string(), "1000".to_string()]);
    let mut cluster = MesosCluster::start(options).await;
    cluster.leading_master().await;
    cluster.coordinator.kill(0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while cluster.masters[0].process.exit_status().is_none() {
        assert!(
            Instant::now() < deadline,
            "the master still runs without its session:\n{}",
            cluster.masters[0].log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!cluster.masters[0].process.exit_status().unwrap().success());
    assert!(cluster.masters[0].log_tail().contains("lost the coordinator session"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leader_stopped_with_sigterm_hands_over_well_within_the_session_timeout() {
    const SESSION_TIMEOUT: Duration = Duration::from_secs(6);
    let mut options = MesosClusterOptions { masters: 2, ..MesosClusterOptions::default() };
    options.master_args.extend(["--session-timeout-ms".to_string(), SESSION_TIMEOUT.as_millis().to_string()]);
    let mut cluster = MesosCluster::start(options).await;
    // A subscribed framework and the agents' command polls hold connections open on the leader.
    let framework_info = json!({"user": "root", "name": "sigterm-test"});
    let _scheduler = RawScheduler::subscribe(&cluster.scheduler_url().await, framework_info).await.unwrap();
    let leader = cluster.leading_master().await;
    let index = cluster.masters.iter().position(|master| master.addr == leader).unwrap();
    let standby_state = cluster.masters[1 - index].url("/master/state");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(1)).build().unwrap();

    let stopped_at = Instant::now();
    cluster.masters[index].process.terminate();
    let took = loop {
        let state = match http.get(&standby_state).send().await {
            Ok(response) => response.json::<Value>().await.unwrap_or_default(),
            Err(_) => Value::Null,
        };
        if state["elected_time"].is_number() {
            break stopped_at.elapsed();
        }
        assert!(stopped_at.elapsed() < WAIT, "the standby does not lead:\n{}", cluster.masters[1 - index].log_tail());
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    println!("the standby leads {:.2} s after SIGTERM to the leader", took.as_secs_f64());
    assert!(took < SESSION_TIMEOUT / 3, "the standby took {took:?} to lead: the leader kept its session");

    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = cluster.masters[index].process.exit_status() {
            break status;
        }
        assert!(Instant::now() < deadline, "the old leader still runs:\n{}", cluster.masters[index].log_tail());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    println!("the old leader exited {:.2} s after SIGTERM", stopped_at.elapsed().as_secs_f64());
    assert!(status.success(), "a SIGTERM is a clean stop: {status}\n{}", cluster.masters[index].log_tail());
}
