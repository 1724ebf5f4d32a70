//! Malformed calls, calls without or with the wrong `Mesos-Stream-Id`, calls of frameworks that
//! are not subscribed and ACCEPTs that ask for too much are refused with a 4xx and a JSON message,
//! and change nothing.

use std::time::Duration;

use corral_testkit::{MesosCluster, MesosClusterOptions};
use corral_tests::raw_scheduler::{port, scalar, RawScheduler};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

async fn post(url: &str, content_type: Option<&str>, stream_id: Option<&str>, body: &str) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(url).body(body.to_string());
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    if let Some(stream_id) = stream_id {
        request = request.header("mesos-stream-id", stream_id);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn check(answer: (u16, Value), status: u16, message: &str) {
    assert_eq!(answer.0, status, "{answer:?}");
    let text = answer.1["message"].as_str().unwrap_or_default();
    assert!(text.contains(message), "expected a message containing {message:?}, got {answer:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_calls_get_clear_errors_and_change_nothing() {
    let cluster = MesosCluster::start(MesosClusterOptions { agents: 1, ..MesosClusterOptions::default() }).await;
    let url = cluster.scheduler_url().await;
    let json = Some("application/json");
    let subscribe = r#"{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"bad"}}}"#;

    check(post(&url, None, None, subscribe).await, 415, "Content-Type");
    check(post(&url, Some("text/plain"), None, subscribe).await, 415, "text/plain");
    check(post(&url, json, None, "{\"type\":").await, 400, "invalid JSON");
    check(
        post(&url, json, None, r#"{"subscribe":{"framework_info":{"name":"x"}}}"#).await,
        400,
        "missing field `type`",
    );
    check(post(&url, json, None, r#"{"type":"SUBSCRIBE"}"#).await, 400, "`subscribe`");
    check(
        post(&url, json, None, r#"{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":""}}}"#).await,
        400,
        "name",
    );
    check(
        post(&url, json, None, r#"{"type":"DECLINE","framework_id":{"value":"nobody"},"decline":{"offer_ids":[]}}"#)
            .await,
        403,
        "not subscribed",
    );

    let mut scheduler = RawScheduler::subscribe(&url, json!({"user": "root", "name": "bad-input"})).await.unwrap();
    let framework_id = scheduler.framework_id.clone();
    let revive = json!({"type": "REVIVE", "framework_id": {"value": framework_id}}).to_string();
    check(post(&url, json, None, &revive).await, 400, "Mesos-Stream-Id");
    check(post(&url, json, Some("not-the-stream"), &revive).await, 400, "not the stream");
    let stream = Some(scheduler.stream_id.clone());
    let stream = stream.as_deref();
    check(
        post(&url, json, stream, &json!({"type": "ACCEPT", "framework_id": {"value": framework_id}}).to_string()).await,
        400,
        "`accept`",
    );
    check(
        post(&url, json, stream, &json!({"type": "NO_SUCH_CALL", "framework_id": {"value": framework_id}}).to_string())
            .await,
        400,
        "not supported",
    );

    let event = scheduler.wait_for(WAIT, |event| event["type"] == "OFFERS").await.expect("an offer");
    let offer = event["offers"]["offers"][0].clone();
    let task = |id: &str, resources: Vec<Value>| {
        json!({"name": id, "task_id": {"value": id}, "agent_id": offer["agent_id"], "resources": resources,
               "command": {"value": "sleep 100"}})
    };
    let accept = |tasks: Vec<Value>, offer_id: &Value| {
        json!({"type": "ACCEPT", "accept": {"offer_ids": [offer_id],
            "operations": [{"type": "LAUNCH", "launch": {"task_infos": tasks}}]}})
    };
    let refused = [
        (accept(vec![task("big", vec![scalar("cpus", 100.0)])], &offer["id"]), "cpus: 100 wanted"),
        (accept(vec![task("p", vec![scalar("cpus", 0.1), port(40000)])], &offer["id"]), "[40000-40000]"),
        (accept(vec![task("t", vec![scalar("cpus", 0.1)])], &json!({"value": "no-such-offer"})), "not outstanding"),
        (accept(vec![task("n", vec![scalar("cpus", -1.0)])], &offer["id"]), "invalid amount"),
        (
            accept(
                vec![json!({"name": "d", "task_id": {"value": "d"}, "agent_id": offer["agent_id"],
                    "resources": [scalar("cpus", 0.1), port(31000)],
                    "container": {"type": "DOCKER", "docker": {"image": "x", "network": "BRIDGE",
                        "port_mappings": [{"host_port": 31001, "container_port": 80}]}}})],
                &offer["id"],
            ),
            "host port 31001",
        ),
    ];
    for (call, message) in refused {
        let (status, body) = scheduler.call(call).await;
        let body: Value = serde_json::from_str(&body).unwrap();
        check((status, body), 400, message);
    }
    let state = cluster.state().await;
    let framework = &state["frameworks"][0];
    assert!(framework["tasks"].as_array().unwrap().is_empty(), "no task was created");
    assert_eq!(framework["offers"][0]["id"], offer["id"]["value"], "the offer is still outstanding");

    // The offer can still be used, once.
    let good = accept(vec![task("ok", vec![scalar("cpus", 0.1)])], &offer["id"]);
    assert_eq!(scheduler.call(good.clone()).await.0, 202);
    let (status, body) = scheduler.call(good).await;
    check((status, serde_json::from_str(&body).unwrap()), 400, "not outstanding");

    // The agent protocol refuses bad input the same way.
    let master = cluster.leading_master().await;
    let register = format!("http://{master}/api/agent/v1/register");
    let bad_agent = json!({"hostname": "h", "port": 1, "version": "x",
        "resources": [{"name": "cpus", "type": "SCALAR"}]});
    check(post(&register, json, None, &bad_agent.to_string()).await, 400, "no `scalar` value");
    let poll = format!("http://{master}/api/agent/v1/agents/nobody/commands");
    let answer = reqwest::get(&poll).await.unwrap();
    assert_eq!(answer.status(), 404);
    assert_eq!(answer.json::<Value>().await.unwrap()["code"], "unknown_agent");
}
