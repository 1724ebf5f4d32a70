//! The agent's HTTP API (described by `openapi/agent.yaml`; a test keeps the two equal):
//! `/state` (Mesos-like JSON), `/files/browse` and `/files/read` (sandbox files), `/health` and
//! `/metrics` (Prometheus text). A simulated fleet serves every agent of the process on one port;
//! `/state?agent_id=` picks one.

mod error;
mod files;
mod metrics;
mod state;

use std::sync::Arc;

use axum::routing::{get, MethodRouter};
use axum::Router;
use corral_kit::auth;
use corral_kit::Security;

pub use error::ApiError;
pub use state::state_json;

use crate::agent::Agent;
use crate::sandbox::SandboxRoot;

/// What the handlers read.
pub struct ApiState {
    /// One agent, or every agent of a simulated fleet.
    pub agents: Vec<Arc<Agent>>,
    pub sandboxes: SandboxRoot,
}

type Routes = Vec<(&'static str, MethodRouter<Arc<ApiState>>)>;

/// Every route and its handlers; `openapi/agent.yaml` must describe exactly these.
pub fn routes() -> Routes {
    vec![
        ("/state", get(state::state)),
        ("/files/browse", get(files::browse)),
        ("/files/read", get(files::read)),
        ("/health", get(metrics::health)),
        ("/metrics", get(metrics::metrics)),
    ]
}

pub fn router(state: Arc<ApiState>, security: &Security) -> Router {
    let router = routes().into_iter().fold(Router::new(), |router, (path, handlers)| router.route(path, handlers));
    let guard = security.guard(auth::health_open_else_read, auth::refuse_as_http_error);
    corral_kit::edge(router.fallback(no_route).with_state(state), guard)
}

/// Unknown paths get a JSON 404 too.
async fn no_route(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::NoRoute(format!("no route for {method} {}", uri.path()))
}
