//! `openapi/agent.yaml` and the agent's router must agree: every documented operation is
//! served, and every served route and method is documented. Methods are found by asking the
//! router itself (405 means a method is not served), so nothing here repeats the route table.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use corral_agent::api::{router, routes, ApiState};
use corral_agent::sandbox::SandboxRoot;
use tower::ServiceExt;

const METHODS: [Method; 5] = [Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::PATCH];

fn documented() -> BTreeSet<(String, String)> {
    let path = format!("{}/../../openapi/agent.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let spec: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    let mut operations = BTreeSet::new();
    for (route, item) in spec["paths"].as_mapping().expect("paths") {
        for (method, _) in item.as_mapping().expect("path item") {
            let method = method.as_str().unwrap().to_uppercase();
            if METHODS.iter().any(|m| m.as_str() == method) {
                operations.insert((method, route.as_str().unwrap().to_string()));
            }
        }
    }
    operations
}

#[tokio::test]
async fn the_spec_and_the_router_agree() {
    let dir = tempfile::tempdir().unwrap();
    let agent = support::agent_on(dir.path(), vec![]).await;
    let router = router(Arc::new(ApiState { agents: vec![agent], sandboxes: SandboxRoot::new(dir.path()) }));
    let mut served = BTreeSet::new();
    for (path, _) in routes() {
        for method in METHODS {
            let request = Request::builder().method(method.clone()).uri(path).body(Body::empty()).unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            assert!(!String::from_utf8_lossy(&body).contains("no_route"), "{method} {path}: no route");
            if status != StatusCode::METHOD_NOT_ALLOWED {
                served.insert((method.to_string(), path.to_string()));
            }
        }
    }
    assert_eq!(served, documented());
}
