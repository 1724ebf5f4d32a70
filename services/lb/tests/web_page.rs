//! The lb's API port serves the routes page (open to all, like `/health`), and `/v1/routes` shows
//! the routes the balancer published: without HAProxy running, servers have no state.

use std::sync::Arc;

use corral_lb::api::router;
use corral_lb::balancer::LbState;
use corral_lb::routes::{Route, RouteServer};
use serde_json::{json, Value};

async fn serve(state: Arc<LbState>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = router(state, &Default::default());
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

#[tokio::test]
async fn the_page_is_served_and_routes_are_listed() {
    let state = Arc::new(LbState::default());
    *state.routes.lock().unwrap() = vec![Route {
        backend: "web_10000".into(),
        app: "/web".into(),
        port_index: 0,
        mode: "http",
        bind: ":10000".into(),
        service_port: 10_000,
        vhosts: vec!["web.test".into()],
        path: None,
        redirect_to_https: false,
        balance: "roundrobin".into(),
        slots: 8,
        servers: vec![RouteServer {
            name: "s1".into(),
            task_id: "web.a".into(),
            address: "127.0.0.1:31001".into(),
            draining: false,
            state: None,
            sessions: None,
        }],
    }];
    let base = serve(state).await;

    for (path, part) in [("/", "ui/page.js"), ("/ui/page.js", "v1/routes"), ("/ui/corral.css", ".table-wrap")] {
        let answer = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(answer.status(), 200, "{path}");
        assert!(answer.text().await.unwrap().contains(part), "{path} lacks {part:?}");
    }

    let routes: Value = reqwest::get(format!("{base}/v1/routes")).await.unwrap().json().await.unwrap();
    assert_eq!(
        routes,
        json!({"routes": [{
            "backend": "web_10000", "app": "/web", "port_index": 0, "mode": "http", "bind": ":10000",
            "service_port": 10000, "vhosts": ["web.test"], "path": null, "redirect_to_https": false,
            "balance": "roundrobin", "slots": 8,
            "servers": [{"name": "s1", "task_id": "web.a", "address": "127.0.0.1:31001", "draining": false,
                         "state": null, "sessions": null}],
        }]})
    );
    let status: Value = reqwest::get(format!("{base}/v1/status")).await.unwrap().json().await.unwrap();
    assert_eq!((&status["stats_port"], &status["excluded"]), (&Value::Null, &json!([])));
}
