//! Operator endpoints: `/master/state`, `/master/redirect`, `/version`, `/health`,
//! `/metrics/snapshot` (Mesos' metric names) and `/metrics` (Prometheus).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use corral_kit::{HttpError, PrometheusText};
use corral_wire::mesos::{ResourceSet, TaskState};
use serde_json::{json, Value};

use super::state_json::master_state;
use super::ApiError;
use crate::cluster::{wall_clock, Cluster};
use crate::service::{MasterService, MESOS_VERSION};

pub(super) async fn state(State(service): State<Arc<MasterService>>) -> Json<Value> {
    let leader = service.leader().cloned();
    let cluster = leader.as_ref().map(|leader| leader.cluster());
    Json(master_state(&service, cluster.as_deref()))
}

/// 307 to the leading master: `Location: //host:port`.
pub(super) async fn redirect(State(service): State<Arc<MasterService>>) -> Result<Response, ApiError> {
    let leader = service.leading_master().ok_or(ApiError::NoLeader)?;
    let location = format!("//{}", leader.http_address());
    Ok((StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, location)]).into_response())
}

pub(super) async fn version() -> Json<Value> {
    Json(json!({
        "version": MESOS_VERSION,
        "build_version": env!("CARGO_PKG_VERSION"),
        "build_user": "corral",
        "git_sha": "",
    }))
}

/// 200 when this master leads or knows who does.
pub(super) async fn health(State(service): State<Arc<MasterService>>) -> Result<Json<Value>, HttpError> {
    let leader = service
        .leading_master()
        .ok_or_else(|| HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "no_leader", "no leading master is known"))?;
    Ok(Json(json!({ "healthy": true, "leading": service.leader().is_some(), "leader": leader.http_address() })))
}

pub(super) async fn metrics_snapshot(State(service): State<Arc<MasterService>>) -> Json<Value> {
    let leader = service.leader().cloned();
    let cluster = leader.as_ref().map(|leader| leader.cluster());
    Json(snapshot(&service, cluster.as_deref()))
}

pub(super) async fn metrics(State(service): State<Arc<MasterService>>) -> PrometheusText {
    let leader = service.leader().cloned();
    let cluster = leader.as_ref().map(|leader| leader.cluster());
    let snapshot = snapshot(&service, cluster.as_deref());
    let mut text = PrometheusText::default();
    if let Value::Object(values) = snapshot {
        for (name, value) in values {
            let metric = format!("corral_{}", name.replace('/', "_"));
            text.gauge(&metric, &format!("Mesos metric {name}."), value.as_f64().unwrap_or(0.0));
        }
    }
    text
}

/// Mesos' flat `/metrics/snapshot`.
fn snapshot(service: &MasterService, cluster: Option<&Cluster>) -> Value {
    let mut values = json!({
        "master/elected": u8::from(cluster.is_some()),
        "master/uptime_secs": wall_clock() - service.start_time,
    });
    let Some(cluster) = cluster else { return values };
    let (mut total, mut used) = (ResourceSet::new(), ResourceSet::new());
    for agent in cluster.agents.values() {
        total.add(&agent.total);
    }
    let mut by_state = std::collections::BTreeMap::<TaskState, u64>::new();
    for framework in cluster.frameworks.values() {
        for task in framework.tasks.values() {
            used.add(&task.resources);
            *by_state.entry(task.state).or_default() += 1;
        }
    }
    let count = |state| by_state.get(&state).copied().unwrap_or(0);
    let counters = &cluster.counters;
    let connected = cluster.frameworks.values().filter(|f| f.is_connected()).count();
    let extra = json!({
        "master/slaves_active": cluster.agents.len(),
        "master/slaves_connected": cluster.agents.len(),
        "master/slaves_disconnected": cluster.expected_agents.len(),
        "master/slave_unreachable_completed": counters.agents_unreachable,
        "master/frameworks_active": connected,
        "master/frameworks_connected": connected,
        "master/frameworks_disconnected": cluster.frameworks.len() - connected,
        "master/outstanding_offers": cluster.offers.len(),
        "master/tasks_staging": count(TaskState::TaskStaging),
        "master/tasks_starting": count(TaskState::TaskStarting),
        "master/tasks_running": count(TaskState::TaskRunning),
        "master/tasks_killing": count(TaskState::TaskKilling),
        "master/tasks_finished": counters.tasks_finished,
        "master/tasks_failed": counters.tasks_failed,
        "master/tasks_killed": counters.tasks_killed,
        "master/tasks_lost": counters.tasks_lost,
        "master/tasks_error": counters.tasks_error,
        "master/messages_decline_offers": counters.offers_declined,
        "master/offers_sent": counters.offers_sent,
        "master/offers_rescinded": counters.offers_rescinded,
        "master/invalid_calls": counters.invalid_calls,
        "master/cpus_total": total.scalar("cpus"),
        "master/cpus_used": used.scalar("cpus"),
        "master/mem_total": total.scalar("mem"),
        "master/mem_used": used.scalar("mem"),
        "master/disk_total": total.scalar("disk"),
        "master/disk_used": used.scalar("disk"),
    });
    if let (Value::Object(values), Value::Object(extra)) = (&mut values, extra) {
        values.extend(extra);
    }
    values
}
