//! The OpenAPI documents and the routers must agree: every documented operation is served, and
//! every served route and method is documented. Methods are found by asking the router itself
//! (405 means a method is not served), so nothing here repeats the route table.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use corral_coordinator::api::{client_router, client_routes, peer_router, peer_routes};
use corral_coordinator::config::{PseudoCluster, Role};
use corral_coordinator::node::CoordinatorNode;
use tower::ServiceExt;

const METHODS: [Method; 5] = [Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::PATCH];

/// `/v1/sessions/:id` and `/v1/znodes/*path` in OpenAPI's template form.
fn as_template(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.strip_prefix(':').or_else(|| segment.strip_prefix('*')) {
            Some(name) => format!("{{{name}}}"),
            None => segment.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A concrete URL for a route (parameters filled in).
fn as_url(path: &str) -> String {
    path.split('/')
        .map(|segment| if segment.starts_with(':') || segment.starts_with('*') { "1" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

fn documented(spec_file: &str) -> BTreeSet<(String, String)> {
    let path = format!("{}/../../openapi/{spec_file}", env!("CARGO_MANIFEST_DIR"));
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

async fn served(router: Router, paths: Vec<String>) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for path in paths {
        for method in METHODS {
            let request = Request::builder().method(method.clone()).uri(as_url(&path)).body(Body::empty()).unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            assert!(!String::from_utf8_lossy(&body).contains("no_route"), "{method} {path}: no route");
            if status != StatusCode::METHOD_NOT_ALLOWED {
                operations.insert((method.to_string(), as_template(&path)));
            }
        }
    }
    operations
}

async fn single_node() -> (tempfile::TempDir, Arc<CoordinatorNode>) {
    let dir = tempfile::tempdir().unwrap();
    let ports = |_| corral_testkit::free_port();
    let cluster = PseudoCluster { nodes: 1, observers: 0, first_client_port: ports(()), first_peer_port: ports(()) };
    let config = cluster.configs(dir.path()).remove(0);
    assert_eq!(config.role, Role::Participant);
    let node = CoordinatorNode::start(config).await.expect("the node starts");
    (dir, node)
}

#[tokio::test]
async fn the_client_spec_and_router_agree() {
    let (_dir, node) = single_node().await;
    let paths = client_routes().into_iter().map(|(path, _)| path).collect();
    assert_eq!(served(client_router(node), paths).await, documented("coordinator.yaml"));
}

#[tokio::test]
async fn the_peer_spec_and_router_agree() {
    let (_dir, node) = single_node().await;
    let paths = peer_routes().into_iter().map(|(path, _)| path).collect();
    assert_eq!(served(peer_router(node), paths).await, documented("coordinator-peer.yaml"));
}
