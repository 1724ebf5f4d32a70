//! The events of `/v2/events`: each is a JSON object with Marathon's fields for its kind plus
//! `eventType` and `timestamp`, sent as `event: <eventType>\ndata: <json>\n\n`.

use serde::{Deserialize, Serialize};

use super::app::AppDefinition;
use super::deployment::{DeploymentPlan, DeploymentStep};
use super::health_check::HealthCheck;
use super::task::IpAddress;
use super::timestamp::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    #[serde(flatten)]
    pub kind: EventKind,
    pub timestamp: Timestamp,
}

/// The kinds Corral sends, tagged by `eventType`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "eventType", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum EventKind {
    EventStreamAttached {
        remote_address: String,
    },
    EventStreamDetached {
        remote_address: String,
    },
    /// A request changed an app.
    ApiPostEvent {
        client_ip: String,
        uri: String,
        app_definition: Box<AppDefinition>,
    },
    StatusUpdateEvent {
        slave_id: String,
        task_id: String,
        /// A Mesos task state name, such as `TASK_RUNNING`.
        task_status: String,
        message: String,
        app_id: String,
        host: String,
        ip_addresses: Vec<IpAddress>,
        ports: Vec<i32>,
        version: Timestamp,
    },
    InstanceChangedEvent {
        instance_id: String,
        /// Marathon's instance condition: `Created`, `Staging`, `Running`, `Failed`, `Killed`, ...
        condition: String,
        run_spec_id: String,
        agent_id: String,
        host: String,
        run_spec_version: Timestamp,
    },
    InstanceHealthChangedEvent {
        instance_id: String,
        run_spec_id: String,
        run_spec_version: Timestamp,
        healthy: Option<bool>,
    },
    HealthStatusChangedEvent {
        app_id: String,
        instance_id: String,
        version: Timestamp,
        alive: bool,
    },
    FailedHealthCheckEvent {
        app_id: String,
        instance_id: String,
        health_check: HealthCheck,
    },
    UnhealthyInstanceKillEvent {
        app_id: String,
        task_id: String,
        instance_id: String,
        version: Timestamp,
        reason: String,
        host: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slave_id: Option<String>,
    },
    #[serde(rename = "deployment_info")]
    DeploymentInfo {
        plan: DeploymentPlan,
        current_step: DeploymentStep,
    },
    #[serde(rename = "deployment_success")]
    DeploymentSuccess {
        id: String,
        plan: DeploymentPlan,
    },
    #[serde(rename = "deployment_failed")]
    DeploymentFailed {
        id: String,
        plan: DeploymentPlan,
    },
    #[serde(rename = "deployment_step_success")]
    DeploymentStepSuccess {
        plan: DeploymentPlan,
        current_step: DeploymentStep,
    },
    #[serde(rename = "deployment_step_failure")]
    DeploymentStepFailure {
        plan: DeploymentPlan,
        current_step: DeploymentStep,
    },
    AppTerminatedEvent {
        app_id: String,
    },
    #[serde(rename = "group_change_success")]
    GroupChangeSuccess {
        group_id: String,
        version: Timestamp,
    },
    #[serde(rename = "group_change_failed")]
    GroupChangeFailed {
        group_id: String,
        version: Timestamp,
        reason: String,
    },
}

impl EventKind {
    /// The `eventType`, by which `/v2/events?event_type=` filters.
    pub fn event_type(&self) -> &'static str {
        match self {
            EventKind::EventStreamAttached { .. } => "event_stream_attached",
            EventKind::EventStreamDetached { .. } => "event_stream_detached",
            EventKind::ApiPostEvent { .. } => "api_post_event",
            EventKind::StatusUpdateEvent { .. } => "status_update_event",
            EventKind::InstanceChangedEvent { .. } => "instance_changed_event",
            EventKind::InstanceHealthChangedEvent { .. } => "instance_health_changed_event",
            EventKind::HealthStatusChangedEvent { .. } => "health_status_changed_event",
            EventKind::FailedHealthCheckEvent { .. } => "failed_health_check_event",
            EventKind::UnhealthyInstanceKillEvent { .. } => "unhealthy_instance_kill_event",
            EventKind::DeploymentInfo { .. } => "deployment_info",
            EventKind::DeploymentSuccess { .. } => "deployment_success",
            EventKind::DeploymentFailed { .. } => "deployment_failed",
            EventKind::DeploymentStepSuccess { .. } => "deployment_step_success",
            EventKind::DeploymentStepFailure { .. } => "deployment_step_failure",
            EventKind::AppTerminatedEvent { .. } => "app_terminated_event",
            EventKind::GroupChangeSuccess { .. } => "group_change_success",
            EventKind::GroupChangeFailed { .. } => "group_change_failed",
        }
    }
}

impl Event {
    pub fn event_type(&self) -> &'static str {
        self.kind.event_type()
    }

    /// The event as one Server-Sent Events message.
    pub fn to_sse(&self) -> String {
        let data = serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string());
        format!("event: {}\ndata: {data}\n\n", self.event_type())
    }
}
