//! What marathon refuses so that no client can bring it down or be misled, through the real
//! binaries, each refusal a 422 in Marathon's shape naming the field:
//! - numbers beyond Marathon's bounds, such as the issue's `maxLaunchDelaySeconds:
//!   9223372036854775807`, whose failing task used to overflow the launch backoff and panic the
//!   leader; an app at the bounds that fails at once is accepted and backed off, and the leader
//!   keeps serving;
//! - ids longer than a task id (the id, a dot and a uuid) can carry as a file name on the agents;
//! - fields Corral does not act on yet (volumes, Docker parameters, `user` with an image, fetch and
//!   uris, readiness checks, a second health check), while the empty lists clients send by default
//!   pass;
//! - and an id that cannot be stored is a 404, never a 503 that says the store is down.

use std::time::Duration;

use corral_testkit::{MarathonCluster, MarathonClusterOptions, MesosClusterOptions};
use reqwest::Method;
use serde_json::{json, Value};

/// `POST /v2/apps` with `app` is a 422 whose details name `path` with an error containing `says`.
async fn refused(cluster: &MarathonCluster, app: Value, path: &str, says: &str) {
    let (status, _, body) = cluster.post_app(&app).await;
    let what = format!("POST {app}: answered {status} {body}");
    assert_eq!((status, body["message"].as_str()), (422, Some("Object is not valid")), "{what}");
    let details = body["details"].as_array().unwrap_or_else(|| panic!("{what}: details must be a list"));
    let named = details.iter().find(|detail| detail["path"] == path).unwrap_or_else(|| panic!("{what}: no {path}"));
    let errors = named["errors"].as_array().unwrap_or_else(|| panic!("{what}: errors must be a list"));
    assert!(errors.iter().any(|error| error.as_str().is_some_and(|error| error.contains(says))), "{what}");
}

fn sleeper(id: &str, extra: Value) -> Value {
    let mut app = json!({"id": id, "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": 0});
    app.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    app
}

#[tokio::test(flavor = "multi_thread")]
async fn what_marathon_cannot_honour_is_refused_by_name_and_the_leader_keeps_serving() {
    let mesos = MesosClusterOptions { agents: 1, ..MesosClusterOptions::default() };
    let cluster = MarathonCluster::start(MarathonClusterOptions { mesos, ..MarathonClusterOptions::default() }).await;

    let bound = "expected 2147483647 or less";
    let issue = json!({"id": "/crash", "cmd": "exit 1", "cpus": 0.1, "mem": 16, "portDefinitions": [],
                       "maxLaunchDelaySeconds": i64::MAX});
    refused(&cluster, issue, "/maxLaunchDelaySeconds", bound).await;
    refused(&cluster, sleeper("/slow", json!({"backoffSeconds": 4_000_000_000_i64})), "/backoffSeconds", bound).await;
    let check = json!([{"protocol": "TCP", "intervalSeconds": 4_000_000_000_i64}]);
    refused(&cluster, sleeper("/checked", json!({"healthChecks": check})), "/healthChecks(0)/intervalSeconds", bound)
        .await;
    refused(&cluster, sleeper("/big", json!({"cpus": 1e300})), "/cpus", "or less").await;

    let long_id = format!("/{0}/{0}/{0}/{0}", "a".repeat(60));
    refused(&cluster, sleeper(&long_id, json!({})), "/id", "at most 219").await;

    let not_yet = "Corral does not support";
    let docker = |extra: Value| {
        let mut docker = json!({"image": "corral/busybox:latest"});
        docker.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        sleeper("/boxed", json!({"container": {"type": "DOCKER", "docker": docker}}))
    };
    let volume = json!({"container": {"type": "MESOS", "volumes": [{"containerPath": "/d", "hostPath": "/srv"}]}});
    refused(&cluster, sleeper("/mounted", volume), "/container/volumes", not_yet).await;
    let parameters = json!({"parameters": [{"key": "pid", "value": "host"}]});
    refused(&cluster, docker(parameters), "/container/docker/parameters", not_yet).await;
    let mut as_nobody = docker(json!({}));
    as_nobody["user"] = json!("nobody");
    refused(&cluster, as_nobody, "/user", not_yet).await;
    refused(&cluster, sleeper("/fetching", json!({"fetch": [{"uri": "https://x/y.tgz"}]})), "/fetch", not_yet).await;
    refused(&cluster, sleeper("/legacy", json!({"uris": ["https://x/y.tgz"]})), "/uris", not_yet).await;
    let ready = json!({"portDefinitions": [{"port": 0, "name": "http-api"}], "readinessChecks": [{}]});
    refused(&cluster, sleeper("/ready", ready), "/readinessChecks", not_yet).await;
    let two_checks = json!([{"protocol": "TCP"}, {"protocol": "COMMAND", "command": {"value": "true"}}]);
    refused(&cluster, sleeper("/twice", json!({"healthChecks": two_checks})), "/healthChecks", not_yet).await;
    assert_eq!(cluster.get_json("/v2/apps").await, json!({"apps": []}), "no refused app is stored");

    // What marathon-python sends by default is accepted.
    let defaults = json!({"uris": [], "fetch": [], "readinessChecks": [], "healthChecks": [], "constraints": [],
                          "container": {"type": "DOCKER", "volumes": [],
                                        "docker": {"image": "corral/busybox:latest", "parameters": []}}});
    let (status, _, body) = cluster.post_app(&sleeper("/defaults", defaults)).await;
    assert_eq!(status, 201, "{body}\n{}", cluster.log_tails());

    // An app at every bound whose command fails at once: backed off for the longest delay.
    let at_bounds = json!({"id": "/crash", "cmd": "exit 1", "cpus": 0.1, "mem": 16, "portDefinitions": [],
                           "backoffSeconds": 2147483647, "backoffFactor": 2147483647.0,
                           "maxLaunchDelaySeconds": 2147483647, "taskKillGracePeriodSeconds": 2147483647});
    let (status, _, body) = cluster.post_app(&at_bounds).await;
    assert_eq!(status, 201, "{body}\n{}", cluster.log_tails());
    let delay = cluster
        .wait_until("the crashing app backed off", Duration::from_secs(60), || async {
            let queue = cluster.get_json("/v2/queue").await;
            let entries = queue["queue"].as_array().into_iter().flatten();
            match entries.into_iter().find(|entry| entry["app"]["id"] == "/crash") {
                Some(entry) if entry["delay"]["timeLeftSeconds"].as_i64().is_some_and(|left| left > 0) => {
                    Ok(entry["delay"].clone())
                }
                _ => Err(queue.to_string()),
            }
        })
        .await;
    assert!(delay["timeLeftSeconds"].as_i64().unwrap() > 2_000_000_000, "{delay}");
    assert_eq!(cluster.get_json("/v2/apps").await["apps"].as_array().map(Vec::len), Some(2));

    // The issue's read of an id that is no id: a client error, not an unavailable store.
    let (status, _, body) =
        cluster.call(Method::GET, "/v2/apps/%0A%3C/versions/0279-04-15T21:34:32.31+23:45", None).await;
    assert_eq!(status, 404, "{body}\n{}", cluster.log_tails());
}
