//! Failures Marathon recovers from, or lets the user undo:
//! - an app whose command exits at once (`backoffSeconds 1`, `backoffFactor 2`) is relaunched with
//!   growing delays, which `/v2/queue` shows (`delay.timeLeftSeconds`), and `lastTaskFailure` says
//!   why. (Its task reaches TASK_RUNNING before it exits, so, as in Marathon, an app without
//!   health checks finishes its deployment anyway.)
//! - a deployment that cannot finish (no agent has room for the app) stays in `/v2/deployments`;
//!   `DELETE /v2/deployments/{id}` rolls it back: the rollback of a new app removes it and empties
//!   the queue, the rollback of a change restores the app without touching its running task.
//!   `?force=true` instead only stops the deployment (202, no body) and keeps the app as posted;
//! - `kill -9` of an agent with tasks: after the master's unreachable timeout they are replaced
//!   on the other agent.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use corral_testkit::{app_summary, patience, MarathonCluster, MarathonClusterOptions, MesosClusterOptions};
use reqwest::Method;
use serde_json::{json, Value};

fn crashing_app(id: &str) -> Value {
    json!({"id": id, "cmd": "exit 1", "cpus": 0.1, "mem": 16, "instances": 1, "portDefinitions": [],
           "backoffSeconds": 1, "backoffFactor": 2, "maxLaunchDelaySeconds": 300})
}

/// The queue entry of `app_id`, if it has one.
async fn queue_entry(cluster: &MarathonCluster, app_id: &str) -> Option<Value> {
    let queue = cluster.get_json("/v2/queue").await;
    queue["queue"].as_array().expect("{\"queue\": [...]}").iter().find(|entry| entry["app"]["id"] == app_id).cloned()
}

