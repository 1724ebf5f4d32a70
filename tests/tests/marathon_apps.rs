//! Command apps through Marathon's v2 API on real agents: `POST /v2/apps` answers 201 with
//! `Location` and `Marathon-Deployment-Id`; the tasks run on distinct host ports and answer HTTP;
//! `GET /v2/apps/{id}` embeds them. Scaling with `PUT {"instances": n}` honours `killSelection`
//! (`YOUNGEST_FIRST` keeps the oldest tasks, `OLDEST_FIRST` the youngest), and `DELETE` stops
//! every task and forgets the app (404 `App '/x' does not exist`).

use std::collections::BTreeSet;
use std::time::Duration;

use corral_testkit::{patience, MarathonCluster, MarathonClusterOptions};
use reqwest::Method;
use serde_json::{json, Value};

/// A command app serving HTTP on its one host port, from the task's sandbox.
fn web_app(id: &str, instances: u32) -> Value {
    json!({"id": id, "cmd": "exec python3 -m http.server $PORT0 --bind 127.0.0.1",
           "cpus": 0.1, "mem": 32, "instances": instances, "portDefinitions": [{"port": 0}]})
}

fn tasks(app: &Value) -> Vec<Value> {
    app["tasks"].as_array().cloned().unwrap_or_default()
}

fn task_ids(app: &Value) -> BTreeSet<String> {
    tasks(app).iter().map(|task| task["id"].as_str().expect("a task id").to_string()).collect()
}

/// `PUT /v2/apps/{id}` with `{"instances": count}`: 200 with a deployment id and a version.
async fn scale(cluster: &MarathonCluster, id: &str, count: u32) {
    let (status, headers, body) =
        cluster.call(Method::PUT, &format!("/v2/apps{id}"), Some(&json!({"instances": count}))).await;
    assert_eq!(status, 200, "scaling {id} to {count}: {body}\n{}", cluster.log_tails());
    let deployment = body["deploymentId"].as_str().unwrap_or_else(|| panic!("a deploymentId in {body}"));
    assert!(body["version"].is_string(), "a version in {body}");
    assert_eq!(headers.get("marathon-deployment-id").and_then(|v| v.to_str().ok()), Some(deployment));
}

