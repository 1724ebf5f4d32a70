//! An app as `GET /v2/apps` and `GET /v2/apps/{id}` show it: the definition plus task counts,
//! running deployments and, when embedded, its tasks and last task failure; and the other
//! `/v2/apps` answer bodies.

use serde::{Deserialize, Serialize};

use super::app::AppDefinition;
use super::deployment::DeploymentRef;
use super::task::{Task, TaskFailure};
use super::timestamp::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    #[serde(flatten)]
    pub app: AppDefinition,
    pub tasks_staged: u32,
    pub tasks_running: u32,
    pub tasks_healthy: u32,
    pub tasks_unhealthy: u32,
    pub deployments: Vec<DeploymentRef>,
    /// With `embed=apps.tasks` (always on `GET /v2/apps/{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks: Option<Vec<Task>>,
    /// With `embed=apps.lastTaskFailure`, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_task_failure: Option<TaskFailure>,
}

/// `{"apps": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppList {
    pub apps: Vec<AppInfo>,
}

/// `{"app": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppResponse {
    pub app: AppInfo,
}

/// `{"versions": [...]}`, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppVersions {
    pub versions: Vec<Timestamp>,
}
