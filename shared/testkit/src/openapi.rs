//! The check every service's `openapi_matches_router` test makes: the operations an OpenAPI
//! document describes and the ones a router serves are the same set. Methods are found by asking
//! the router itself (405 means a method is not served), so no test repeats its route table.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use tower::ServiceExt;

const METHODS: [Method; 5] = [Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::PATCH];

/// `(METHOD, /path/{param})` pairs.
pub type Operations = BTreeSet<(String, String)>;

/// The operations of `openapi/<spec_file>` at the repository root.
pub fn documented_operations(spec_file: &str) -> Operations {
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

/// The operations `router` serves on `paths` (axum syntax: `:param`, `*rest`).
pub async fn served_operations<S: AsRef<str>>(router: Router, paths: impl IntoIterator<Item = S>) -> Operations {
    let mut operations = BTreeSet::new();
    for path in paths {
        let path = path.as_ref();
        for method in METHODS {
            // Said to be JSON, so that no method is refused (415) before the router is asked.
            let request = Request::builder()
                .method(method.clone())
                .uri(as_url(path))
                .header("content-type", "application/json")
                .body(Body::empty())
                .unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            assert!(!String::from_utf8_lossy(&body).contains("no_route"), "{method} {path}: no route");
            if status != StatusCode::METHOD_NOT_ALLOWED {
                operations.insert((method.to_string(), as_template(path)));
            }
        }
    }
    operations
}

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
