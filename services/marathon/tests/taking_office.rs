//! A leader on a real coordinator, asked through its router as clients ask it:
//! - one unreadable record (an app, a task, a deployment) does not keep marathon from taking
//!   office: it is moved aside under `<root>/quarantine`, counted in `/metrics`, and the rest is
//!   recovered and served;
//! - an id or version the coordinator cannot hold as a path is a client error, never a 503 that
//!   says the store is down.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use clap::Parser;
use corral_coord_client::CoordClient;
use corral_marathon::api::{router, ApiError, ApiState, Role};
use corral_marathon::config::{MarathonArgs, MarathonConfig};
use corral_marathon::engine::Engine;
use corral_marathon::events::EventBus;
use corral_marathon::store::MarathonStore;
use corral_testkit::{ClusterOptions, CoordinatorCluster};
use corral_wire::marathon::{AppDefinition, Timestamp};
use serde_json::Value;
use tower::ServiceExt;

const ROOT: &str = "/corral/marathon";

fn config(cluster: &CoordinatorCluster) -> MarathonConfig {
    let argv = ["corral-marathon", "--coordinator", &cluster.servers(), "--listen", "127.0.0.1:1", "--root", ROOT];
    MarathonConfig::from_args(&MarathonArgs::try_parse_from(argv).unwrap()).unwrap()
}

fn app(id: &str) -> AppDefinition {
    let mut app = AppDefinition::new(id);
    app.cmd = Some("sleep 1000".into());
    app.instances = 0;
    app.version = Some(Timestamp::from_millis(1_700_000_000_000));
    app
}

/// Takes office on `cluster` and answers as the leader.
async fn leader(config: &MarathonConfig) -> (Arc<ApiState>, Arc<Engine>) {
    let events = EventBus::new(16);
    let state = Arc::new(ApiState::new(config.clone(), events.clone()));
    let client = CoordClient::new(config.coordinator.clone());
    let engine = Engine::take_office(config.clone(), client, events).await.expect("marathon takes office");
    state.set_role(Role::Leading(engine.clone()));
    (state, engine)
}

/// `method uri` on the leader's router: the status and the body, as text.
async fn ask(state: &Arc<ApiState>, method: Method, uri: &str, body: &str) -> (StatusCode, String) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = router(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_records_are_moved_aside_counted_and_the_rest_is_served() {
    let cluster = CoordinatorCluster::start(ClusterOptions { participants: 1, ..ClusterOptions::default() }).await;
    let config = config(&cluster);
    let client = CoordClient::new(config.coordinator.clone());
    let store = MarathonStore::open(client.clone(), ROOT, &config.lb_root).await.unwrap();
    store.save_app(&app("/good")).await.unwrap();
    let garbage = [
        (format!("{ROOT}/apps/broken"), "{\"id\": \"/broken\", \"instances\": \"many\""),
        (format!("{ROOT}/tasks/broken.1"), "not json at all"),
        (format!("{ROOT}/deployments/d-broken"), "null"),
    ];
    for (path, data) in &garbage {
        client.put(path, *data).await.unwrap();
    }

    let (state, engine) = leader(&config).await;
    {
        let core = engine.core();
        assert_eq!(core.apps().map(|app| app.id.as_str()).collect::<Vec<_>>(), vec!["/good"]);
        assert_eq!((core.task_count(), core.deployments().count()), (0, 0));
    }
    for (path, data) in &garbage {
        assert!(client.exists(path).await.unwrap().is_none(), "{path} is moved away");
        let quarantined = format!("{ROOT}/quarantine/{}", path.replace('/', "%2F"));
        assert_eq!(client.get(&quarantined).await.unwrap().data, *data, "{path} is kept at {quarantined}");
    }

    let (status, metrics) = ask(&state, Method::GET, "/metrics", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(metrics.lines().any(|line| line == "marathon_store_records_quarantined 3"), "{metrics}");
    let (status, apps) = ask(&state, Method::GET, "/v2/apps", "").await;
    let apps: Value = serde_json::from_str(&apps).unwrap();
    assert_eq!((status, apps["apps"][0]["id"].as_str()), (StatusCode::OK, Some("/good")), "{apps}");

    // The next leader finds nothing left to quarantine.
    let (_, next) = leader(&config).await;
    assert_eq!((next.quarantined_records(), next.core().app_count()), (0, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn ids_and_versions_the_store_cannot_hold_are_client_errors_not_an_unavailable_store() {
    let cluster = CoordinatorCluster::start(ClusterOptions { participants: 1, ..ClusterOptions::default() }).await;
    let config = config(&cluster);
    let (state, engine) = leader(&config).await;

    // The request of the issue: an id with a line feed, and an odd but readable version.
    let (status, body) = ask(&state, Method::GET, "/v2/apps/%0A%3C/versions/0279-04-15T21:34:32.31+23:45", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("does not exist in version"), "{body}");
    let (status, body) = ask(&state, Method::GET, "/v2/apps/%0A%3C/versions", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = ask(&state, Method::PUT, "/v2/apps/%0A%3C", r#"{"cmd": "sleep 1"}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("\"/id\""), "{body}");

    // Should such a path reach the store anyway, the coordinator's refusal is the client's error.
    let version = "2015-09-17T09:32:36.583Z".parse().unwrap();
    let refused = engine.store().version("/\n<", version).await.expect_err("the coordinator refuses the path");
    assert!(refused.is_invalid_path(), "{refused}");
    assert_eq!(ApiError::from(refused).status, StatusCode::BAD_REQUEST);
}