/// Whether `GET http://host:port/` answers 200 within a few seconds.
async fn answers_http(http: &reqwest::Client, host: &str, port: u64) -> bool {
    let deadline = tokio::time::Instant::now() + patience(Duration::from_secs(10));
    while tokio::time::Instant::now() < deadline {
        let answer = http.get(format!("http://{host}:{port}/")).send().await;
        if answer.is_ok_and(|answer| answer.status() == 200) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Checks a scale-down from the tasks of `before` to `survivors`: no killed task started earlier
/// (`keep_oldest`) or later than a surviving one. `startedAt` strings of one format sort by time;
/// tasks started in the same millisecond may go either way.
fn assert_kept(before: &Value, survivors: &BTreeSet<String>, keep_oldest: bool) {
    let started = |task: &Value| task["startedAt"].as_str().unwrap_or_default().to_string();
    let (kept, killed): (Vec<Value>, Vec<Value>) =
        tasks(before).into_iter().partition(|task| survivors.contains(task["id"].as_str().unwrap()));
    assert_eq!(kept.len(), survivors.len(), "the survivors {survivors:?} were all there before");
    for (kept, killed) in kept.iter().flat_map(|kept| killed.iter().map(move |killed| (kept, killed))) {
        let fine = match keep_oldest {
            true => started(kept) <= started(killed),
            false => started(kept) >= started(killed),
        };
        let which = if keep_oldest { "younger" } else { "older" };
        assert!(
            fine,
            "task {} (started {}) was kept but {} (started {}) was killed: the kept one is {which}",
            kept["id"],
            started(kept),
            killed["id"],
            started(killed)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_app_runs_answers_http_scales_youngest_first_and_is_deleted() {
    let cluster = MarathonCluster::start(MarathonClusterOptions::default()).await;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();

    let (status, headers, body) = cluster.post_app(&web_app("/web", 3)).await;
    assert_eq!(status, 201, "POST /v2/apps: {body}\n{}", cluster.log_tails());
    let location = headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(location.ends_with("/web"), "Location names the app: {location:?}");
    let deployment = headers.get("marathon-deployment-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(!deployment.is_empty(), "a Marathon-Deployment-Id header: {headers:?}");
    assert_eq!(body["id"], "/web", "{body}");
    assert_eq!(body["instances"], 3, "{body}");
    assert_eq!(body["tasksRunning"], 0, "{body}");
    assert_eq!(body["deployments"], json!([{"id": deployment}]), "{body}");

    let app = cluster.wait_for_running("/web", 3).await;
    let version = app["version"].as_str().expect("the app's version").to_string();
    let mut ports = BTreeSet::new();
    for task in tasks(&app) {
        assert_eq!(task["state"], "TASK_RUNNING", "{task}");
        assert_eq!(task["appId"], "/web", "{task}");
        assert_eq!(task["version"], version.as_str(), "{task}");
        assert!(task["id"].as_str().unwrap().starts_with("web."), "task ids are the app's safe id + '.': {task}");
        assert!(task["startedAt"].is_string() && task["stagedAt"].is_string(), "{task}");
        let host = task["host"].as_str().expect("a host").to_string();
        let port = task["ports"][0].as_u64().unwrap_or_else(|| panic!("a host port: {task}"));
        assert!((31_000..31_200).contains(&port), "the port is one the agents offer: {task}");
        assert!(ports.insert(port), "distinct host ports: {}", corral_testkit::app_summary(&app));
        assert!(answers_http(&http, &host, port).await, "task {} answers HTTP on {host}:{port}", task["id"]);
    }
    let listed = cluster.get_json("/v2/apps").await;
    assert_eq!(listed["apps"][0]["id"], "/web", "{listed}");
    assert_eq!(listed["apps"][0]["tasksRunning"], 3, "{listed}");
    cluster.wait_for_deployments_done().await;

    // Up to 5: two younger tasks join the three.
    let first_three = task_ids(&app);
    scale(&cluster, "/web", 5).await;
    let five = cluster.wait_for_running("/web", 5).await;
    assert!(
        task_ids(&five).is_superset(&first_three),
        "scaling up keeps the tasks: {}",
        corral_testkit::app_summary(&five)
    );
    cluster.wait_for_deployments_done().await;

    // Down to 2 with YOUNGEST_FIRST (the default): the two oldest stay.
    scale(&cluster, "/web", 2).await;
    let two = cluster.wait_for_running("/web", 2).await;
    let survivors = task_ids(&two);
    assert!(survivors.is_subset(&first_three), "only the first tasks survive: {survivors:?} of {first_three:?}");
    assert_kept(&five, &survivors, true);
    cluster.wait_for_deployments_done().await;
    for task in tasks(&five).iter().filter(|task| !survivors.contains(task["id"].as_str().unwrap())) {
        let port = task["ports"][0].as_u64().unwrap();
        let host = task["host"].as_str().unwrap();
        cluster
            .wait_until(&format!("killed task {} to stop serving", task["id"]), Duration::from_secs(10), || async {
                match http.get(format!("http://{host}:{port}/")).send().await {
                    Err(_) => Ok(()),
                    Ok(answer) => Err(format!("{host}:{port} still answers {}", answer.status())),
                }
            })
            .await;
    }

    let (status, _, body) = cluster.call(Method::DELETE, "/v2/apps/web", None).await;
    assert_eq!(status, 200, "DELETE /v2/apps/web: {body}\n{}", cluster.log_tails());
    assert!(body["deploymentId"].is_string() && body["version"].is_string(), "a DeploymentResult: {body}");
    cluster
        .wait_until("the deleted app to be unknown", Duration::from_secs(30), || async {
            let (status, _, body) = cluster.call(Method::GET, "/v2/apps/web", None).await;
            match (status, body["message"].as_str()) {
                (404, Some("App '/web' does not exist")) => Ok(()),
                _ => Err(format!("{status} {body}")),
            }
        })
        .await;
    cluster
        .wait_until("the deleted app's processes to exit", Duration::from_secs(30), || async {
            let pids = cluster.mesos.task_processes();
            pids.is_empty().then_some(()).ok_or(format!("task processes still running: {pids:?}"))
        })
        .await;
    for port in &ports {
        assert!(http.get(format!("http://127.0.0.1:{port}/")).send().await.is_err(), "nothing serves on {port}");
    }
    cluster.wait_for_deployments_done().await;
    assert_eq!(cluster.get_json("/v2/apps").await, json!({"apps": []}));
}

#[tokio::test(flavor = "multi_thread")]
async fn oldest_first_scale_down_keeps_the_youngest_tasks() {
    let cluster = MarathonCluster::start(MarathonClusterOptions::default()).await;
    // No ports: this test may run beside the other one, on the same agent port ranges.
    let app = json!({"id": "/sleepers", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": 2,
                     "portDefinitions": [], "killSelection": "OLDEST_FIRST"});
    let (status, _, body) = cluster.post_app(&app).await;
    assert_eq!(status, 201, "POST /v2/apps: {body}\n{}", cluster.log_tails());
    assert_eq!(body["killSelection"], "OLDEST_FIRST", "{body}");
    let two = cluster.wait_for_running("/sleepers", 2).await;
    cluster.wait_for_deployments_done().await;
    let first_two = task_ids(&two);

    scale(&cluster, "/sleepers", 4).await;
    let four = cluster.wait_for_running("/sleepers", 4).await;
    cluster.wait_for_deployments_done().await;

    scale(&cluster, "/sleepers", 2).await;
    let survivors = task_ids(&cluster.wait_for_running("/sleepers", 2).await);
    assert!(survivors.is_disjoint(&first_two), "the oldest tasks go first: {survivors:?}, first {first_two:?}");
    assert_kept(&four, &survivors, false);
    cluster.wait_for_deployments_done().await;
    assert_eq!(cluster.app("/sleepers").await["instances"], 2);
}
