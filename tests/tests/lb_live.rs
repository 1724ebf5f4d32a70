//! corral-lb keeps HAProxy live under load (Debian's `hey` against the lb's HTTP port):
//! - scaling 2 → 6 → 2 fails no request and reloads nothing (servers change through the runtime
//!   API), and each new task serves within 1 s of TASK_RUNNING; the tasks leaving are drained
//!   before marathon kills them;
//! - a rolling restart fails no request;
//! - 50 structural changes (apps created and deleted, each a reload) fail no request, and never
//!   more than two generations of HAProxy workers are alive.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use corral_testkit::{
    eventually, port_echo_app, running_ports, LbProcess, Load, LoadReport, MarathonCluster, MarathonClusterOptions,
};
use reqwest::Method;
use serde_json::json;

const LOAD_CLIENTS: usize = 4;

/// When each task was first seen TASK_RUNNING in marathon and first seen served by HAProxy.
#[derive(Default)]
struct Timeline {
    running: BTreeMap<u16, Instant>,
    serving: BTreeMap<u16, Instant>,
}

/// Watches marathon and HAProxy every 20 ms until `stop` is set.
async fn watch_timeline(cluster: &MarathonCluster, lb: &LbProcess, backend: &str, stop: &AtomicBool) -> Timeline {
    let mut timeline = Timeline::default();
    while !stop.load(Ordering::Relaxed) {
        let (status, _, body) = cluster.call(Method::GET, "/v2/apps/web", None).await;
        let now = Instant::now();
        if status == 200 {
            for port in running_ports(&body["app"]) {
                timeline.running.entry(port).or_insert(now);
            }
        }
        let now = Instant::now();
        for port in lb.serving_ports(backend) {
            timeline.serving.entry(port).or_insert(now);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    timeline
}

fn assert_no_failures(what: &str, report: &LoadReport, lb: &LbProcess) {
    assert!(report.ok() > 100, "{what}: too few answers to mean anything:\n{}", report.text);
    assert_eq!(
        report.failed(),
        0,
        "{what}: failed requests {:?} {:?}\n{}\n{}",
        report.statuses,
        report.errors,
        report.text,
        lb.log_tail()
    );
}

async fn scale(cluster: &MarathonCluster, instances: u32) {
    let (status, _, body) = cluster.call(Method::PUT, "/v2/apps/web", Some(&json!({"instances": instances}))).await;
    assert_eq!(status, 200, "{body}");
    cluster.wait_for_deployments_done().await;
    cluster.wait_for_running("/web", instances as usize).await;
}

#[tokio::test]
async fn scaling_restarting_and_reloading_under_load_fail_no_request() {
    let cluster = MarathonCluster::start(MarathonClusterOptions::default()).await;
    let lb = LbProcess::start(&cluster, &[]).await;
    assert_eq!(
        cluster
            .post_app(&port_echo_app("/web", 2, json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "web.test"})))
            .await
            .0,
        201
    );
    cluster.wait_for_running("/web", 2).await;
    let backend = lb_backend(&lb, "web_").await;
    eventually("both tasks served", Duration::from_secs(10), || async {
        (lb.serving_ports(&backend).len() == 2).then_some(())
    })
    .await;

    // Scale 2 -> 6 -> 2 under load: runtime API only.
    let reloads = lb.status_count("reloads").await;
    let stop = AtomicBool::new(false);
    let load = Load::start(&lb.http_url("/port.txt"), "web.test", Duration::from_secs(120), LOAD_CLIENTS);
    let changes = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        scale(&cluster, 6).await;
        eventually("six tasks served", Duration::from_secs(10), || async {
            (lb.serving_ports(&backend).len() == 6).then_some(())
        })
        .await;
        scale(&cluster, 2).await;
        eventually("two tasks served", Duration::from_secs(10), || async {
            (lb.serving_ports(&backend).len() == 2).then_some(())
        })
        .await;
        stop.store(true, Ordering::Relaxed);
    };
    let (timeline, ()) = tokio::join!(watch_timeline(&cluster, &lb, &backend, &stop), changes);
    let report = tokio::task::spawn_blocking(move || load.finish()).await.unwrap();
    assert_no_failures("scaling 2 -> 6 -> 2", &report, &lb);
    assert_eq!(lb.status_count("reloads").await, reloads, "scaling reloaded HAProxy\n{}", lb.log_tail());
    assert!(lb.status_count("drains_confirmed").await >= 4, "the four tasks leaving were drained");
    let mut delays = Vec::new();
    for (port, running) in &timeline.running {
        let serving = timeline.serving.get(port).unwrap_or_else(|| panic!("task on {port} never served"));
        delays.push(serving.saturating_duration_since(*running));
    }
    let slowest = delays.iter().max().copied().unwrap_or_default();
    eprintln!("TASK_RUNNING -> serving through HAProxy, per task: {delays:?}");
    assert!(slowest < Duration::from_secs(1), "a task served {slowest:?} after TASK_RUNNING");

    // A rolling restart under load, of an app whose health check tells marathon when a new task
    // can take the place of an old one (without one, marathon would kill the old tasks before
    // the new ones listen, as Marathon does).
    let mut checked = port_echo_app("/svc", 2, json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "svc.test"}));
    checked["healthChecks"] = json!([{"protocol": "HTTP", "path": "/port.txt", "portIndex": 0, "intervalSeconds": 1, "delaySeconds": 0, "gracePeriodSeconds": 10}]);
    assert_eq!(cluster.post_app(&checked).await.0, 201);
    cluster.wait_for_deployments_done().await;
    let ports = running_ports(&cluster.wait_for_running("/svc", 2).await);
    lb.wait_until_routed("svc.test", &ports).await;
    let load = Load::start(&lb.http_url("/port.txt"), "svc.test", Duration::from_secs(120), LOAD_CLIENTS);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (status, _, body) = cluster.call(Method::POST, "/v2/apps/svc/restart", None).await;
    assert_eq!(status, 200, "{body}");
    cluster.wait_for_deployments_done().await;
    let restarted = running_ports(&cluster.wait_for_running("/svc", 2).await);
    assert!(restarted.is_disjoint(&ports), "the restart replaced every task");
    lb.wait_until_routed("svc.test", &restarted).await;
    let report = tokio::task::spawn_blocking(move || load.finish()).await.unwrap();
    assert_no_failures("rolling restart", &report, &lb);

    // 50 structural changes under load: apps created and deleted, one at a time.
    let most_generations = Arc::new(AtomicUsize::new(0));
    let watching = Arc::new(AtomicBool::new(true));
    let watcher = {
        let (most, watching) = (most_generations.clone(), watching.clone());
        let socket_owner = lb.work_dir.clone();
        tokio::task::spawn_blocking(move || {
            while watching.load(Ordering::Relaxed) {
                most.fetch_max(LbProcess::worker_generations_in(&socket_owner), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let reloads = lb.status_count("reloads").await;
    let load = Load::start(&lb.http_url("/port.txt"), "web.test", Duration::from_secs(300), LOAD_CLIENTS);
    let started = Instant::now();
    for i in 0..25 {
        let id = format!("/structure-{i}");
        let app = json!({"id": id, "cmd": "sleep 1000", "instances": 0, "portDefinitions": [{"port": 0}],
                         "labels": {"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": format!("s{i}.test")}});
        assert_eq!(cluster.post_app(&app).await.0, 201);
        let backend_prefix = format!("backend structure-{i}_");
        eventually("the new app in HAProxy's config", Duration::from_secs(20), || async {
            lb.config().await.contains(&backend_prefix).then_some(())
        })
        .await;
        assert_eq!(cluster.call(Method::DELETE, &format!("/v2/apps{id}"), None).await.0, 200);
        eventually("the app gone from HAProxy's config", Duration::from_secs(20), || async {
            (!lb.config().await.contains(&backend_prefix)).then_some(())
        })
        .await;
    }
    let took = started.elapsed();
    watching.store(false, Ordering::Relaxed);
    watcher.await.unwrap();
    assert!(took < Duration::from_secs(300), "the structural changes outlasted the load ({took:?})");
    let report = tokio::task::spawn_blocking(move || load.finish()).await.unwrap();
    assert_no_failures("50 structural changes", &report, &lb);
    let reloaded = lb.status_count("reloads").await - reloads;
    assert!(reloaded >= 50, "each change is a reload ({reloaded})");
    let most = most_generations.load(Ordering::Relaxed);
    eprintln!("50 structural changes in {took:?}; at most {most} worker generations alive");
    assert!((1..=2).contains(&most), "{most} generations of HAProxy workers were alive at once");
}

/// The backend whose name starts with `prefix` in the lb's config.
async fn lb_backend(lb: &LbProcess, prefix: &str) -> String {
    eventually("the app's backend", Duration::from_secs(20), || async {
        let config = lb.config().await;
        config
            .lines()
            .find_map(|line| line.strip_prefix("backend ").filter(|name| name.starts_with(prefix)).map(str::to_string))
    })
    .await
}
