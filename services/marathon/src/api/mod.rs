//! Marathon's HTTP API. Every instance serves `/ping`, `/health`, `/metrics`, the web UI (`ui/`),
//! `/v2/leader` and `/v2/info` itself; everything else under `/v2` is served by the leader, marked
//! `X-Marathon-Leader`, and forwarded to it by the others (`leader_proxy.rs`), the endless event
//! stream included, so that the page works on any instance. With no leader known the answer is 503.
//!
//! - `apps.rs`, `app_tasks.rs`: `/v2/apps` and everything under an app.
//! - `tasks.rs`, `deployments.rs`, `groups.rs`, `queue.rs`: the other `/v2` resources.
//! - `instance.rs`: what every instance answers itself.

mod app_tasks;
mod apps;
mod deployments;
mod error;
mod groups;
mod instance;
pub mod leader_proxy;
mod params;
mod queue;
mod tasks;

use std::sync::{Arc, RwLock};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;
use corral_kit::auth::{self, Access, Refusal};
use corral_kit::ui::WebUi;

use crate::config::MarathonConfig;
use crate::engine::Engine;
use crate::events::EventBus;

pub use error::ApiError;

/// Who leads, as this instance knows it.
#[derive(Clone)]
pub enum Role {
    /// No leader known.
    Unknown,
    /// Another instance (`host:port`) leads.
    Following(String),
    Leading(Arc<Engine>),
}

pub struct ApiState {
    pub config: MarathonConfig,
    pub events: EventBus,
    pub http: reqwest::Client,
    /// Notified by `DELETE /v2/leader`.
    pub abdicated: tokio::sync::Notify,
    /// `X-Marathon-Leader` of this instance's answers while it leads.
    leader_header: HeaderValue,
    role: RwLock<Role>,
    /// The leading master's web UI, `http://host:port/`, when known (`serve` follows the masters'
    /// election on every instance, so a standby's page can link tasks to their sandboxes too).
    master_ui_url: RwLock<Option<String>>,
}

impl ApiState {
    pub fn new(config: MarathonConfig, events: EventBus) -> ApiState {
        let leader = config.own_url();
        ApiState {
            leader_header: HeaderValue::from_str(&leader).expect("an advertised host:port is a header value"),
            http: config.security.client.http_client(),
            config,
            events,
            abdicated: tokio::sync::Notify::new(),
            role: RwLock::new(Role::Unknown),
            master_ui_url: RwLock::new(None),
        }
    }

    pub fn role(&self) -> Role {
        self.role.read().expect("not poisoned").clone()
    }

    pub fn set_role(&self, role: Role) {
        *self.role.write().expect("not poisoned") = role;
    }

    pub fn master_ui_url(&self) -> Option<String> {
        self.master_ui_url.read().expect("not poisoned").clone()
    }

    pub fn set_master_ui_url(&self, url: Option<String>) {
        *self.master_ui_url.write().expect("not poisoned") = url;
    }

    /// The engine, on the leader (the gate sends other requests elsewhere before they get here).
    fn engine(&self) -> Result<Arc<Engine>, ApiError> {
        match self.role() {
            Role::Leading(engine) => Ok(engine),
            _ => Err(ApiError::message(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "Could not determine the current leader",
            )),
        }
    }
}

/// Marathon's page: apps, an app's tasks, versions and actions, the create and edit form,
/// deployments and the launch queue, live through `/v2/events`.
const WEB_UI: WebUi = WebUi { html: include_str!("../ui/index.html"), script: include_str!("../ui/page.js") };

pub fn router(state: Arc<ApiState>) -> Router {
    let leader_only = Router::new()
        .route("/v2/apps", get(apps::list).post(apps::create).put(apps::update_apps).patch(apps::update_apps))
        .route(
            "/v2/apps/*app_id",
            get(apps::get_under_app)
                .put(apps::update_under_app)
                .patch(apps::update_under_app)
                .delete(apps::delete_under_app)
                .post(apps::post_under_app),
        )
        .route("/v2/tasks", get(tasks::list))
        .route("/v2/tasks/delete", post(tasks::delete_many))
        .route("/v2/deployments", get(deployments::list))
        .route("/v2/deployments/:deployment_id", delete(deployments::delete))
        .route("/v2/groups", get(groups::get).post(groups::deploy).put(groups::deploy).delete(groups::remove))
        .route("/v2/groups/*group_id", get(groups::get).post(groups::deploy).put(groups::deploy).delete(groups::remove))
        .route("/v2/queue", get(queue::list))
        .route("/v2/queue/*app_delay", delete(queue::reset_delay))
        .route("/v2/events", get(instance::events))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), gate));
    let router = Router::new()
        .route("/ping", get(instance::ping))
        .route("/health", get(instance::health))
        .route("/metrics", get(instance::metrics))
        .route("/v2/info", get(instance::info))
        .route("/v2/leader", get(instance::leader).delete(instance::abdicate))
        .merge(leader_only)
        .merge(WEB_UI.router())
        .with_state(state.clone());
    corral_kit::edge(router, state.config.security.guard(access, refuse))
}

/// The UI's page (its files under `/ui/` are left open by the kit's guard), `/ping` and `/health`
/// are open; reading needs `read`; abdicating needs
/// `operator`; every other change (apps, groups, deployments, tasks, the queue) needs `deploy`.
fn access(method: &Method, path: &str) -> Access {
    match (method, path) {
        (_, "/" | "/ping" | "/health") => Access::Public,
        (&Method::GET | &Method::HEAD, _) => Access::Needs(auth::Role::Read),
        (&Method::DELETE, "/v2/leader") => Access::Needs(auth::Role::Operator),
        _ => Access::Needs(auth::Role::Deploy),
    }
}

/// Refusals in Marathon's error shape, `{"message": ...}`.
fn refuse(refusal: Refusal) -> Response {
    axum::response::IntoResponse::into_response(ApiError::message(refusal.status, &refusal.message))
}

/// Serves the request here when leading, forwards it to the leader otherwise.
async fn gate(State(state): State<Arc<ApiState>>, request: Request, next: Next) -> Response {
    match state.role() {
        Role::Leading(_) => {
            let mut response = next.run(request).await;
            response.headers_mut().insert(leader_proxy::MARATHON_LEADER, state.leader_header.clone());
            response
        }
        Role::Following(leader) => {
            let leader = state.config.security.client.url(&leader);
            leader_proxy::forward(&state.http, &leader, &state.config.advertised(), request).await
        }
        Role::Unknown => leader_proxy::no_leader(),
    }
}