/// One failed launch as the test saw it: when it first appeared as `lastTaskFailure`, and the
/// largest `timeLeftSeconds` the queue showed before the next one.
struct Failure {
    task_id: String,
    seen_at: Instant,
    longest_delay_after: i64,
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crashing_app_is_relaunched_with_growing_delays() {
    // Declined offers come back after 1 s, so the relaunch times show the backoff, not the filter.
    let options = MarathonClusterOptions {
        marathon_args: vec!["--decline-offer-seconds".into(), "1".into()],
        ..MarathonClusterOptions::default()
    };
    let cluster = MarathonCluster::start(options).await;
    let (status, _, body) = cluster.post_app(&crashing_app("/crash")).await;
    assert_eq!(status, 201, "POST /v2/apps: {body}\n{}", cluster.log_tails());

    // Watch four failures; between them, the delay in the queue.
    let mut failures: Vec<Failure> = Vec::new();
    let mut queue_seen = false;
    let deadline = Instant::now() + patience(Duration::from_secs(60));
    while failures.len() < 4 {
        let app = cluster.app("/crash").await;
        assert!(
            Instant::now() < deadline,
            "only {} failures seen; the app: {app}\n{}",
            failures.len(),
            cluster.log_tails()
        );
        let failure = &app["lastTaskFailure"];
        if let Some(task_id) = failure["taskId"].as_str() {
            if failures.last().is_none_or(|last| last.task_id != task_id) {
                assert_eq!(failure["appId"], "/crash", "{failure}");
                assert_eq!(failure["state"], "TASK_FAILED", "{failure}");
                assert_eq!(failure["version"], app["version"], "{failure}");
                assert!(task_id.starts_with("crash."), "{failure}");
                assert!(failure["timestamp"].is_string() && failure["host"].is_string(), "{failure}");
                failures.push(Failure {
                    task_id: task_id.to_string(),
                    seen_at: Instant::now(),
                    longest_delay_after: 0,
                });
            }
        }
        if let Some(entry) = queue_entry(&cluster, "/crash").await {
            queue_seen = true;
            // One instance to launch; 0 while its launch is in flight.
            assert!(entry["count"] == 1 || entry["count"] == 0, "{entry}");
            assert!(entry["since"].is_string() && entry["delay"]["overdue"].is_boolean(), "{entry}");
            let left = entry["delay"]["timeLeftSeconds"].as_i64().unwrap_or_else(|| panic!("{entry}"));
            if let Some(last) = failures.last_mut() {
                last.longest_delay_after = last.longest_delay_after.max(left);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(queue_seen, "the crashing app waits in /v2/queue");
    let gaps: Vec<f64> = failures.windows(2).map(|w| (w[1].seen_at - w[0].seen_at).as_secs_f64()).collect();
    let delays: Vec<i64> = failures.iter().map(|failure| failure.longest_delay_after).collect();
    println!("seconds between failures: {gaps:.2?}; longest timeLeftSeconds after each: {delays:?}");
    for (index, gap) in gaps.iter().enumerate() {
        let backoff = f64::from(1 << index);
        assert!(
            *gap >= 0.8 * backoff,
            "relaunch {index} came after {gap:.2} s, before its {backoff} s delay: {gaps:.2?}"
        );
    }
    assert!(gaps[2] > gaps[0] + 1.5, "relaunches come further apart: {gaps:.2?}");
    assert!(delays[2] >= 2 && delays[2] > delays[0], "the queue shows the growing delay: {delays:?}");

    // lastTaskFailure is also embedded in the list on request.
    let listed = cluster.get_json("/v2/apps?embed=apps.lastTaskFailure").await;
    assert_eq!(listed["apps"][0]["lastTaskFailure"]["appId"], "/crash", "{listed}");

    let (status, _, body) = cluster.call(Method::DELETE, "/v2/apps/crash", None).await;
    assert_eq!(status, 200, "DELETE /v2/apps/crash: {body}\n{}", cluster.log_tails());
    cluster
        .wait_until("the deleted app gone, its queue entry too", Duration::from_secs(30), || async {
            let (status, _, app) = cluster.call(Method::GET, "/v2/apps/crash", None).await;
            let queue = cluster.get_json("/v2/queue").await;
            let gone = status == 404 && queue == json!({"queue": []});
            gone.then_some(()).ok_or(format!("GET /v2/apps/crash: {status} {app}; queue {queue}"))
        })
        .await;
}

/// An app no agent has room for (each offers 2 cpus).
fn too_big(id: &str) -> Value {
    json!({"id": id, "cmd": "sleep 1000", "cpus": 100, "mem": 16, "instances": 1, "portDefinitions": []})
}

/// Waits a moment, then checks that deployment `id` still runs, for `app`; returns it.
async fn still_running(cluster: &MarathonCluster, id: &str, app: &str) -> Value {
    tokio::time::sleep(Duration::from_secs(2)).await;
    let deployments = cluster.get_json("/v2/deployments").await;
    let ours = deployments.as_array().expect("a list").iter().find(|deployment| deployment["id"] == id).cloned();
    let ours = ours.unwrap_or_else(|| panic!("deployment {id} cannot finish, so it still runs: {deployments}"));
    assert_eq!(ours["affectedApps"], json!([app]), "{ours}");
    assert!(ours["currentStep"].is_number() && ours["totalSteps"].is_number(), "{ours}");
    ours
}

/// `DELETE /v2/deployments/{id}`: 200 with the rollback's own deployment id.
async fn roll_back(cluster: &MarathonCluster, id: &str) {
    let (status, _, body) = cluster.call(Method::DELETE, &format!("/v2/deployments/{id}"), None).await;
    assert_eq!(status, 200, "DELETE /v2/deployments/{id}: {body}\n{}", cluster.log_tails());
    let rollback = body["deploymentId"].as_str().unwrap_or_else(|| panic!("a deploymentId in {body}"));
    assert_ne!(rollback, id, "the rollback is a new deployment");
    assert!(body["version"].is_string(), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn deployments_that_cannot_finish_are_rolled_back_or_stopped() {
    let cluster = MarathonCluster::start(MarathonClusterOptions::default()).await;

    // Rolling back the creation of an app removes it, and its queue entry.
    let (status, headers, body) = cluster.post_app(&too_big("/too-big")).await;
    assert_eq!(status, 201, "POST /v2/apps: {body}\n{}", cluster.log_tails());
    let deployment = headers["marathon-deployment-id"].to_str().unwrap().to_string();
    still_running(&cluster, &deployment, "/too-big").await;
    let waiting = queue_entry(&cluster, "/too-big").await;
    assert!(waiting.is_some_and(|entry| entry["count"] == 1), "the app waits in the queue");
    roll_back(&cluster, &deployment).await;
    cluster
        .wait_until("the rolled-back app gone, its queue entry too", Duration::from_secs(30), || async {
            let (status, _, app) = cluster.call(Method::GET, "/v2/apps/too-big", None).await;
            let queue = cluster.get_json("/v2/queue").await;
            let gone = status == 404 && queue == json!({"queue": []});
            gone.then_some(()).ok_or(format!("GET /v2/apps/too-big: {status} {app}; queue {queue}"))
        })
        .await;
    cluster.wait_for_deployments_done().await;
    assert_eq!(cluster.get_json("/v2/apps").await, json!({"apps": []}));

    // Rolling back a change restores the app as it was; its task was never touched.
    let steady = json!({"id": "/steady", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": 1,
                        "portDefinitions": []});
    let (status, _, body) = cluster.post_app(&steady).await;
    assert_eq!(status, 201, "POST /v2/apps: {body}\n{}", cluster.log_tails());
    let before = cluster.wait_for_running("/steady", 1).await;
    cluster.wait_for_deployments_done().await;
    let (status, _, body) = cluster.call(Method::PUT, "/v2/apps/steady", Some(&json!({"cpus": 100}))).await;
    assert_eq!(status, 200, "PUT /v2/apps/steady: {body}\n{}", cluster.log_tails());
    let deployment = body["deploymentId"].as_str().unwrap_or_else(|| panic!("a deploymentId in {body}")).to_string();
    still_running(&cluster, &deployment, "/steady").await;
    roll_back(&cluster, &deployment).await;
    cluster.wait_for_deployments_done().await;
    let after = cluster.wait_for_running("/steady", 1).await;
    assert_eq!(after["cpus"], 0.1, "the app is as it was: {after}");
    assert_eq!(after["cmd"], before["cmd"], "{after}");
    assert_eq!(
        after["tasks"][0]["id"],
        before["tasks"][0]["id"],
        "the task was never replaced: {}",
        app_summary(&after)
    );
    assert!(queue_entry(&cluster, "/steady").await.is_none(), "nothing waits to launch");

    // With force=true the deployment just stops: 202, no body, and the app stays as posted.
    let (status, headers, _) = cluster.post_app(&too_big("/too-big-forced")).await;
    assert_eq!(status, 201);
    let deployment = headers["marathon-deployment-id"].to_str().unwrap().to_string();
    still_running(&cluster, &deployment, "/too-big-forced").await;
    let (status, _, body) =
        cluster.call(Method::DELETE, &format!("/v2/deployments/{deployment}?force=true"), None).await;
    assert_eq!((status, body), (202, Value::Null), "DELETE /v2/deployments/{deployment}?force=true");
    cluster.wait_for_deployments_done().await;
    let app = cluster.app("/too-big-forced").await;
    assert_eq!((&app["instances"], &app["cpus"]), (&json!(1), &json!(100.0)), "the app is kept as posted: {app}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_of_a_killed_agent_are_replaced_on_the_other() {
    let mut mesos = MesosClusterOptions::default();
    mesos.master_args.extend(["--agent-unreachable-timeout-ms".to_string(), "3000".to_string()]);
    let mut cluster =
        MarathonCluster::start(MarathonClusterOptions { mesos, ..MarathonClusterOptions::default() }).await;
    let app = json!({"id": "/survivors", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": 4,
                     "portDefinitions": []});
    let (status, _, body) = cluster.post_app(&app).await;
    assert_eq!(status, 201, "POST /v2/apps: {body}\n{}", cluster.log_tails());
    let before = cluster.wait_for_running("/survivors", 4).await;
    cluster.wait_for_deployments_done().await;

    // The agent with the most of the tasks dies.
    let mut agent_ids = Vec::new();
    for agent in &cluster.mesos.agents {
        let state: Value = cluster.http().get(agent.url("/state")).send().await.unwrap().json().await.unwrap();
        agent_ids.push(state["id"].as_str().expect("a registered agent has an id").to_string());
    }
    let tasks = before["tasks"].as_array().unwrap().clone();
    let on = |agent: &str| tasks.iter().filter(|task| task["slaveId"] == agent).count();
    let victim = (0..agent_ids.len()).max_by_key(|index| on(&agent_ids[*index])).unwrap();
    let dead = agent_ids[victim].clone();
    let lost: BTreeSet<String> = tasks
        .iter()
        .filter(|task| task["slaveId"] == dead.as_str())
        .map(|task| task["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!lost.is_empty() && on(&dead) + on(&agent_ids[1 - victim]) == 4, "{}", app_summary(&before));
    let killed_at = Instant::now();
    cluster.mesos.agents[victim].process.kill();

    let after = cluster
        .wait_until("4 running tasks, none on the dead agent", Duration::from_secs(60), || async {
            let app = cluster.app("/survivors").await;
            let tasks = app["tasks"].as_array().cloned().unwrap_or_default();
            let replaced = app["tasksRunning"] == 4
                && tasks.len() == 4
                && tasks.iter().all(|task| task["state"] == "TASK_RUNNING" && task["slaveId"] != dead.as_str());
            replaced.then(|| app.clone()).ok_or_else(|| app_summary(&app))
        })
        .await;
    println!("{} tasks replaced {:.1} s after the agent was killed", lost.len(), killed_at.elapsed().as_secs_f64());
    let ids: BTreeSet<String> =
        after["tasks"].as_array().unwrap().iter().map(|task| task["id"].as_str().unwrap().to_string()).collect();
    assert!(ids.is_disjoint(&lost), "the lost tasks are gone from the app: {}", app_summary(&after));
    cluster.wait_for_deployments_done().await;
}
