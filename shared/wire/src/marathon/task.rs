//! A task as `/v2/tasks`, `/v2/apps/{id}/tasks` and the `tasks` embedded in an app show it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::timestamp::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// The app id made safe (`/a/b` → `a_b`), a `.` and a unique suffix.
    pub id: String,
    pub app_id: String,
    /// The agent's hostname.
    pub host: String,
    #[serde(default)]
    pub ports: Vec<i32>,
    #[serde(default)]
    pub service_ports: Vec<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staged_at: Option<Timestamp>,
    /// Absent until the task runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    /// The app version the task was started from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slave_id: Option<String>,
    /// A Mesos task state name, such as `TASK_RUNNING`.
    pub state: String,
    #[serde(default)]
    pub ip_addresses: Vec<IpAddress>,
    /// Written only for apps with health checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health_check_results: Vec<HealthCheckResult>,
    /// Persistent volumes; always empty on Corral.
    #[serde(default)]
    pub local_volumes: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IpAddress {
    pub ip_address: String,
    /// `IPv4` or `IPv6`.
    pub protocol: String,
}

/// The state of one health check of one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheckResult {
    pub alive: bool,
    pub consecutive_failures: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_success: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure_cause: Option<String>,
    /// Marathon 1.4 and later name the instance here (older versions wrote `taskId`).
    pub instance_id: String,
}

/// `lastTaskFailure` of an app: the most recent task that ended badly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskFailure {
    pub app_id: String,
    pub host: String,
    pub message: String,
    pub state: String,
    pub task_id: String,
    pub timestamp: Timestamp,
    pub version: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slave_id: Option<String>,
}

/// `{"tasks": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskList {
    pub tasks: Vec<Task>,
}

/// `{"task": {...}}`, the answer to killing one task without scaling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskResponse {
    pub task: Task,
}

/// The body of `POST /v2/tasks/delete`: `{"ids": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskIds {
    pub ids: Vec<String>,
}
