//! The master's HTTP surface, described by `openapi/master.yaml`: the Mesos v1 scheduler API,
//! the agent protocol, the operator endpoints (state, redirect, version, health, metrics, an
//! agent's sandbox files) and the web page (`src/ui/`, served through `corral_kit::ui`).

mod agents;
mod error;
mod files;
mod operator;
mod scheduler;
mod state_json;

use std::sync::Arc;

use axum::http::{Method, StatusCode, Uri};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use corral_kit::auth::{self, Access, Role};
use corral_kit::ui::WebUi;
use corral_kit::HttpError;
use corral_wire::agent_api::REGISTER_PATH;

pub use error::ApiError;

use crate::service::{Leader, Leadership, MasterService};

type Routes = Vec<(&'static str, MethodRouter<Arc<MasterService>>)>;

/// Every route: its path (axum syntax) and handlers. `openapi/master.yaml` must describe exactly these.
pub fn routes() -> Routes {
    vec![
        ("/api/v1/scheduler", post(scheduler::call)),
        ("/master/api/v1/scheduler", post(scheduler::call)),
        (REGISTER_PATH, post(agents::register)),
        ("/api/agent/v1/agents/:agent_id/commands", get(agents::poll_commands)),
        ("/api/agent/v1/agents/:agent_id/updates", post(agents::update)),
        ("/master/state", get(operator::state)),
        ("/master/state.json", get(operator::state)),
        ("/state", get(operator::state)),
        ("/master/redirect", get(operator::redirect)),
        ("/redirect", get(operator::redirect)),
        ("/version", get(operator::version)),
        ("/health", get(operator::health)),
        ("/master/health", get(operator::health)),
        ("/metrics/snapshot", get(operator::metrics_snapshot)),
        ("/metrics", get(operator::metrics)),
        ("/agents/:agent_id/files/browse", get(files::browse)),
        ("/agents/:agent_id/files/read", get(files::read)),
    ]
}

/// The operator's page: summary, agents, frameworks, tasks with their sandboxes, offers.
pub const WEB_UI: WebUi = WebUi { html: include_str!("../ui/index.html"), script: include_str!("../ui/page.js") };

pub fn router(service: Arc<MasterService>) -> Router {
    let router = routes().into_iter().fold(WEB_UI.router(), |router, (path, handlers)| router.route(path, handlers));
    let guard = service.config.security.guard(access, auth::refuse_as_http_error);
    corral_kit::edge(router.fallback(no_route).with_state(service), guard)
}

/// Health, version and the leader's whereabouts are open (and the page, by the guard itself); the
/// scheduler API needs `deploy`, the agent protocol `agent`, and every other read `read`.
fn access(_: &Method, path: &str) -> Access {
    match path {
        "/health" | "/master/health" | "/version" | "/redirect" | "/master/redirect" => Access::Public,
        "/api/v1/scheduler" | "/master/api/v1/scheduler" => Access::Needs(Role::Deploy),
        path if path == REGISTER_PATH || path.starts_with("/api/agent/") => Access::Needs(Role::Agent),
        _ => Access::Needs(Role::Read),
    }
}

async fn no_route(uri: Uri) -> HttpError {
    HttpError::new(StatusCode::NOT_FOUND, "no_route", format!("no route {}", uri.path()))
}

/// The acting leader, or the answer a standby gives for `uri` (redirected with its query).
fn leader_or_redirect(service: &MasterService, uri: &Uri) -> Result<Arc<Leader>, ApiError> {
    let path = uri.path_and_query().map_or(uri.path(), |path| path.as_str());
    match service.leadership() {
        Leadership::Leading(leader) => Ok(leader),
        Leadership::Elsewhere(leader) => Err(ApiError::NotLeader { leader: Box::new(leader), path: path.to_string() }),
        Leadership::Unknown => Err(ApiError::NoLeader),
    }
}
