//! Bad input gets a specific 4xx with a JSON message and changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use corral_testkit::{ClusterOptions, CoordinatorCluster};

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(&self, method: Method, route: &str, body: Option<&str>) -> (StatusCode, Value) {
        let mut request =
            self.http.request(method, format!("{}{route}", self.base)).header("content-type", "application/json");
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.expect("the coordinator answers");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Sends a bad request and checks its status, its error code and that it has a message.
    async fn check(&self, method: Method, route: &str, body: Option<&str>, status: u16, code: &str) {
        let (actual, answer) = self.call(method.clone(), route, body).await;
        assert_eq!(actual.as_u16(), status, "{method} {route} {body:?} answered {answer}");
        assert_eq!(answer["code"], code, "{method} {route} {body:?} answered {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{method} {route}: no message in {answer}");
    }

    /// Everything a client can see of the tree: every node's path, data and stat.
    async fn dump(&self) -> Vec<Value> {
        let mut nodes = Vec::new();
        let mut pending = vec!["/".to_string()];
        while let Some(path) = pending.pop() {
            let (_, znode) = self.call(Method::GET, &format!("/v1/znodes{path}"), None).await;
            let (_, children) = self.call(Method::GET, &format!("/v1/children{path}"), None).await;
            for child in children["children"].as_array().unwrap() {
                let base = if path == "/" { String::new() } else { path.clone() };
                pending.push(format!("{base}/{}", child.as_str().unwrap()));
            }
            nodes.push(znode);
        }
        nodes.sort_by_key(|node| node["path"].as_str().unwrap_or_default().to_string());
        nodes
    }
}

#[tokio::test]
async fn bad_input_is_refused_with_a_specific_error_and_changes_nothing() {
    let options = ClusterOptions { participants: 1, max_data_bytes: 1024, ..Default::default() };
    let cluster = CoordinatorCluster::start(options).await;
    let api = Api { http: reqwest::Client::new(), base: format!("http://{}", cluster.nodes[0].client) };
    let (status, session) = api.call(Method::POST, "/v1/sessions", Some(r#"{"timeout_ms": 10000}"#)).await;
    assert_eq!(status, StatusCode::CREATED);
    let session_id = session["session_id"].as_u64().unwrap();
    api.call(Method::POST, "/v1/znodes/app", Some(r#"{"data": "v1"}"#)).await;
    api.call(Method::POST, "/v1/znodes/app/child", Some("{}")).await;
    let ephemeral = json!({"mode": "ephemeral", "session": session_id}).to_string();
    api.call(Method::POST, "/v1/znodes/eph", Some(&ephemeral)).await;
    let before = api.dump().await;
    assert_eq!(before.len(), 4, "{before:?}");

    let big = json!({ "data": "x".repeat(1025) }).to_string();
    let under_ephemeral = json!({"mode": "ephemeral", "session": session_id}).to_string();
    let failing_multi = json!({"ops": [
        {"op": "create", "path": "/multi-a"},
        {"op": "set", "path": "/app", "data": "changed"},
        {"op": "check", "path": "/app", "version": 7},
    ]})
    .to_string();
    use Method as M;
    let cases: &[(Method, &str, Option<&str>, u16, &str)] = &[
        (M::POST, "/v1/znodes/a//b", Some("{}"), 400, "invalid_path"),
        (M::GET, "/v1/znodes/app/", None, 400, "invalid_path"),
        (M::POST, "/v1/znodes/missing/child", Some("{}"), 404, "no_parent"),
        (M::GET, "/v1/znodes/missing", None, 404, "no_node"),
        (M::PUT, "/v1/znodes/missing", Some(r#"{"data": "x"}"#), 404, "no_node"),
        (M::POST, "/v1/znodes/app", Some("{}"), 409, "node_exists"),
        (M::DELETE, "/v1/znodes/app", None, 409, "not_empty"),
        (M::DELETE, "/v1/znodes/", None, 400, "root_node"),
        (M::PUT, "/v1/znodes/app", Some(r#"{"data": "x", "version": 3}"#), 412, "bad_version"),
        (M::DELETE, "/v1/znodes/app/child?version=2", None, 412, "bad_version"),
        (M::DELETE, "/v1/znodes/app/child?version=two", None, 400, "bad_request"),
        (M::PUT, "/v1/znodes/app", Some(&big), 413, "data_too_large"),
        (M::POST, "/v1/znodes/app", Some(r#"{"data": "x""#), 400, "bad_request"),
        (M::POST, "/v1/znodes/new", Some(r#"{"data": 5}"#), 400, "bad_request"),
        (M::POST, "/v1/znodes/new", Some(r#"{"data": "x", "colour": "red"}"#), 400, "bad_request"),
        (M::POST, "/v1/znodes/new", Some(r#"{"mode": "sticky"}"#), 400, "bad_request"),
        (M::POST, "/v1/znodes/new", Some(""), 400, "bad_request"),
        (M::POST, "/v1/znodes/eph/child", Some(&under_ephemeral), 409, "no_children_for_ephemerals"),
        (M::POST, "/v1/znodes/eph2", Some(r#"{"mode": "ephemeral"}"#), 400, "session_required"),
        (M::POST, "/v1/znodes/eph2", Some(r#"{"mode": "ephemeral", "session": 999999}"#), 410, "session_expired"),
        (M::POST, "/v1/multi", Some(&failing_multi), 412, "bad_version"),
        (M::POST, "/v1/multi", Some(r#"{"ops": []}"#), 400, "empty_multi"),
        (M::POST, "/v1/sessions", Some(r#"{"timeout_ms": 1}"#), 400, "bad_timeout"),
        (M::PUT, "/v1/sessions/999999/keepalive", None, 410, "session_expired"),
        (M::POST, "/v1/watch", Some(r#"{"paths": ["no-slash"], "since": 0}"#), 400, "invalid_path"),
        (M::POST, "/v1/watch", Some(r#"{"since": 0}"#), 400, "bad_request"),
    ];
    for (method, route, body, status, code) in cases {
        api.check(method.clone(), route, *body, *status, code).await;
    }
    // A browser form cannot create a znode: a POST must say it sends JSON.
    let form = api.http.post(format!("{}/v1/znodes/formed", api.base)).body(r#"{"data": "x"}"#);
    let form = form.header("content-type", "application/x-www-form-urlencoded").send().await.unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(form.json::<Value>().await.unwrap()["code"], "unsupported_media_type");
    assert_eq!(api.dump().await, before, "a refused request changed the tree");
}
