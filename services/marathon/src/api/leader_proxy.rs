//! How an instance that does not lead answers: it forwards the request to the leader and relays
//! the answer, as Marathon's `LeaderProxyFilter` and request forwarder do. Bodies are streamed
//! both ways, so the endless `/v2/events` stream is relayed too, event by event, for as long as
//! the client and the leader keep it open. (Marathon redirects event-stream clients to the leader
//! instead; a browser page cannot follow a redirect to another origin, and marathon-lb, which
//! follows redirects, reads a relayed stream just as well.)
//!
//! What Marathon does and we copy (`api/LeaderProxyFilter.scala`,
//! `api/forwarder/AsyncUrlConnectionRequestForwarder.scala`):
//! - The method, path, query, headers and body go to `http://<leader><path>?<query>`, without
//!   `Host` and `Connection` (and here without the other hop-by-hop headers either).
//! - The forwarded request carries `X-Marathon-Via: 1.1 <this instance's host:port>` and
//!   `X-Forwarded-For` with the client's address appended; the relayed answer carries the same
//!   `X-Marathon-Via`. A request that already passed through this instance is refused with
//!   `502 Detected proxying loop.`
//! - A leader that cannot be reached gives `502 Connection to leader refused.`, one that does not
//!   answer in time `504 Connection to leader timed out.`; the bodies are Marathon's JSON
//!   `{"message": ...}`.
//! - With no known leader an instance answers `503 Could not determine the current leader`.
//! - The leader marks its own answers with `X-Marathon-Leader: http://<host:port>`.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use corral_wire::marathon::ErrorBody;

/// Added by every instance a request passes through; used to detect loops.
pub const MARATHON_VIA: HeaderName = HeaderName::from_static("x-marathon-via");

/// Set by the leader on its answers: `http://host:port`.
pub const MARATHON_LEADER: HeaderName = HeaderName::from_static("x-marathon-leader");

const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// How long the leader may take to start answering: Marathon's `--leader_proxy_read_timeout`
/// default. The body is then relayed for as long as it takes.
pub const LEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Headers that belong to one connection, not to the request (RFC 9110 section 7.6.1), plus
/// `Host`, which names the instance the client called, and `Expect`, which the next hop would
/// answer instead of the client.
const NOT_FORWARDED: [HeaderName; 10] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::HOST,
    header::EXPECT,
];

/// Sends `request` to the leader at `leader` (`http://host:port`) and relays its answer, streaming both
/// bodies. `me` is this instance's advertised `host:port`, which names it in `X-Marathon-Via`.
/// The client's address is taken from axum's `ConnectInfo<SocketAddr>`, when the server has it.
pub async fn forward(client: &reqwest::Client, leader: &str, me: &str, request: Request) -> Response {
    let via = HeaderValue::from_str(&format!("1.1 {me}")).unwrap_or(HeaderValue::from_static("1.1 marathon"));
    if has_passed_through(request.headers(), &via) {
        tracing::error!(message = "Refusing a request that was already proxied by this instance.", %leader);
        return error(StatusCode::BAD_GATEWAY, "Detected proxying loop.");
    }
    let client_ip = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(address)| address.ip());
    let (parts, body) = request.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let url = format!("{leader}{path}");

    let mut headers = end_to_end(&parts.headers);
    headers.append(MARATHON_VIA, via.clone());
    if let Some(ip) = client_ip {
        let forwarded_for = match parts.headers.get(FORWARDED_FOR).and_then(|value| value.to_str().ok()) {
            Some(earlier) => format!("{earlier},{ip}"),
            None => ip.to_string(),
        };
        if let Ok(value) = HeaderValue::from_str(&forwarded_for) {
            headers.insert(FORWARDED_FOR, value);
        }
    }

    let sent = client
        .request(parts.method.clone(), &url)
        .headers(headers)
        .body(reqwest::Body::wrap_stream(body.into_data_stream()))
        .send();
    let answer = match tokio::time::timeout(LEADER_READ_TIMEOUT, sent).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(failure)) => return unreachable_leader(leader, &parts.method, path, &failure),
        Err(_) => {
            tracing::warn!(message = "The leader did not answer a proxied request in time.", %leader, method = %parts.method, path);
            return error(StatusCode::GATEWAY_TIMEOUT, "Connection to leader timed out.");
        }
    };

    let (status, mut headers) = (answer.status(), end_to_end(answer.headers()));
    headers.append(MARATHON_VIA, via);
    let mut relayed = Body::from_stream(answer.bytes_stream()).into_response();
    *relayed.status_mut() = status;
    *relayed.headers_mut() = headers;
    relayed
}

