//! `/v2/tasks`: every task of every app, and killing tasks by id.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use corral_wire::marathon::{TaskIds, TaskList};

use super::app_tasks::scale_down;
use super::params::Params;
use super::{ApiError, ApiState};

/// `GET /v2/tasks?status=running|staging|...`.
pub(super) async fn list(State(state): State<Arc<ApiState>>, params: Params) -> Result<Json<TaskList>, ApiError> {
    let engine = state.engine()?;
    let wanted: Vec<String> = params.all("status").map(|status| format!("TASK_{}", status.to_uppercase())).collect();
    let core = engine.core();
    let tasks = core
        .all_tasks()
        .map(|task| task.to_task())
        .filter(|task| wanted.is_empty() || wanted.contains(&task.state))
        .collect();
    Ok(Json(TaskList { tasks }))
}

/// `POST /v2/tasks/delete?scale=` with `{"ids": [...]}`: 400 naming the ids marathon does not know.
pub(super) async fn delete_many(
    State(state): State<Arc<ApiState>>,
    params: Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let engine = state.engine()?;
    let request: TaskIds = serde_json::from_slice(&body).map_err(|error| ApiError::bad_json(&body, &error))?;
    let mut by_app: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut tasks = Vec::new();
    {
        let core = engine.core();
        let unknown: Vec<&String> = request.ids.iter().filter(|id| core.task(id).is_none()).collect();
        if !unknown.is_empty() {
            let list: Vec<&str> = unknown.iter().map(|id| id.as_str()).collect();
            return Err(ApiError::message(StatusCode::BAD_REQUEST, &format!("Unknown task ids: {}", list.join(", "))));
        }
        for id in &request.ids {
            let task = core.task(id).expect("checked above");
            by_app.entry(task.app_id.clone()).or_default().push(id.clone());
            tasks.push(task.to_task());
        }
    }
    if !params.flag("scale", false)? {
        engine.kill_tasks(&request.ids);
        return Ok(Json(TaskList { tasks }).into_response());
    }
    let force = params.flag("force", false)?;
    let mut last = None;
    for (app_id, ids) in by_app {
        last = Some(scale_down(&engine, &app_id, ids, force).await?);
    }
    Ok(last.unwrap_or_else(|| Json(TaskList { tasks: Vec::new() }).into_response()))
}
