//! Bad app definitions get Marathon's error answers and store nothing: 422
//! `{"message": "Object is not valid", "details": [{"path", "errors"}]}` for rule violations (an
//! invalid id, `cmd` with `args`, negative instances, `minimumHealthCapacity` above 1), "Invalid
//! JSON" with the field's path for wrong types (400 in Marathon up to 1.4, 422 later) and 400 for
//! text that is not JSON. Afterwards there are no apps and no deployments. An existing id is a
//! 409, an unknown app a 404 `App '/x' does not exist`.

use corral_testkit::{MarathonCluster, MarathonClusterOptions, MesosClusterOptions};
use reqwest::Method;
use serde_json::{json, Value};

/// What an answer must be: one of `statuses`, `message`, and (if given) a detail at `path`.
struct Refusal {
    statuses: &'static [u16],
    message: &'static str,
    path: Option<&'static str>,
}

const NOT_VALID: Refusal = Refusal { statuses: &[422], message: "Object is not valid", path: None };

fn not_valid(path: &'static str) -> Refusal {
    Refusal { path: Some(path), ..NOT_VALID }
}

fn wrong_type(path: &'static str) -> Refusal {
    Refusal { statuses: &[400, 422], message: "Invalid JSON", path: Some(path) }
}

/// `method path` with `body` (sent as is) is refused as `expected` says.
async fn check(cluster: &MarathonCluster, method: Method, path: &str, body: &str, expected: Refusal) {
    let url = format!("{}{path}", cluster.leader_url().await);
    let (status, headers, answer) =
        corral_testkit::send_json(cluster.http(), method.clone(), &url, Some(body.into())).await;
    let what = format!("{method} {path} {body}: answered {status} {answer}");
    assert!(
        expected.statuses.contains(&status),
        "{what}; expected one of {:?}\n{}",
        expected.statuses,
        cluster.log_tails()
    );
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(content_type.starts_with("application/json"), "{what}; content-type {content_type:?}");
    assert_eq!(answer["message"], expected.message, "{what}");
    if let Some(path) = expected.path {
        let details = answer["details"].as_array().unwrap_or_else(|| panic!("{what}; details must be a list"));
        let named = details.iter().find(|detail| detail["path"] == path);
        let named = named.unwrap_or_else(|| panic!("{what}; no detail names {path}"));
        let errors = named["errors"].as_array().unwrap_or_else(|| panic!("{what}; errors must be a list"));
        assert!(!errors.is_empty() && errors.iter().all(Value::is_string), "{what}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_apps_are_refused_in_marathons_shape_and_nothing_is_stored() {
    let mesos = MesosClusterOptions { agents: 0, ..MesosClusterOptions::default() };
    let cluster = MarathonCluster::start(MarathonClusterOptions { mesos, ..MarathonClusterOptions::default() }).await;
    let post = |body: &'static str, expected: Refusal| check(&cluster, Method::POST, "/v2/apps", body, expected);

    post(r#"{"id": "/Bad_ID", "cmd": "sleep 1"}"#, not_valid("/id")).await;
    post(r#"{"id": "/both", "cmd": "sleep 1", "args": ["sleep", "1"]}"#, not_valid("/")).await;
    post(r#"{"id": "/negative", "cmd": "sleep 1", "instances": -1}"#, not_valid("/instances")).await;
    post(
        r#"{"id": "/healthy", "cmd": "sleep 1", "upgradeStrategy": {"minimumHealthCapacity": 1.5}}"#,
        not_valid("/upgradeStrategy/minimumHealthCapacity"),
    )
    .await;
    post(r#"{"id": "/typed", "cmd": "sleep 1", "instances": "three"}"#, wrong_type("/instances")).await;
    post(r#"{"id": "/typed", "cmd": "sleep 1", "cpus": "x"}"#, wrong_type("/cpus")).await;
    let malformed = Refusal { statuses: &[400], message: "Invalid JSON", path: None };
    post(r#"{"id": "/broken", "cmd": "#, malformed).await;
    // A PUT creates a missing app, so it is checked as strictly.
    check(&cluster, Method::PUT, "/v2/apps/put-bad", r#"{"cmd": "sleep 1", "instances": -2}"#, not_valid("/instances"))
        .await;

    assert_eq!(cluster.get_json("/v2/apps").await, json!({"apps": []}), "no refused app is stored");
    assert_eq!(cluster.get_json("/v2/deployments").await, json!([]), "no refused app started a deployment");
    assert_eq!(cluster.get_json("/v2/queue").await, json!({"queue": []}));

    let app = json!({"id": "/exists", "cmd": "sleep 1000", "instances": 0});
    let (status, _, body) = cluster.post_app(&app).await;
    assert_eq!(status, 201, "{body}\n{}", cluster.log_tails());
    let (status, _, body) = cluster.post_app(&app).await;
    assert_eq!((status, &body["message"]), (409, &json!("An app with id [/exists] already exists.")), "{body}");

    for method in [Method::GET, Method::DELETE] {
        let (status, _, body) = cluster.call(method.clone(), "/v2/apps/unknown", None).await;
        let expected = (404, &json!("App '/unknown' does not exist"));
        assert_eq!((status, &body["message"]), expected, "{method} /v2/apps/unknown: {body}");
    }
    let apps = cluster.get_json("/v2/apps").await;
    assert_eq!(apps["apps"].as_array().map(Vec::len), Some(1), "only /exists: {apps}");
}
