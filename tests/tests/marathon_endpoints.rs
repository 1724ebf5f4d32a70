//! The rest of marathon's API on a running app: `/ping`, `/metrics`, the web UI, `/v2/info` (with
//! its three config objects), `/v2/leader`, `/v2/tasks` (and `?status=`), `/v2/groups` (nested by
//! path), `/v2/apps` filters, versions, `/v2/queue`, and `POST /v2/tasks/delete` (400 for unknown
//! ids; a known id is killed and replaced).

use std::time::Duration;

use corral_testkit::{eventually, send_json, MarathonCluster, MarathonClusterOptions};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn the_other_endpoints_answer_in_marathons_shapes() {
    let cluster = MarathonCluster::start(MarathonClusterOptions::default()).await;
    let leader = cluster.leader_url().await;
    let http = cluster.http().clone();
    let text = |path: &str| {
        let (http, url) = (http.clone(), format!("{leader}{path}"));
        async move { http.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(text("/ping").await, "pong");
    assert!(text("/").await.contains("<html"), "the web UI");

    let app = json!({"id": "/shop/web", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": 2,
                     "labels": {"tier": "front"}, "portDefinitions": [{"port": 0}]});
    let (status, _, body) = cluster.post_app(&app).await;
    assert_eq!(status, 201, "{body}");
    cluster.wait_for_running("/shop/web", 2).await;
    cluster.wait_for_deployments_done().await;

    let info = cluster.get_json("/v2/info").await;
    for key in ["marathon_config", "zookeeper_config", "http_config"] {
        assert!(info[key].is_object(), "/v2/info has {key}: {info}");
    }
    assert_eq!(info["elected"], true);
    assert!(info["frameworkId"].is_string(), "{info}");
    let address = leader.trim_start_matches("http://");
    assert_eq!(cluster.get_json("/v2/leader").await, json!({"leader": address}));

    let tasks = cluster.get_json("/v2/tasks?status=running").await;
    assert_eq!(tasks["tasks"].as_array().map(Vec::len), Some(2), "{tasks}");
    let staging = cluster.get_json("/v2/tasks?status=staging").await;
    assert_eq!(staging, json!({"tasks": []}));

    let root = cluster.get_json("/v2/groups").await;
    assert_eq!(root["id"], "/");
    assert_eq!(root["groups"][0]["id"], "/shop", "{root}");
    assert_eq!(root["groups"][0]["apps"][0]["id"], "/shop/web", "{root}");
    assert_eq!(cluster.get_json("/v2/groups/shop").await["apps"][0]["id"], "/shop/web");

    let by_label = cluster.get_json("/v2/apps?label=tier==front").await;
    assert_eq!(by_label["apps"].as_array().map(Vec::len), Some(1), "{by_label}");
    let none = cluster.get_json("/v2/apps?label=tier==back").await;
    assert_eq!(none, json!({"apps": []}));
    let versions = cluster.get_json("/v2/apps/shop/web/versions").await;
    let version = versions["versions"][0].as_str().expect("a version").to_string();
    let stored = cluster.get_json(&format!("/v2/apps/shop/web/versions/{version}")).await;
    assert_eq!((stored["id"].as_str(), stored["instances"].as_i64()), (Some("/shop/web"), Some(2)), "{stored}");
    assert_eq!(cluster.get_json("/v2/queue").await, json!({"queue": []}));

    let metrics = text("/metrics").await;
    assert!(metrics.contains("marathon_apps 1"), "{metrics}");

    let (status, _, answer) = send_json(
        &http,
        Method::POST,
        &format!("{leader}/v2/tasks/delete"),
        Some(json!({"ids": ["shop_web.nope"]}).to_string()),
    )
    .await;
    assert_eq!(status, 400, "unknown task ids: {answer}");
    let victim = tasks["tasks"][0]["id"].clone();
    let body = json!({"ids": [victim.clone()]}).to_string();
    let (status, _, answer) = send_json(&http, Method::POST, &format!("{leader}/v2/tasks/delete"), Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    eventually("the killed task to be replaced", Duration::from_secs(20), || async {
        let app: Value = cluster.app("/shop/web").await;
        let tasks = app["tasks"].as_array()?;
        let running = tasks.iter().filter(|task| task["state"] == "TASK_RUNNING").count();
        (running == 2 && tasks.iter().all(|task| task["id"] != victim)).then_some(())
    })
    .await;
}
