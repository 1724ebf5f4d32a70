//! Process tasks through the whole stack (marathon, master, real `corral-agent` binaries whose
//! own executable is each task's launcher):
//! - an app with `mem: 32` that allocates 1 GiB fails (TASK_FAILED, `lastTaskFailure` saying so)
//!   while another app's task on the same agents keeps running, untouched;
//! - an app with `"user": "nobody"` runs as nobody, its COMMAND health check too, when the agents
//!   run as root (as in CI); agents that are not root fail it saying why.

use std::time::Duration;

use corral_testkit::{eventually, MarathonCluster, MarathonClusterOptions};
use serde_json::json;

const PATIENCE: Duration = Duration::from_secs(60);

/// Whether this test (and so the agents it starts) runs as root: `/proc/self` belongs to the
/// process's effective user.
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

#[tokio::test(flavor = "multi_thread")]
async fn over_its_memory_a_task_fails_and_its_neighbours_keep_running() {
    let cluster = MarathonCluster::start(MarathonClusterOptions::default()).await;
    let steady = json!({"id": "/steady", "cmd": "exec sleep 1000", "cpus": 0.1, "mem": 32, "instances": 2,
                        "portDefinitions": []});
    assert_eq!(cluster.post_app(&steady).await.0, 201);
    let before = cluster.wait_for_running("/steady", 2).await;

    let hog = json!({"id": "/hog", "cmd": "exec python3 -c 'b = bytearray(1 << 30); import time; time.sleep(60)'",
                     "cpus": 0.1, "mem": 32, "instances": 1, "portDefinitions": [], "backoffSeconds": 600});
    assert_eq!(cluster.post_app(&hog).await.0, 201);
    let failure = eventually("the hog's failure", PATIENCE, || async {
        let failure = cluster.app("/hog").await["lastTaskFailure"].clone();
        failure["taskId"].is_string().then_some(failure)
    })
    .await;
    assert_eq!(failure["state"], "TASK_FAILED", "{failure}");
    let message = failure["message"].as_str().unwrap_or_default();
    // With cgroups the kernel ends it; with RLIMIT_AS alone python's allocation fails.
    assert!(
        message.contains("went over its memory limit of 32 MB") || message.contains("exited with status 1"),
        "{failure}\n{}",
        cluster.log_tails()
    );

    let after = cluster.wait_for_running("/steady", 2).await;
    let ids = |app: &serde_json::Value| {
        let mut ids: Vec<String> =
            app["tasks"].as_array().unwrap().iter().map(|task| task["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&after), ids(&before), "the other app's tasks are the same, still running");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_runs_as_its_user() {
    let cluster = MarathonCluster::start(MarathonClusterOptions::default()).await;
    let as_nobody = "test \"$(id -u)\" = \"$(id -u nobody)\"";
    let app = json!({
        "id": "/as-nobody", "user": "nobody", "cmd": format!("{as_nobody} || exit 3; exec sleep 1000"),
        "cpus": 0.1, "mem": 32, "instances": 1, "portDefinitions": [], "backoffSeconds": 600,
        "healthChecks": [{"protocol": "COMMAND", "command": {"value": as_nobody}, "gracePeriodSeconds": 0,
                          "intervalSeconds": 1, "timeoutSeconds": 5, "maxConsecutiveFailures": 3}]
    });
    assert_eq!(cluster.post_app(&app).await.0, 201);
    if !running_as_root() {
        let failure = eventually("the refusal", PATIENCE, || async {
            let failure = cluster.app("/as-nobody").await["lastTaskFailure"].clone();
            failure["taskId"].is_string().then_some(failure)
        })
        .await;
        let message = failure["message"].as_str().unwrap_or_default();
        assert!(message.contains("task asks to run as `nobody` but the agent is not root"), "{failure}");
        return;
    }
    let app = eventually("the task healthy, as nobody", PATIENCE, || async {
        let app = cluster.app("/as-nobody").await;
        (app["tasksHealthy"] == 1).then_some(app)
    })
    .await;
    assert!(app["lastTaskFailure"].is_null(), "it never failed: {app}");
}
