//! The limits every listener has, over real sockets: 2,000 clients that send half a request
//! neither stop others from being served nor stay connected past the header timeout; a JSON body
//! over the limit is a 413; and the connection cap leaves room under the open-files limit.

use std::time::{Duration, Instant};

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use corral_kit::JsonBody;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn serve(router: Router) -> std::net::SocketAddr {
    let listener = corral_kit::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(corral_kit::serve(listener, router, None, std::future::pending()));
    address
}

/// As many open files as the hard limit allows: the test holds thousands of sockets.
fn raise_open_files() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn half_sent_requests_neither_block_others_nor_outlive_the_header_timeout() {
    raise_open_files();
    let address = serve(Router::new().route("/", get(|| async { "served" }))).await;
    let mut stalled = Vec::new();
    for _ in 0..2_000 {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\nHost: slow\r\n").await.unwrap();
        stalled.push(stream);
    }

    let started = Instant::now();
    let answer = reqwest::get(format!("http://{address}/")).await.unwrap().text().await.unwrap();
    assert_eq!(answer, "served");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "served in {:?} behind 2,000 stalled clients",
        started.elapsed()
    );

    // Each stalled client is answered 408 or cut off once its head is overdue.
    let deadline = started + corral_kit::HEADER_TIMEOUT + Duration::from_secs(5);
    for stream in &mut stalled {
        let mut buffer = Vec::new();
        let left = deadline.saturating_duration_since(Instant::now());
        let read = tokio::time::timeout(left, stream.read_to_end(&mut buffer)).await;
        assert!(read.is_ok(), "a half-sent request was still open after the header timeout");
    }
}

#[tokio::test]
async fn a_json_body_over_the_limit_is_a_413_in_json() {
    let router = Router::new()
        .route("/", post(|JsonBody(value): JsonBody<serde_json::Value>| async move { value.to_string() }))
        .layer(DefaultBodyLimit::max(1024));
    let address = serve(router).await;
    let http = reqwest::Client::new();
    let send = |body: String| {
        http.post(format!("http://{address}/")).header("content-type", "application/json").body(body).send()
    };

    let small = send(r#"{"a": 1}"#.to_string()).await.unwrap();
    assert_eq!(small.status(), 200);
    let large = send(format!(r#"{{"a": "{}"}}"#, "x".repeat(4096))).await.unwrap();
    assert_eq!(large.status(), 413);
    let body: serde_json::Value = large.json().await.unwrap();
    assert_eq!(body["code"], "payload_too_large", "{body}");
}

#[test]
fn the_connection_cap_leaves_files_for_everything_else() {
    let (soft, _) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
    let cap = corral_kit::connection_cap() as u64;
    assert!(cap >= 16 && (cap <= soft.saturating_sub(512) || cap == 16), "cap {cap} with {soft} open files");
}
