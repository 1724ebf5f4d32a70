//! `openapi/master.yaml` and the master's router must agree: every documented operation is
//! served and every served route and method is documented. Methods are found by asking the
//! router (405 means not served), so nothing here repeats the route table.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use clap::Parser;
use corral_master::api::{router, routes};
use corral_master::config::{MasterArgs, MasterConfig};
use corral_master::service::MasterService;
use corral_wire::mesos::{MasterAddress, MasterInfo};
use tower::ServiceExt;

const METHODS: [Method; 5] = [Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::PATCH];

fn as_template(path: &str) -> String {
    path.split('/')
        .map(|segment| segment.strip_prefix(':').map_or_else(|| segment.to_string(), |name| format!("{{{name}}}")))
        .collect::<Vec<_>>()
        .join("/")
}

fn as_url(path: &str) -> String {
    path.split('/').map(|segment| if segment.starts_with(':') { "1" } else { segment }).collect::<Vec<_>>().join("/")
}

fn documented() -> BTreeSet<(String, String)> {
    let path = format!("{}/../../openapi/master.yaml", env!("CARGO_MANIFEST_DIR"));
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
    let args = MasterArgs::try_parse_from(["corral-master", "--coordinator", "127.0.0.1:1"]).unwrap();
    let config = MasterConfig::from_args(&args).unwrap();
    let info = MasterInfo {
        id: "m".into(),
        ip: 0,
        port: 5050,
        pid: "master@127.0.0.1:5050".into(),
        hostname: "localhost".into(),
        version: "1.11.0".into(),
        address: MasterAddress { hostname: "localhost".into(), ip: "127.0.0.1".into(), port: 5050 },
    };
    let (_leader, discovered) = tokio::sync::watch::channel(None);
    let app = router(Arc::new(MasterService::new(config, info, discovered)));
    let mut served = BTreeSet::new();
    for (path, _) in routes() {
        for method in METHODS {
            let request = Request::builder().method(method.clone()).uri(as_url(path)).body(Body::empty()).unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            assert!(!String::from_utf8_lossy(&body).contains("no_route"), "{method} {path}: no route");
            if status != StatusCode::METHOD_NOT_ALLOWED {
                served.insert((method.to_string(), as_template(path)));
            }
        }
    }
    assert_eq!(served, documented());
}
