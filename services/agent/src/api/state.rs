//! `/state`: the agent as Mesos' agent state endpoint shows it, kept to the fields that are true
//! here. Tasks are grouped by framework, each task under its own command executor (whose id is
//! the task's id and whose directory is the sandbox), running ones in `executors`, ended ones in
//! `completed_executors`. Resources are flat (`{"cpus": 1, "ports": "[31000-31005]"}`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use axum::extract::State;
use axum::Json;
use corral_kit::QueryParams;
use corral_wire::mesos::{CommandInfo, FrameworkId, ResourceSet};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiError, ApiState};
use crate::agent::{AgentView, TaskView};

#[derive(Debug, Deserialize)]
pub(super) struct StateQuery {
    /// For a simulated fleet: which agent (default: the first).
    #[serde(default)]
    agent_id: Option<String>,
}

pub(super) async fn state(
    State(api): State<Arc<ApiState>>,
    QueryParams(query): QueryParams<StateQuery>,
) -> Result<Json<Value>, ApiError> {
    let Some(wanted) = query.agent_id else {
        return Ok(Json(state_json(&api.agents[0].view().await)));
    };
    for agent in &api.agents {
        if agent.agent_id().await.is_some_and(|id| id.value == wanted) {
            return Ok(Json(state_json(&agent.view().await)));
        }
    }
    Err(ApiError::NotFound(format!("no agent {wanted} runs here")))
}

/// The state JSON of one agent.
pub fn state_json(view: &AgentView) -> Value {
    let id = view.agent_id.as_ref().map(|id| id.value.clone());
    let mut frameworks: BTreeMap<FrameworkId, (Vec<&TaskView>, Vec<&TaskView>)> = BTreeMap::new();
    for task in &view.tasks {
        let (running, ended) = frameworks.entry(task.framework_id.clone()).or_default();
        match task.latest.state.is_terminal() {
            true => ended.push(task),
            false => running.push(task),
        }
    }
    for task in &view.completed {
        frameworks.entry(task.framework_id.clone()).or_default().1.push(task);
    }
    let mut used = ResourceSet::new();
    for task in view.tasks.iter().filter(|task| !task.latest.state.is_terminal()) {
        used.add(&ResourceSet::from_resources(&task.task.resources).unwrap_or_default());
    }
    let attributes: serde_json::Map<String, Value> =
        view.attributes.iter().map(|a| (a.name.clone(), Value::String(a.value_text()))).collect();
    json!({
        "id": id,
        "pid": format!("slave(1)@{}:{}", view.hostname, view.port),
        "hostname": view.hostname,
        "port": view.port,
        "version": env!("CARGO_PKG_VERSION"),
        "start_time": seconds(view.started_at),
        "master": view.master,
        "resources": view.resources.to_flat_json(),
        "used_resources": used.to_flat_json(),
        "attributes": attributes,
        "frameworks": frameworks.iter().map(|(id, (running, ended))| framework_json(id, running, ended, view)).collect::<Vec<_>>(),
        "completed_frameworks": [],
    })
}

fn framework_json(id: &FrameworkId, running: &[&TaskView], ended: &[&TaskView], view: &AgentView) -> Value {
    let info = running.iter().chain(ended).find_map(|task| task.framework.as_ref());
    json!({
        "id": id.value,
        "name": info.map(|f| f.name.clone()).unwrap_or_default(),
        "user": info.map(|f| f.user.clone()).unwrap_or_default(),
        "executors": running.iter().map(|task| executor_json(task, view)).collect::<Vec<_>>(),
        "completed_executors": ended.iter().map(|task| executor_json(task, view)).collect::<Vec<_>>(),
    })
}

fn executor_json(task: &TaskView, view: &AgentView) -> Value {
    let resources = ResourceSet::from_resources(&task.task.resources).unwrap_or_default().to_flat_json();
    let task_json = task_json(task, view, &resources);
    let (tasks, completed) = match task.latest.state.is_terminal() {
        true => (vec![], vec![task_json]),
        false => (vec![task_json], vec![]),
    };
    json!({
        "id": task.task.task_id.value,
        "name": format!("Command Executor (Task: {})", task.task.task_id.value),
        "source": task.task.task_id.value,
        "container": task.sandbox.file_name().map(|run| run.to_string_lossy().into_owned()),
        "directory": task.sandbox.to_string_lossy(),
        "resources": resources,
        "tasks": tasks,
        "queued_tasks": [],
        "completed_tasks": completed,
    })
}

fn task_json(task: &TaskView, view: &AgentView, resources: &Value) -> Value {
    let statuses: Vec<Value> = task
        .statuses
        .iter()
        .filter(|status| status.timestamp.is_some())
        .map(|status| json!({"state": status.state, "timestamp": status.timestamp, "healthy": status.healthy, "message": status.message}))
        .collect();
    json!({
        "id": task.task.task_id.value,
        "name": task.task.name,
        "framework_id": task.framework_id.value,
        "executor_id": "",
        "slave_id": view.agent_id.as_ref().map_or(task.task.agent_id.value.clone(), |id| id.value.clone()),
        "state": task.latest.state,
        "resources": resources,
        "statuses": statuses,
        // Shown to every `read` token: secrets stay out.
        "command": task.task.command.as_ref().map(CommandInfo::redacted),
        "container": task.task.container,
        "labels": task.task.labels.as_ref().map(|l| l.labels.clone()).unwrap_or_default(),
        "discovery": task.task.discovery,
        "health_check": task.task.health_check,
        "containerizer": task.containerizer,
        "pending_updates": task.pending_updates,
    })
}

fn seconds(time: std::time::SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}
