//! The coordinator's HTTP surface: the client router (the API in `openapi/coordinator.yaml`) and
//! the peer router (raft and leader-side internals, `openapi/coordinator-peer.yaml`).

mod error;
mod peer;
mod sessions;
mod status;
mod watch;
mod znodes;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;
use corral_wire::coordinator::{MIN_ZXID_HEADER, ZXID_HEADER};

pub use error::ApiError;

use crate::node::{CoordinatorNode, INTERNAL_JOIN_PATH, INTERNAL_KEEPALIVE_PATH, INTERNAL_READ_INDEX_PATH, INTERNAL_WRITE_PATH};
use crate::raft::{PEER_APPEND_PATH, PEER_SNAPSHOT_PATH, PEER_VOTE_PATH};

/// Large enough for a multi of many full-size znodes.
const CLIENT_BODY_LIMIT: usize = 64 * 1024 * 1024;
/// Large enough for a batch of log entries or a snapshot chunk.
const PEER_BODY_LIMIT: usize = 512 * 1024 * 1024;

/// The client API.
pub fn client_router(node: Arc<CoordinatorNode>) -> Router {
    let znode_routes = get(znodes::get_znode)
        .post(znodes::create_znode)
        .put(znodes::set_znode)
        .delete(znodes::delete_znode);
    Router::new()
        .route("/v1/znodes", znode_routes.clone())
        .route("/v1/znodes/", znode_routes.clone())
        .route("/v1/znodes/*path", znode_routes)
        .route("/v1/children", get(znodes::get_children))
        .route("/v1/children/", get(znodes::get_children))
        .route("/v1/children/*path", get(znodes::get_children))
        .route("/v1/multi", post(znodes::multi))
        .route("/v1/sessions", post(sessions::create_session))
        .route("/v1/sessions/:id/keepalive", put(sessions::keepalive))
        .route("/v1/sessions/:id", axum::routing::delete(sessions::close_session))
        .route("/v1/watch", post(watch::watch))
        .route("/v1/status", get(status::status))
        .route("/srvr", get(status::srvr))
        .route("/mntr", get(status::mntr))
        .route("/health", get(status::health))
        .route("/metrics", get(status::metrics))
        .layer(middleware::from_fn_with_state(node.clone(), zxid_and_stats))
        .layer(DefaultBodyLimit::max(CLIENT_BODY_LIMIT))
        .with_state(node)
}

/// The peer API, spoken only between coordinators.
pub fn peer_router(node: Arc<CoordinatorNode>) -> Router {
    Router::new()
        .route(PEER_APPEND_PATH, post(peer::append))
        .route(PEER_VOTE_PATH, post(peer::vote))
        .route(PEER_SNAPSHOT_PATH, post(peer::snapshot))
        .route(INTERNAL_WRITE_PATH, post(peer::write))
        .route(INTERNAL_READ_INDEX_PATH, get(peer::read_index))
        .route(&format!("{INTERNAL_KEEPALIVE_PATH}/:id"), post(peer::keepalive))
        .route(INTERNAL_JOIN_PATH, post(peer::join))
        .layer(DefaultBodyLimit::max(PEER_BODY_LIMIT))
        .with_state(node)
}

/// Makes a client that sent `x-corral-min-zxid` wait until this node caught up to it, stamps
/// every answer with this node's applied zxid, and counts request latency.
async fn zxid_and_stats(State(node): State<Arc<CoordinatorNode>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let min_zxid = request
        .headers()
        .get(MIN_ZXID_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let mut response = match min_zxid {
        Some(zxid) if zxid > node.applied.zxid() => match node.wait_applied(zxid).await {
            Ok(()) => next.run(request).await,
            Err(error) => axum::response::IntoResponse::into_response(ApiError::from(error)),
        },
        _ => next.run(request).await,
    };
    response
        .headers_mut()
        .insert(ZXID_HEADER, HeaderValue::from(node.applied.zxid()));
    node.stats.record(started.elapsed());
    response
}
