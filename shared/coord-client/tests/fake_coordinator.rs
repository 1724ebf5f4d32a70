//! The client against fake coordinators on loopback: a 503 moves it to the next server, answers
//! teach it the zxid it then asks reads for, a write is never sent twice, a watch resets after
//! `history_cleared`, and a session is lost when the server says it expired.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use corral_coord_client::{CoordClient, CreateMode, EventKind, SessionState, WatchItem, WatchSpec};
use serde_json::json;

/// Serves `router` on an ephemeral loopback port and returns its `host:port`.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address
}

fn znode_body() -> serde_json::Value {
    let stat = json!({"czxid":1,"mzxid":1,"pzxid":1,"ctime":0,"mtime":0,"version":0,"cversion":0,
        "aversion":0,"ephemeralOwner":0,"dataLength":1,"numChildren":0});
    json!({"path": "/a", "data": "x", "stat": stat})
}

fn unavailable() -> (StatusCode, Json<serde_json::Value>) {
    let body = json!({"message": "no leader", "code": "no_leader"});
    (StatusCode::SERVICE_UNAVAILABLE, Json(body))
}

#[tokio::test]
async fn a_503_sends_the_read_to_the_next_server_which_teaches_the_zxid() {
    let min_zxids = Arc::new(Mutex::new(Vec::new()));
    let down = serve(Router::new().route("/v1/znodes/*path", get(|| async { unavailable() }))).await;
    let seen = Arc::clone(&min_zxids);
    let up = serve(Router::new().route(
        "/v1/znodes/*path",
        get(move |headers: HeaderMap| {
            let seen = Arc::clone(&seen);
            async move {
                let min = headers.get("x-corral-min-zxid").map(|v| v.to_str().unwrap().to_owned());
                seen.lock().unwrap().push(min);
                ([("x-corral-zxid", "42")], Json(znode_body()))
            }
        }),
    ))
    .await;
    let client = CoordClient::new(format!("{down},{up}").parse().unwrap());

    let znode = client.get("/a").await.unwrap();
    assert_eq!(znode.data, "x");
    assert_eq!(client.seen_zxid(), 42);
    assert_eq!(client.current_address(), format!("http://{up}"));

    client.get("/a").await.unwrap();
    assert_eq!(*min_zxids.lock().unwrap(), [None, Some("42".to_owned())]);
}

#[tokio::test]
async fn a_write_that_got_a_real_answer_is_not_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let conflict = serve(Router::new().route(
        "/v1/znodes/*path",
        post(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async {
                let body = json!({"message": "node /a already exists", "code": "node_exists"});
                (StatusCode::CONFLICT, [("x-corral-zxid", "7")], Json(body))
            }
        }),
    ))
    .await;
    let client = CoordClient::new(conflict.parse().unwrap());

    let error = client.create("/a", "x", CreateMode::Persistent, None).await.unwrap_err();
    assert!(error.is_node_exists(), "{error}");
    assert_eq!(error.zxid(), Some(7));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let error = client.exists("/a").await.unwrap_err();
    assert_eq!(error.status(), Some(405), "only a `no_node` answer means absent: {error}");
}

#[tokio::test]
async fn a_watch_resets_after_history_cleared_and_resumes_from_the_given_zxid() {
    let watch = post(|Json(request): Json<serde_json::Value>| async move {
        match request["since"].as_u64().unwrap() {
            since if since < 100 => {
                let body = json!({"message": "cleared", "code": "history_cleared", "zxid": 100});
                (StatusCode::GONE, Json(body))
            }
            100 => {
                let events = json!([
                    {"zxid": 101, "path": "/a", "kind": "created"},
                    {"zxid": 102, "path": "/a", "kind": "deleted"},
                ]);
                (StatusCode::OK, Json(json!({"events": events, "zxid": 102})))
            }
            _ => (StatusCode::OK, Json(json!({"events": [], "zxid": 102}))),
        }
    });
    let address = serve(Router::new().route("/v1/watch", watch)).await;
    let client = CoordClient::new(address.parse().unwrap());
    let mut stream = client.watch(WatchSpec::path("/a"), 5);

    assert_eq!(stream.next().await.unwrap(), WatchItem::Reset { zxid: 100 });
    let kinds = [stream.next().await.unwrap(), stream.next().await.unwrap()].map(|item| match item {
        WatchItem::Event(event) => (event.zxid, event.kind),
        other => panic!("expected an event, got {other:?}"),
    });
    assert_eq!(kinds, [(101, EventKind::Created), (102, EventKind::Deleted)]);
    assert_eq!(stream.since(), 102);
}

#[tokio::test]
async fn a_session_is_lost_when_a_keepalive_answers_session_expired() {
    let router = Router::new()
        .route(
            "/v1/sessions",
            post(|| async { (StatusCode::CREATED, Json(json!({"session_id": 9, "timeout_ms": 300}))) }),
        )
        .route(
            "/v1/sessions/:id/keepalive",
            put(|| async {
                let body = json!({"message": "session 0x9 has expired", "code": "session_expired"});
                (StatusCode::GONE, Json(body))
            }),
        );
    let client = CoordClient::new(serve(router).await.parse().unwrap());

    let session = client.create_session(Duration::from_millis(300)).await.unwrap();
    assert_eq!(session.id(), 9);
    assert!(session.is_alive());
    tokio::time::timeout(Duration::from_secs(2), session.lost()).await.unwrap();
    assert_eq!(*session.state().borrow(), SessionState::Expired);
}
