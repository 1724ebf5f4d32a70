//! `/v2/events` as Server-Sent Events (`Accept: text/event-stream`): for one `POST /v2/apps` a
//! client sees `api_post_event`, then the task's `status_update_event`s up to TASK_RUNNING, then
//! `deployment_success` for that deployment, in that order, each `data` a JSON object whose
//! `eventType` is the SSE event name. A client subscribed with `?event_type=deployment_success`
//! sees only those.

use std::time::Duration;

use corral_testkit::{EventStream, MarathonCluster, MarathonClusterOptions};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn one_deployment_shows_its_events_in_order_and_filters_work() {
    let cluster = MarathonCluster::start(MarathonClusterOptions::default()).await;
    let leader = cluster.leader_url().await;
    let mut all = EventStream::open(&format!("{leader}/v2/events")).await;
    let mut only = EventStream::open(&format!("{leader}/v2/events?event_type=deployment_success")).await;
    // Both subscriptions are in place before anything happens.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let app = json!({"id": "/events-app", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": 1,
                     "portDefinitions": []});
    let (status, headers, body) = cluster.post_app(&app).await;
    assert_eq!(status, 201, "POST /v2/apps: {body}\n{}", cluster.log_tails());
    let deployment = headers["marathon-deployment-id"].to_str().unwrap().to_string();

    let mut seen: Vec<(String, Value)> = Vec::new();
    while !seen.iter().any(|(name, data)| name == "deployment_success" && data["id"] == deployment.as_str()) {
        let listed: Vec<&String> = seen.iter().map(|(name, _)| name).collect();
        let event = all.next(Duration::from_secs(30)).await;
        seen.push(event.unwrap_or_else(|| {
            panic!("no deployment_success for {deployment}; events so far: {listed:?}\n{}", cluster.log_tails())
        }));
    }
    let names: Vec<&str> = seen.iter().map(|(name, _)| name.as_str()).collect();
    println!("events seen: {names:?}");
    for (name, data) in &seen {
        assert_eq!(data["eventType"], name.as_str(), "the data names the event's type: {name} {data}");
        assert!(data["timestamp"].is_string(), "every event has a timestamp: {data}");
    }
    let position = |wanted: &dyn Fn(&str, &Value) -> bool| seen.iter().position(|(name, data)| wanted(name, data));
    let posted = position(&|name, data| name == "api_post_event" && data["appDefinition"]["id"] == "/events-app");
    let posted = posted.unwrap_or_else(|| panic!("an api_post_event for /events-app: {names:?}"));
    assert_eq!(seen[posted].1["uri"], "/v2/apps", "{}", seen[posted].1);
    assert!(seen[posted].1["clientIp"].is_string(), "{}", seen[posted].1);

    let ours = |name: &str, data: &Value| name == "status_update_event" && data["appId"] == "/events-app";
    let first_update = position(&ours).unwrap_or_else(|| panic!("a status_update_event for /events-app: {names:?}"));
    let running = position(&|name, data| ours(name, data) && data["taskStatus"] == "TASK_RUNNING");
    let running = running.unwrap_or_else(|| panic!("a TASK_RUNNING status_update_event: {names:?}"));
    let succeeded = seen.len() - 1;
    assert!(posted < first_update, "api_post_event comes before the task's updates: {names:?}");
    assert!(running < succeeded, "TASK_RUNNING comes before deployment_success: {names:?}");
    for (name, data) in &seen[..running] {
        if ours(name, data) {
            let state = data["taskStatus"].as_str().unwrap_or_default();
            assert!(["TASK_STAGING", "TASK_STARTING"].contains(&state), "before TASK_RUNNING: {data}");
        }
    }
    let update = &seen[running].1;
    assert!(update["taskId"].as_str().is_some_and(|id| id.starts_with("events-app.")), "{update}");
    assert!(update["slaveId"].is_string() && update["host"].is_string(), "{update}");
    assert!(update["ports"].is_array() && update["version"].is_string(), "{update}");
    assert_eq!(seen[succeeded].1["plan"]["id"], deployment.as_str(), "{}", seen[succeeded].1);

    // The filtered stream got that deployment_success and nothing else.
    let mut filtered = Vec::new();
    while !filtered.iter().any(|(_, data): &(String, Value)| data["id"] == deployment.as_str()) {
        let event = only.next(Duration::from_secs(10)).await;
        filtered.push(event.unwrap_or_else(|| panic!("no deployment_success on the filtered stream: {filtered:?}")));
    }
    while let Some(event) = only.next(Duration::from_millis(500)).await {
        filtered.push(event);
    }
    for (name, data) in &filtered {
        assert_eq!(name, "deployment_success", "?event_type=deployment_success lets only those through: {data}");
    }
}
