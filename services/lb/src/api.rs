//! The lb's own HTTP API (described by `openapi/lb.yaml`; a test keeps the two equal): `/health`
//! (200 once HAProxy serves a config built from marathon), `/metrics` (Prometheus text),
//! `/haproxy.cfg` (the config HAProxy runs), `/v1/status` (apps, exclusions with their
//! reasons, reloads, runtime updates, HAProxy's ports) and `/v1/routes` (each backend, the
//! frontends that reach it and its servers with HAProxy's state of them). The page at `/`
//! (`src/ui/`) shows the routes and the exclusions.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{Json, Router};
use corral_kit::auth;
use corral_kit::ui::WebUi;
use corral_kit::{HttpError, PrometheusText, Security};

use serde::Serialize;

use crate::balancer::LbState;
use crate::routes::{add_server_states, Route};

type Routes = Vec<(&'static str, MethodRouter<Arc<LbState>>)>;

/// The routes and exclusions page, with a link to HAProxy's own stats page.
const WEB_UI: WebUi = WebUi { html: include_str!("ui/index.html"), script: include_str!("ui/page.js") };

/// Every route and its handlers; `openapi/lb.yaml` must describe exactly these.
pub fn routes() -> Routes {
    vec![
        ("/health", get(health)),
        ("/metrics", get(metrics)),
        ("/haproxy.cfg", get(haproxy_cfg)),
        ("/v1/status", get(status)),
        ("/v1/routes", get(routes_now)),
    ]
}

pub fn router(state: Arc<LbState>, security: &Security) -> Router {
    let router = routes().into_iter().fold(Router::new(), |router, (path, handlers)| router.route(path, handlers));
    let guard = security.guard(auth::health_open_else_read, auth::refuse_as_http_error);
    corral_kit::edge(router.fallback(no_route).with_state(state).merge(WEB_UI.router()), guard)
}

async fn no_route(method: axum::http::Method, uri: axum::http::Uri) -> HttpError {
    HttpError::new(StatusCode::NOT_FOUND, "no_route", format!("no route for {method} {}", uri.path()))
}

async fn health(State(state): State<Arc<LbState>>) -> Response {
    match state.is_serving() {
        true => (StatusCode::OK, Json(serde_json::json!({"status": "serving"}))).into_response(),
        false => HttpError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_serving",
            "HAProxy does not serve a config built from marathon's apps yet",
        )
        .into_response(),
    }
}

async fn status(State(state): State<Arc<LbState>>) -> Json<crate::balancer::LbStatus> {
    Json(state.status())
}

/// `GET /v1/routes`.
#[derive(Debug, Serialize)]
struct RoutesAnswer {
    routes: Vec<Route>,
}

/// The routes of the config HAProxy runs, with the servers' states when HAProxy answers.
async fn routes_now(State(state): State<Arc<LbState>>) -> Json<RoutesAnswer> {
    let mut routes = state.routes();
    if let (Some(runtime), false) = (state.runtime.get(), routes.is_empty()) {
        match runtime.command("show stat").await {
            Ok(stat) => add_server_states(&mut routes, &stat),
            Err(error) => tracing::debug!(message = "HAProxy did not say its servers' states.", %error),
        }
    }
    Json(RoutesAnswer { routes })
}

async fn haproxy_cfg(State(state): State<Arc<LbState>>) -> Response {
    let text = state.config.lock().expect("the config lock is never poisoned").clone();
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

async fn metrics(State(state): State<Arc<LbState>>) -> PrometheusText {
    let status = state.status();
    let mut page = PrometheusText::default();
    page.gauge(
        "corral_lb_serving",
        "1 once HAProxy serves a config built from marathon",
        f64::from(u8::from(status.serving)),
    )
    .gauge("corral_lb_apps", "Apps with an exposed service port", status.apps as f64)
    .gauge("corral_lb_services", "Exposed service ports (backends)", status.services as f64)
    .gauge("corral_lb_servers", "Servers (tasks) in the backends", status.servers as f64)
    .gauge("corral_lb_excluded_apps", "Apps left out for bad labels or a refused config", status.excluded.len() as f64)
    .counter("corral_lb_reloads_total", "HAProxy reloads (config shape changes)", status.reloads as f64)
    .counter(
        "corral_lb_runtime_updates_total",
        "Server changes applied through the runtime API",
        status.runtime_updates as f64,
    )
    .counter("corral_lb_refused_configs_total", "Configs haproxy -c refused", status.refused_configs as f64)
    .counter("corral_lb_drains_confirmed_total", "Task drains confirmed to marathon", status.drains_confirmed as f64)
    .counter(
        "corral_lb_certificates_loaded_total",
        "Certificates loaded without a reload",
        status.certificates_loaded as f64,
    );
    page
}
