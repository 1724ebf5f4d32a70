//! An app's tasks: `GET /v2/apps/{id}/tasks`, and killing them, with `scale=true` (the app
//! shrinks, a deployment) or without (the app keeps its instance count, so they are replaced).

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use corral_wire::marathon::{Task, TaskList, TaskResponse};

use super::apps::{deployment_response, stamp};
use super::params::Params;
use super::ApiError;
use crate::core::AppChange;
use crate::engine::Engine;

pub(super) fn list(engine: &Engine, app_id: &str) -> Result<Json<TaskList>, ApiError> {
    let core = engine.core();
    if core.app(app_id).is_none() {
        return Err(ApiError::unknown_app(app_id));
    }
    Ok(Json(TaskList { tasks: core.tasks_of(app_id).map(|task| task.to_task()).collect() }))
}

/// `DELETE /v2/apps/{id}/tasks?host=&scale=`.
pub(super) async fn kill_all(engine: &Engine, app_id: &str, params: &Params) -> Result<Response, ApiError> {
    let host = params.get("host");
    let tasks: Vec<Task> = {
        let core = engine.core();
        if core.app(app_id).is_none() {
            return Err(ApiError::unknown_app(app_id));
        }
        core.tasks_of(app_id)
            .filter(|task| host.is_none_or(|host| task.host == host))
            .map(|task| task.to_task())
            .collect()
    };
    kill(engine, app_id, tasks, params).await.map(|killed| match killed {
        Killed::Tasks(tasks) => Json(TaskList { tasks }).into_response(),
        Killed::Scaled(response) => response,
    })
}

/// `DELETE /v2/apps/{id}/tasks/{taskId}?scale=&wipe=`.
pub(super) async fn kill_one(
    engine: &Engine,
    app_id: &str,
    task_id: &str,
    params: &Params,
) -> Result<Response, ApiError> {
    let task = {
        let core = engine.core();
        if core.app(app_id).is_none() {
            return Err(ApiError::unknown_app(app_id));
        }
        let task = core.task(task_id).filter(|task| task.app_id == app_id);
        task.map(|task| task.to_task())
            .ok_or_else(|| ApiError::message(StatusCode::NOT_FOUND, &format!("Task '{task_id}' does not exist")))?
    };
    kill(engine, app_id, vec![task], params).await.map(|killed| match killed {
        Killed::Tasks(mut tasks) => Json(TaskResponse { task: tasks.remove(0) }).into_response(),
        Killed::Scaled(response) => response,
    })
}

enum Killed {
    Tasks(Vec<Task>),
    Scaled(Response),
}

async fn kill(engine: &Engine, app_id: &str, tasks: Vec<Task>, params: &Params) -> Result<Killed, ApiError> {
    let ids: Vec<String> = tasks.iter().map(|task| task.id.clone()).collect();
    if !params.flag("scale", false)? {
        engine.kill_tasks(&ids);
        return Ok(Killed::Tasks(tasks));
    }
    let response = scale_down(engine, app_id, ids, params.flag("force", false)?).await?;
    Ok(Killed::Scaled(response))
}

/// A deployment that shrinks the app by the tasks named, killing exactly those.
pub(super) async fn scale_down(
    engine: &Engine,
    app_id: &str,
    ids: Vec<String>,
    force: bool,
) -> Result<Response, ApiError> {
    let mut change = engine.change().await;
    let before = engine.core().app(app_id).cloned().ok_or_else(|| ApiError::unknown_app(app_id))?;
    let version = change.new_version();
    let mut app = before.clone();
    app.instances = (app.instances - i32::try_from(ids.len()).unwrap_or(i32::MAX)).max(0);
    stamp(&mut app, Some(&before), version);
    let sentenced = BTreeMap::from([(app_id.to_string(), ids)]);
    let result = change.deploy(vec![AppChange::Put(Box::new(app))], version, force, sentenced).await?;
    Ok(deployment_response(StatusCode::OK, result))
}
