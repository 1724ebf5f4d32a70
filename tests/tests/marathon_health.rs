//! Health checks: an app's HTTP check runs on the agent; a task failing it shows
//! `healthCheckResults[].alive: false` and `tasksUnhealthy`, clients see
//! `health_status_changed_event` (alive false), and after `maxConsecutiveFailures` failures the task
//! is killed (`unhealthy_instance_kill_event`) and replaced, with the kill as `lastTaskFailure`.

use std::time::Duration;

use corral_testkit::{eventually, EventStream, MarathonCluster, MarathonClusterOptions};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn a_task_failing_its_health_check_is_killed_and_replaced() {
    let cluster = MarathonCluster::start(MarathonClusterOptions::default()).await;
    let leader = cluster.leader_url().await;
    let types = "event_type=health_status_changed_event&event_type=unhealthy_instance_kill_event";
    let mut events = EventStream::open(&format!("{leader}/v2/events?{types}")).await;

    // The server answers 404 on the checked path: never healthy.
    let app = json!({
        "id": "/sick", "cmd": "exec python3 -m http.server $PORT0 --bind 127.0.0.1",
        "cpus": 0.1, "mem": 32, "instances": 1, "portDefinitions": [{"port": 0}],
        "healthChecks": [{"protocol": "HTTP", "path": "/missing", "portIndex": 0, "gracePeriodSeconds": 0,
                          "intervalSeconds": 1, "timeoutSeconds": 1, "maxConsecutiveFailures": 3}]
    });
    let (status, _, body) = cluster.post_app(&app).await;
    assert_eq!(status, 201, "POST /v2/apps: {body}");

    let first = eventually("the task to be reported unhealthy", Duration::from_secs(30), || async {
        let app = cluster.app("/sick").await;
        let task = app["tasks"].as_array()?.first()?.clone();
        let alive = task["healthCheckResults"][0]["alive"].as_bool()?;
        (!alive && app["tasksUnhealthy"] == 1 && app["tasksHealthy"] == 0).then(|| task["id"].clone())
    })
    .await;

    let mut seen: Vec<(String, Value)> = Vec::new();
    while !seen.iter().any(|(name, data)| name == "unhealthy_instance_kill_event" && data["taskId"] == first) {
        let event = events.next(Duration::from_secs(30)).await;
        seen.push(event.unwrap_or_else(|| panic!("no unhealthy_instance_kill_event for {first}: {seen:?}")));
    }
    let changed = seen.iter().find(|(name, data)| name == "health_status_changed_event" && data["instanceId"] == first);
    let changed = changed.unwrap_or_else(|| panic!("a health_status_changed_event for {first}: {seen:?}"));
    assert_eq!((&changed.1["alive"], &changed.1["appId"]), (&json!(false), &json!("/sick")), "{}", changed.1);

    let app = eventually("a replacement task and the kill as lastTaskFailure", Duration::from_secs(30), || async {
        let app = cluster.app("/sick").await;
        let replaced = app["tasks"].as_array()?.iter().any(|task| task["id"] != first);
        (replaced && app["lastTaskFailure"]["taskId"] == first).then_some(app)
    })
    .await;
    assert!(app["lastTaskFailure"]["state"].as_str().is_some_and(|state| state.starts_with("TASK_")), "{app}");
}
