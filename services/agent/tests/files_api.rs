//! `/files/browse`, `/files/read` and `/state` through the real router: a task's sandbox is
//! listed and read in Mesos' shapes, and no path outside the sandboxes can be reached.

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use corral_agent::api::{router, ApiState};
use corral_agent::sandbox::SandboxRoot;
use corral_wire::mesos::TaskState;
use serde_json::Value;
use support::{agent_on, launch, shell_task, task_in_state};
use tower::ServiceExt;

async fn get(router: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn query(path: &str) -> String {
    path.replace('%', "%25").replace(' ', "%20").replace('&', "%26")
}

#[tokio::test]
async fn sandboxes_are_browsed_and_read_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let agent = agent_on(dir.path(), vec![Arc::new(support::process_containerizer())]).await;
    agent
        .handle_command(launch(shell_task("hello", "printf 'hello, sandbox'; echo oops >&2", &[31002])))
        .await
        .unwrap();
    let done = task_in_state(&agent, "hello", TaskState::TaskFinished, Duration::from_secs(20)).await;
    let sandbox = done.sandbox.display().to_string();
    let router = router(
        Arc::new(ApiState { agents: vec![agent], sandboxes: SandboxRoot::new(dir.path()) }),
        &Default::default(),
    );

    let (status, listing) = get(&router, &format!("/files/browse?path={}", query(&sandbox))).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> =
        listing.as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap().rsplit('/').next().unwrap()).collect();
    assert_eq!(names, ["stderr", "stdout"]);
    assert_eq!(listing[1]["size"], 14);
    assert!(listing[1]["mode"].as_str().unwrap().starts_with("-rw"));

    let stdout = format!("{sandbox}/stdout");
    let (_, whole) = get(&router, &format!("/files/read?path={}&offset=0", query(&stdout))).await;
    assert_eq!(whole, serde_json::json!({"data": "hello, sandbox", "offset": 0}));
    let (_, part) = get(&router, &format!("/files/read?path={}&offset=7&length=3", query(&stdout))).await;
    assert_eq!(part, serde_json::json!({"data": "san", "offset": 7}));
    let (_, size) = get(&router, &format!("/files/read?path={}&offset=-1", query(&stdout))).await;
    assert_eq!(size, serde_json::json!({"data": "", "offset": 14}));
    let (_, past_end) = get(&router, &format!("/files/read?path={}&offset=100", query(&stdout))).await;
    assert_eq!(past_end, serde_json::json!({"data": "", "offset": 14}));

    let database = dir.path().join("agent.db").display().to_string();
    for escape in
        [format!("{sandbox}/../../../../agent.db"), database, "/etc/passwd".to_string(), "../agent.db".to_string()]
    {
        let (status, body) = get(&router, &format!("/files/read?path={}", query(&escape))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{escape}: {body}");
        assert_eq!(body["code"], "forbidden");
        let (status, _) = get(&router, &format!("/files/browse?path={}", query(&escape))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{escape}");
    }
    let (status, body) = get(&router, &format!("/files/read?path={}/missing", query(&sandbox))).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (status, _) = get(&router, &format!("/files/read?path={}", query(&sandbox))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a directory is not read");
    let (status, _) = get(&router, "/files/read").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "path is required");

    let (status, state) = get(&router, "/state").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(state["id"], support::AGENT_ID);
    assert_eq!(state["resources"]["cpus"], 2.0);
    let executor = &state["frameworks"][0]["completed_executors"][0];
    assert_eq!(executor["directory"], sandbox);
    assert_eq!(executor["completed_tasks"][0]["state"], "TASK_FINISHED");
    assert_eq!(executor["completed_tasks"][0]["resources"]["ports"], "[31002-31002]");
    assert_eq!(state["frameworks"][0]["name"], "tests");
    let (status, _) = get(&router, "/state?agent_id=someone-else").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = get(&router, "/nowhere").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("no_route")));
}
