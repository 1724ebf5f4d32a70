//! What every instance answers itself, leading or not: `/ping`, `/health`, `/metrics`, `/v2/info`
//! and `/v2/leader`; and the event stream (served on the leader only: the others forward it there
//! before it gets here).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use corral_kit::PrometheusText;
use corral_wire::marathon::{ErrorBody, HttpConfig, Info, Leader, MarathonConfig, ZookeeperConfig};

use super::{ApiError, ApiState, Role};
use crate::events::{accepts_event_stream, event_stream, event_stream_not_accepted, EventFilter};

pub(super) async fn ping() -> &'static str {
    "pong"
}

/// 200 while a leader is known (this instance or another), 503 otherwise.
pub(super) async fn health(State(state): State<Arc<ApiState>>) -> Response {
    match state.role() {
        Role::Unknown => (StatusCode::SERVICE_UNAVAILABLE, Json(ErrorBody::no_leader())).into_response(),
        _ => (StatusCode::OK, Json(serde_json::json!({"healthy": true}))).into_response(),
    }
}

pub(super) async fn metrics(State(state): State<Arc<ApiState>>) -> Response {
    let mut text = PrometheusText::default();
    let role = state.role();
    text.gauge("marathon_leader", "1 on the leading instance.", matches!(role, Role::Leading(_)) as u64 as f64);
    text.gauge("marathon_event_stream_clients", "Clients on /v2/events.", state.events.subscriber_count() as f64);
    if let Role::Leading(engine) = role {
        let core = engine.core();
        text.gauge("marathon_apps", "Apps.", core.app_count() as f64);
        text.gauge("marathon_tasks", "Tasks marathon knows of.", core.task_count() as f64);
        text.gauge("marathon_deployments", "Running deployments.", core.deployments().count() as f64);
        let queued: u32 =
            core.apps().filter_map(|app| core.runtime(&app.id)).map(|r| r.in_flight.queued_launches).sum();
        text.gauge("marathon_queued_launches", "Launches waiting for offers.", f64::from(queued));
        text.gauge(
            "marathon_store_records_quarantined",
            "Stored records this leader could not read when it took office, moved aside under <root>/quarantine.",
            engine.quarantined_records() as f64,
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text.into_string()).into_response()
}

pub(super) async fn info(State(state): State<Arc<ApiState>>) -> Json<Info> {
    let config = &state.config;
    let role = state.role();
    let (elected, leader, framework_id) = match &role {
        Role::Leading(engine) => (true, Some(config.advertised()), engine.framework_id()),
        Role::Following(leader) => (false, Some(leader.clone()), None),
        Role::Unknown => (false, None, None),
    };
    Json(Info {
        name: "marathon".to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        buildref: "corral".to_string(),
        elected,
        leader,
        framework_id,
        marathon_config: MarathonConfig {
            master: Some(format!("zk://{}{}", config.coordinator_text, config.master_root)),
            failover_timeout: Some(config.failover_timeout.as_secs() as i64),
            framework_name: Some(config.framework_name.clone()),
            ha: Some(true),
            checkpoint: Some(true),
            local_port_min: Some(i32::from(crate::core::SERVICE_PORTS.start)),
            local_port_max: Some(i32::from(crate::core::SERVICE_PORTS.end)),
            executor: Some("//cmd".to_string()),
            hostname: Some(config.advertise_host.clone()),
            webui_url: None,
            mesos_role: Some(config.mesos_role.clone()),
            task_launch_timeout: Some(config.task_launch_timeout.as_millis() as i64),
            task_reservation_timeout: Some(20_000),
            reconciliation_initial_delay: Some(15_000),
            reconciliation_interval: Some(config.reconciliation_interval.as_millis() as i64),
            mesos_user: Some("root".to_string()),
            leader_proxy_connection_timeout_ms: Some(5_000),
            leader_proxy_read_timeout_ms: Some(10_000),
            mesos_leader_ui_url: state.master_ui_url(),
            features: Vec::new(),
        },
        zookeeper_config: ZookeeperConfig {
            zk: format!("zk://{}{}", config.coordinator_text, config.root),
            zk_timeout: 10_000,
            zk_connection_timeout: 10_000,
            zk_session_timeout: config.session_timeout.as_millis() as i64,
            zk_max_versions: 50,
        },
        http_config: match config.security.own_scheme() {
            "https" => HttpConfig { http_port: None, https_port: Some(i32::from(config.listen.port())) },
            _ => HttpConfig { http_port: Some(i32::from(config.listen.port())), https_port: None },
        },
    })
}

/// `{"leader": "host:port"}`, or 404 while none is known.
pub(super) async fn leader(State(state): State<Arc<ApiState>>) -> Response {
    match state.role() {
        Role::Leading(_) => Json(Leader { leader: state.config.advertised() }).into_response(),
        Role::Following(leader) => Json(Leader { leader }).into_response(),
        Role::Unknown => (StatusCode::NOT_FOUND, Json(ErrorBody::no_leader())).into_response(),
    }
}

/// `DELETE /v2/leader`: the leader steps down. `serve` stops the instance once this answer is
/// out, giving up its coordinator session, so another instance leads; its supervisor starts it
/// again as a standby.
pub(super) async fn abdicate(State(state): State<Arc<ApiState>>) -> Result<Response, ApiError> {
    if !matches!(state.role(), Role::Leading(_)) {
        return Err(ApiError::new(StatusCode::NOT_FOUND, ErrorBody::no_leader()));
    }
    tracing::warn!(message = "Abdicating on request: stopping so that another instance leads.");
    state.abdicated.notify_one();
    Ok(Json(ErrorBody::message("Leadership abdicated")).into_response())
}

/// `GET /v2/events` (leader only; `Accept: text/event-stream` required).
pub(super) async fn events(
    State(state): State<Arc<ApiState>>,
    client: Option<ConnectInfo<SocketAddr>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    if !accepts_event_stream(&headers) {
        return event_stream_not_accepted();
    }
    let filter = EventFilter::from_query(uri.query());
    event_stream(&state.events, filter, super::apps::client_ip(&client), state.config.event_stream_heartbeat)
}
