//! The coordinator's HTTP surface: the client router (the API in `openapi/coordinator.yaml`, and
//! the web page of `src/ui/` at `/`) and the peer router (raft and leader-side internals,
//! `openapi/coordinator-peer.yaml`).

mod error;
mod peer;
mod sessions;
mod status;
mod watch;
mod znodes;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::Router;
use corral_kit::auth::{self, Access, Role};
use corral_kit::ui::WebUi;
use corral_kit::Security;
use corral_wire::coordinator::{MIN_ZXID_HEADER, ZXID_HEADER};

pub use error::ApiError;

use crate::node::{
    CoordinatorNode, INTERNAL_JOIN_PATH, INTERNAL_KEEPALIVE_PATH, INTERNAL_READ_INDEX_PATH, INTERNAL_WRITE_PATH,
};
use crate::raft::{PEER_APPEND_PATH, PEER_SNAPSHOT_PATH, PEER_VOTE_PATH};

/// The tree browser and the ensemble's roles, read-only, served on the client port.
const WEB_UI: WebUi = WebUi { html: include_str!("../ui/index.html"), script: include_str!("../ui/page.js") };

/// Large enough for a multi of many full-size znodes.
const CLIENT_BODY_LIMIT: usize = 64 * 1024 * 1024;
/// Large enough for a batch of log entries or a snapshot chunk.
const PEER_BODY_LIMIT: usize = 512 * 1024 * 1024;

type Routes = Vec<(String, MethodRouter<Arc<CoordinatorNode>>)>;

/// Every client route: its path (axum syntax) and handlers. `openapi/coordinator.yaml` must
/// describe exactly these (a test checks).
pub fn client_routes() -> Routes {
    let znode =
        || get(znodes::get_znode).post(znodes::create_znode).put(znodes::set_znode).delete(znodes::delete_znode);
    let children = || get(znodes::get_children);
    vec![
        ("/v1/znodes".into(), znode()),
        ("/v1/znodes/".into(), znode()),
        ("/v1/znodes/*path".into(), znode()),
        ("/v1/children".into(), children()),
        ("/v1/children/".into(), children()),
        ("/v1/children/*path".into(), children()),
        ("/v1/multi".into(), post(znodes::multi)),
        ("/v1/sessions".into(), post(sessions::create_session)),
        ("/v1/sessions/:id/keepalive".into(), put(sessions::keepalive)),
        ("/v1/sessions/:id".into(), delete(sessions::close_session)),
        ("/v1/watch".into(), post(watch::watch)),
        ("/v1/status".into(), get(status::status)),
        ("/srvr".into(), get(status::srvr)),
        ("/mntr".into(), get(status::mntr)),
        ("/health".into(), get(status::health)),
        ("/metrics".into(), get(status::metrics)),
    ]
}

/// Every peer route, described by `openapi/coordinator-peer.yaml`.
pub fn peer_routes() -> Routes {
    vec![
        (PEER_APPEND_PATH.into(), post(peer::append)),
        (PEER_VOTE_PATH.into(), post(peer::vote)),
        (PEER_SNAPSHOT_PATH.into(), post(peer::snapshot)),
        (INTERNAL_WRITE_PATH.into(), post(peer::write)),
        (INTERNAL_READ_INDEX_PATH.into(), get(peer::read_index)),
        (format!("{INTERNAL_KEEPALIVE_PATH}/:id"), post(peer::keepalive)),
        (INTERNAL_JOIN_PATH.into(), post(peer::join)),
    ]
}

fn router_of(routes: Routes) -> Router<Arc<CoordinatorNode>> {
    let router = routes.into_iter().fold(Router::new(), |router, (path, handlers)| router.route(&path, handlers));
    router.fallback(no_route)
}

/// Unknown paths get a JSON 404 too, with a code that tells them from a missing znode.
async fn no_route(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    let message = format!("no route for {method} {}", uri.path());
    ApiError(corral_kit::HttpError::new(axum::http::StatusCode::NOT_FOUND, "no_route", message))
}

/// The client API.
pub fn client_router(node: Arc<CoordinatorNode>, security: &Security) -> Router {
    let router = router_of(client_routes())
        .layer(middleware::from_fn_with_state(node.clone(), zxid_and_stats))
        .layer(DefaultBodyLimit::max(CLIENT_BODY_LIMIT))
        .with_state(node)
        .merge(WEB_UI.router());
    corral_kit::edge(router, security.guard(client_access, auth::refuse_as_http_error))
}

/// The peer API, spoken only between coordinators.
pub fn peer_router(node: Arc<CoordinatorNode>, security: &Security) -> Router {
    let router = router_of(peer_routes()).layer(DefaultBodyLimit::max(PEER_BODY_LIMIT)).with_state(node);
    corral_kit::edge(router, security.guard(peer_access, auth::refuse_as_http_error))
}

/// `/health` is open; reading the tree, its status and watches needs `read`; changing it
/// (znodes, multi, sessions) needs `deploy`.
fn client_access(method: &Method, path: &str) -> Access {
    match (method, path) {
        (_, "/health") => Access::Public,
        (&Method::GET, _) | (&Method::HEAD, _) | (&Method::POST, "/v1/watch") => Access::Needs(Role::Read),
        _ => Access::Needs(Role::Deploy),
    }
}

/// Only coordinators speak on the peer port: everything there needs `peer`.
fn peer_access(_: &Method, _: &str) -> Access {
    Access::Needs(Role::Peer)
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
            Err(error) => ApiError::from(error).into_response(),
        },
        _ => next.run(request).await,
    };
    response.headers_mut().insert(ZXID_HEADER, HeaderValue::from(node.applied.zxid()));
    node.stats.record(started.elapsed());
    response
}
