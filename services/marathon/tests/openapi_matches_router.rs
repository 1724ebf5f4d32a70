//! `openapi/marathon.yaml` and marathon's router must agree: every documented operation is served
//! and every served route and method is documented (`corral_testkit::served_operations`). The
//! router is asked as the leader (its engine on a real coordinator), since the others forward.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use clap::Parser;
use corral_coord_client::CoordClient;
use corral_marathon::api::{router, ApiState, Role};
use corral_marathon::config::{MarathonArgs, MarathonConfig};
use corral_marathon::engine::Engine;
use corral_marathon::events::EventBus;
use corral_testkit::{documented_operations, served_operations, ClusterOptions, CoordinatorCluster};
use tower::ServiceExt;

/// Every route, with the paths under an app spelled out (one wildcard route serves them all).
const PATHS: [&str; 22] = [
    "/",
    "/ui/page.js",
    "/ui/corral.js",
    "/ui/corral.css",
    "/ping",
    "/health",
    "/metrics",
    "/v2/info",
    "/v2/leader",
    "/v2/apps",
    "/v2/apps/:app_id",
    "/v2/apps/:app_id/restart",
    "/v2/apps/:app_id/tasks",
    "/v2/apps/:app_id/tasks/:task_id",
    "/v2/apps/:app_id/versions",
    "/v2/apps/:app_id/versions/:version",
    "/v2/tasks",
    "/v2/tasks/delete",
    "/v2/deployments",
    "/v2/deployments/:deployment_id",
    "/v2/groups",
    "/v2/groups/:group_id",
];

#[tokio::test(flavor = "multi_thread")]
async fn the_spec_and_the_router_agree() {
    let cluster = CoordinatorCluster::start(ClusterOptions { participants: 1, ..ClusterOptions::default() }).await;
    let argv = ["corral-marathon", "--coordinator", &cluster.servers(), "--listen", "127.0.0.1:1"];
    let config = MarathonConfig::from_args(&MarathonArgs::try_parse_from(argv).unwrap()).unwrap();
    let events = EventBus::new(16);
    let state = Arc::new(ApiState::new(config.clone(), events.clone()));
    let engine =
        Engine::take_office(config.clone(), CoordClient::new(config.coordinator.clone()), events).await.unwrap();
    state.set_role(Role::Leading(engine));
    let paths = PATHS.iter().copied().chain(["/v2/queue", "/v2/queue/:app_id/delay"]);
    let mut served = served_operations(router(state.clone()), paths).await;
    // Without `Accept: text/event-stream` Marathon answers 405, which the check above would take
    // for a method not served: the event stream is asked for properly.
    let request = Request::get("/v2/events").header("accept", "text/event-stream").body(Body::empty()).unwrap();
    let response = router(state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    served.insert(("GET".to_string(), "/v2/events".to_string()));
    assert_eq!(served, documented_operations("marathon.yaml"));
}