/// The answer while no leader is known (Marathon's `LeaderProxyFilter` gives up the same way).
pub fn no_leader() -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, "Could not determine the current leader")
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(ErrorBody::message(message))).into_response()
}

fn unreachable_leader(leader: &str, method: &axum::http::Method, path: &str, failure: &reqwest::Error) -> Response {
    tracing::warn!(message = "A request could not be proxied to the leader.", %leader, %method, path, error = %failure);
    if failure.is_connect() {
        error(StatusCode::BAD_GATEWAY, "Connection to leader refused.")
    } else if failure.is_timeout() {
        error(StatusCode::GATEWAY_TIMEOUT, "Connection to leader timed out.")
    } else {
        error(StatusCode::BAD_GATEWAY, "Failed to successfully establish a connection to the leader.")
    }
}

/// True when `headers` carry this instance's `X-Marathon-Via` value (in any of their
/// comma-separated entries).
fn has_passed_through(headers: &HeaderMap, via: &HeaderValue) -> bool {
    let via = via.to_str().unwrap_or_default();
    headers
        .get_all(MARATHON_VIA)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|entry| entry.trim() == via)
}

/// `headers` without the hop-by-hop ones, including any that `Connection` names.
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let named_by_connection: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    let mut kept = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !NOT_FORWARDED.contains(name) && !named_by_connection.iter().any(|named| named == name.as_str()) {
            kept.append(name.clone(), value.clone());
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{any, get};
    use axum::Router;
    use corral_testkit::serve_in_process;
    use futures::StreamExt;
    use serde_json::{json, Value};
    use std::collections::BTreeMap;

    /// A stand-in leader that echoes what it received: method, path, query, headers, body.
    async fn echo(request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let headers: BTreeMap<String, Vec<String>> =
            parts.headers.keys().map(|name| (name.to_string(), values(&parts.headers, name.as_str()))).collect();
        let echoed = json!({
            "method": parts.method.as_str(),
            "path": parts.uri.path(),
            "query": parts.uri.query(),
            "headers": headers,
            "body": String::from_utf8_lossy(&body),
        });
        let answer_headers = [
            (MARATHON_LEADER, "http://leader:8080"),
            (HeaderName::from_static("marathon-deployment-id"), "d-1"),
            (header::LOCATION, "/v2/apps/web"),
            (HeaderName::from_static("keep-alive"), "timeout=5"),
        ];
        (StatusCode::CREATED, answer_headers, axum::Json(echoed)).into_response()
    }

    fn values(headers: &HeaderMap, name: &str) -> Vec<String> {
        headers.get_all(name).iter().map(|value| value.to_str().unwrap().to_string()).collect()
    }

    /// A non-leading instance at `me` whose every request is forwarded to `leader`.
    async fn follower(leader: String, me: &'static str) -> SocketAddr {
        let client = reqwest::Client::new();
        let proxy = move |request: Request| {
            let (client, leader) = (client.clone(), format!("http://{leader}"));
            async move { forward(&client, &leader, me, request).await }
        };
        serve_in_process(Router::new().fallback(proxy)).await
    }

    #[tokio::test]
    async fn a_request_and_its_answer_round_trip() {
        let leader = serve_in_process(Router::new().route("/v2/apps", any(echo))).await;
        let follower = follower(leader.to_string(), "follower:8080").await;

        let app = json!({"id": "/web", "cmd": "sleep 100", "instances": 2});
        let answer = reqwest::Client::new()
            .post(format!("http://{follower}/v2/apps?force=true&embed=apps.tasks"))
            .header("x-forwarded-for", "10.1.1.1")
            .header("x-custom", "kept")
            .header("connection", "x-hop")
            .header("x-hop", "dropped")
            .json(&app)
            .send()
            .await
            .unwrap();

        assert_eq!(answer.status(), StatusCode::CREATED);
        let headers = answer.headers().clone();
        assert_eq!(headers["marathon-deployment-id"], "d-1");
        assert_eq!(headers["location"], "/v2/apps/web");
        assert_eq!(headers["x-marathon-leader"], "http://leader:8080");
        assert_eq!(headers["x-marathon-via"], "1.1 follower:8080");
        assert!(!headers.contains_key("keep-alive"));

        let echoed: Value = answer.json().await.unwrap();
        assert_eq!(echoed["method"], "POST");
        assert_eq!(echoed["path"], "/v2/apps");
        assert_eq!(echoed["query"], "force=true&embed=apps.tasks");
        assert_eq!(serde_json::from_str::<Value>(echoed["body"].as_str().unwrap()).unwrap(), app);
        let sent = &echoed["headers"];
        assert_eq!(sent["x-marathon-via"], json!(["1.1 follower:8080"]));
        assert_eq!(sent["x-forwarded-for"], json!(["10.1.1.1,127.0.0.1"]));
        assert_eq!(sent["x-custom"], json!(["kept"]));
        assert_eq!(sent["content-type"], json!(["application/json"]));
        assert_eq!(sent["host"], json!([leader.to_string()]), "Host names the leader");
        assert!(sent.get("x-hop").is_none(), "a header named by Connection is not forwarded: {sent}");
    }

    #[tokio::test]
    async fn a_request_that_comes_back_is_refused() {
        let leader = serve_in_process(Router::new().route("/v2/info", get(|| async { "never" }))).await;
        let follower = follower(leader.to_string(), "follower:8080").await;
        let answer = reqwest::Client::new()
            .get(format!("http://{follower}/v2/info"))
            .header("x-marathon-via", "1.1 other:8080, 1.1 follower:8080")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(answer.json::<Value>().await.unwrap(), json!({"message": "Detected proxying loop."}));
    }

    #[tokio::test]
    async fn an_unreachable_leader_is_a_502() {
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let follower = follower(closed.to_string(), "follower:8080").await;
        let answer = reqwest::Client::new().delete(format!("http://{follower}/v2/apps/web")).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(answer.json::<Value>().await.unwrap(), json!({"message": "Connection to leader refused."}));
    }

    #[tokio::test]
    async fn an_endless_body_is_relayed_as_it_comes() {
        // One event, then nothing more for as long as the client stays: nothing may wait for the end.
        let endless = || async {
            let first =
                futures::stream::once(async { Ok::<_, std::io::Error>(bytes::Bytes::from("event: a\ndata: 1\n\n")) });
            let body = Body::from_stream(first.chain(futures::stream::pending()));
            ([(header::CONTENT_TYPE, "text/event-stream")], body)
        };
        let leader = serve_in_process(Router::new().route("/v2/events", get(endless))).await;
        let follower = follower(leader.to_string(), "follower:8080").await;

        let mut answer = reqwest::Client::new().get(format!("http://{follower}/v2/events")).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()[header::CONTENT_TYPE], "text/event-stream");
        let chunk = tokio::time::timeout(Duration::from_secs(5), answer.chunk()).await;
        let chunk = chunk.expect("the first event arrives before the stream ends").unwrap().unwrap();
        assert_eq!(chunk, "event: a\ndata: 1\n\n");
    }

    #[tokio::test]
    async fn no_leader_is_a_503() {
        let response = no_leader();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&body).unwrap(),
            json!({"message": "Could not determine the current leader"})
        );
    }
}
