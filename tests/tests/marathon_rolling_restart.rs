//! A rolling restart keeps enough healthy tasks: an app of 4 instances with an HTTP health check
//! (run by the agents) and `upgradeStrategy {minimumHealthCapacity: 0.5, maximumOverCapacity: 0.5}`
//! is restarted with `POST /v2/apps/{id}/restart` while `GET /v2/apps/{id}` is sampled every
//! 100 ms. No sample shows fewer than ceil(0.5 × 4) = 2 healthy tasks, by `tasksHealthy` or by
//! counting TASK_RUNNING tasks whose `healthCheckResults` are all alive; at the end every task is
//! new, runs the restart's version, and no deployment is left.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corral_testkit::{app_summary, send_json, MarathonCluster, MarathonClusterOptions};
use reqwest::Method;
use serde_json::{json, Value};

const INSTANCES: u64 = 4;
const MIN_HEALTHY: u64 = 2;

/// TASK_RUNNING tasks with health results, all alive.
fn healthy_tasks(app: &Value) -> u64 {
    let healthy = |task: &&Value| {
        let results = task["healthCheckResults"].as_array().cloned().unwrap_or_default();
        task["state"] == "TASK_RUNNING" && !results.is_empty() && results.iter().all(|result| result["alive"] == true)
    };
    app["tasks"].as_array().map_or(0, |tasks| tasks.iter().filter(healthy).count() as u64)
}

fn task_ids(app: &Value) -> BTreeSet<String> {
    app["tasks"].as_array().into_iter().flatten().map(|task| task["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rolling_restart_never_drops_below_the_minimum_health_capacity() {
    let cluster = MarathonCluster::start(MarathonClusterOptions::default()).await;
    let app = json!({
        "id": "/rolling", "cmd": "exec python3 -m http.server $PORT0 --bind 127.0.0.1",
        "cpus": 0.1, "mem": 32, "instances": INSTANCES, "portDefinitions": [{"port": 0}],
        "healthChecks": [{"protocol": "HTTP", "path": "/", "portIndex": 0, "gracePeriodSeconds": 5,
                          "intervalSeconds": 1, "timeoutSeconds": 1, "maxConsecutiveFailures": 3}],
        "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0.5}
    });
    let (status, _, body) = cluster.post_app(&app).await;
    assert_eq!(status, 201, "POST /v2/apps: {body}\n{}", cluster.log_tails());
    let before = cluster
        .wait_until("4 healthy tasks", Duration::from_secs(60), || async {
            let app = cluster.app("/rolling").await;
            let all_healthy = app["tasksHealthy"] == INSTANCES && healthy_tasks(&app) == INSTANCES;
            all_healthy.then(|| app.clone()).ok_or_else(|| app_summary(&app))
        })
        .await;
    cluster.wait_for_deployments_done().await;
    let old_tasks = task_ids(&before);

    // Sample the leader's view of the app every 100 ms until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let url = format!("{}/v2/apps/rolling", cluster.leader_url().await);
    let sampler = tokio::spawn({
        let (stop, http) = (stop.clone(), cluster.http().clone());
        async move {
            let mut samples: Vec<Result<Value, String>> = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let (status, _, body) = send_json(&http, Method::GET, &url, None).await;
                samples.push(match status {
                    200 => Ok(body["app"].clone()),
                    _ => Err(format!("GET {url} answered {status} {body}")),
                });
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            samples
        }
    });

    let (status, headers, body) = cluster.call(Method::POST, "/v2/apps/rolling/restart", None).await;
    assert_eq!(status, 200, "POST /v2/apps/rolling/restart: {body}\n{}", cluster.log_tails());
    let version = body["version"].as_str().unwrap_or_else(|| panic!("a version in {body}")).to_string();
    let deployment = body["deploymentId"].as_str().unwrap_or_else(|| panic!("a deploymentId in {body}"));
    assert_eq!(headers.get("marathon-deployment-id").and_then(|v| v.to_str().ok()), Some(deployment));
    assert_ne!(before["version"], version.as_str(), "a restart makes a new version");

    let after = cluster
        .wait_until("every task on the new version, healthy, and no deployment", Duration::from_secs(90), || async {
            let app = cluster.app("/rolling").await;
            let deployments = cluster.get_json("/v2/deployments").await;
            let tasks = app["tasks"].as_array().cloned().unwrap_or_default();
            let done = deployments == json!([])
                && tasks.len() as u64 == INSTANCES
                && tasks.iter().all(|task| task["version"] == version.as_str())
                && app["tasksHealthy"] == INSTANCES
                && healthy_tasks(&app) == INSTANCES;
            done.then(|| app.clone()).ok_or_else(|| format!("deployments {deployments}; {}", app_summary(&app)))
        })
        .await;
    stop.store(true, Ordering::SeqCst);
    let samples: Vec<Value> = sampler
        .await
        .expect("the sampler ran")
        .into_iter()
        .map(|sample| sample.unwrap_or_else(|error| panic!("while restarting: {error}\n{}", cluster.log_tails())))
        .collect();

    assert!(task_ids(&after).is_disjoint(&old_tasks), "every task was replaced: {}", app_summary(&after));
    // Some sample caught the restart half-way: old and new tasks side by side.
    let midway = samples.iter().any(|app| {
        let ids = task_ids(app);
        !ids.is_disjoint(&old_tasks) && !ids.is_subset(&old_tasks)
    });
    assert!(midway, "no sample of {} caught old and new tasks together", samples.len());
    for (index, app) in samples.iter().enumerate() {
        let (reported, counted) = (app["tasksHealthy"].as_u64().unwrap_or(0), healthy_tasks(app));
        assert!(
            reported >= MIN_HEALTHY && counted >= MIN_HEALTHY,
            "sample {index} of {}: tasksHealthy {reported}, healthy running tasks {counted}, fewer than \
             {MIN_HEALTHY}: {}\n{}",
            samples.len(),
            app_summary(app),
            cluster.log_tails()
        );
    }
    let least = samples.iter().map(|app| app["tasksHealthy"].as_u64().unwrap_or(0)).min().unwrap_or(0);
    println!("{} samples; fewest healthy tasks seen: {least} (minimum {MIN_HEALTHY})", samples.len());
}
