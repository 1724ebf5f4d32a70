//! One task marathon launched (Marathon calls it an instance): what is recorded in the store
//! before the launch, what status updates change, and how it shows in the API (`Task`) and to the
//! deployment step functions (`TaskView`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use corral_wire::marathon::{HealthCheckResult, IpAddress, Task, Timestamp};
use corral_wire::mesos::{AgentId, Attribute, TaskState};
use serde::{Deserialize, Serialize};

use crate::deployment::{TaskState as StepTaskState, TaskView};
use crate::scheduling::Placement;
use crate::store::app_key;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    pub task_id: String,
    pub app_id: String,
    /// The app version the task was launched from, as `Task.version` shows it.
    pub version: Timestamp,
    /// The app's `lastConfigChangeAt` at launch: tasks of another config are replaced by restarts.
    pub config_version: Timestamp,
    pub agent_id: String,
    pub host: String,
    /// The agent's attributes, for constraints.
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    pub ports: Vec<u16>,
    pub service_ports: Vec<u16>,
    pub staged_at: Timestamp,
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    pub state: TaskState,
    /// When marathon last asked the master to kill it (not stored: a new leader decides again).
    #[serde(skip)]
    pub kill_sent_at: Option<Timestamp>,
    #[serde(default)]
    pub health: Option<Health>,
}

/// What the agent's health checks said so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub alive: bool,
    pub consecutive_failures: i64,
    pub first_success: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    pub last_failure: Option<Timestamp>,
    pub last_failure_cause: Option<String>,
}

impl Health {
    /// Records one verdict; true when `alive` changed (or was first known).
    pub fn record(health: &mut Option<Health>, alive: bool, at: Timestamp, cause: Option<&str>) -> bool {
        let changed = health.as_ref().is_none_or(|known| known.alive != alive);
        let record = health.get_or_insert_with(Health::default);
        record.alive = alive;
        if alive {
            record.consecutive_failures = 0;
            record.first_success.get_or_insert(at);
            record.last_success = Some(at);
        } else {
            record.consecutive_failures += 1;
            record.last_failure = Some(at);
            record.last_failure_cause = cause.map(str::to_string);
        }
        changed
    }
}

impl Instance {
    /// A new task id for an app: the app id made safe (`/a/b` → `a_b`), a dot and a uuid.
    pub fn new_task_id(app_id: &str, uuid: &str) -> String {
        format!("{}.{uuid}", app_key(app_id))
    }

    /// Marathon asked the master to kill it.
    pub fn kill_requested(&self) -> bool {
        self.kill_sent_at.is_some()
    }

    pub fn is_running(&self) -> bool {
        self.state == TaskState::TaskRunning
    }

    pub fn is_staged(&self) -> bool {
        matches!(self.state, TaskState::TaskStaging | TaskState::TaskStarting)
    }

    /// The agent it runs on, as constraints see it.
    pub fn placement(&self) -> Placement {
        Placement {
            agent_id: AgentId::new(self.agent_id.clone()),
            hostname: self.host.clone(),
            attributes: self.attributes.clone(),
        }
    }

    /// Healthy by its checks; `None` when the app has none or no verdict came yet.
    pub fn alive(&self) -> Option<bool> {
        self.health.as_ref().map(|health| health.alive)
    }

    /// As the step functions see it. With health checks, a task not yet checked is not healthy.
    pub fn view(&self, has_health_checks: bool) -> TaskView {
        let state = match self.state {
            _ if self.kill_requested() => StepTaskState::Killing,
            TaskState::TaskRunning => StepTaskState::Running,
            TaskState::TaskKilling => StepTaskState::Killing,
            _ => StepTaskState::Staging,
        };
        let healthy = match has_health_checks {
            true => Some(self.alive().unwrap_or(false)),
            false => None,
        };
        TaskView {
            id: self.task_id.clone(),
            version: self.config_version.to_string(),
            state,
            healthy,
            staged_at: system_time(self.staged_at),
            started_at: self.started_at.map(system_time),
        }
    }

    /// `GET /v2/apps/{id}/tasks` and friends.
    pub fn to_task(&self) -> Task {
        let health_check_results = match &self.health {
            Some(health) => vec![HealthCheckResult {
                alive: health.alive,
                consecutive_failures: health.consecutive_failures,
                first_success: health.first_success,
                last_success: health.last_success,
                last_failure: health.last_failure,
                last_failure_cause: health.last_failure_cause.clone(),
                instance_id: self.task_id.clone(),
            }],
            None => Vec::new(),
        };
        Task {
            id: self.task_id.clone(),
            app_id: self.app_id.clone(),
            host: self.host.clone(),
            ports: self.ports.iter().map(|&port| i32::from(port)).collect(),
            service_ports: self.service_ports.iter().map(|&port| i32::from(port)).collect(),
            staged_at: Some(self.staged_at),
            started_at: self.started_at,
            version: Some(self.version),
            slave_id: Some(self.agent_id.clone()),
            state: state_name(self.state),
            ip_addresses: self.ip_addresses(),
            health_check_results,
            local_volumes: Vec::new(),
            region: None,
            zone: None,
        }
    }

    pub fn ip_addresses(&self) -> Vec<IpAddress> {
        match self.host.parse::<std::net::IpAddr>() {
            Ok(ip) => vec![IpAddress {
                ip_address: ip.to_string(),
                protocol: if ip.is_ipv4() { "IPv4" } else { "IPv6" }.to_string(),
            }],
            Err(_) => Vec::new(),
        }
    }
}

/// `TASK_RUNNING` and the like, as Marathon writes task states.
pub fn state_name(state: TaskState) -> String {
    serde_json::to_value(state).ok().and_then(|value| value.as_str().map(str::to_string)).unwrap_or_default()
}

fn system_time(at: Timestamp) -> SystemTime {
    UNIX_EPOCH.checked_add(Duration::from_millis(u64::try_from(at.millis()).unwrap_or(0))).unwrap_or(UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_records_successes_and_failures() {
        let mut health = None;
        assert!(Health::record(&mut health, false, Timestamp::from_millis(1), Some("refused")));
        assert!(!Health::record(&mut health, false, Timestamp::from_millis(2), Some("refused")));
        assert_eq!(health.as_ref().unwrap().consecutive_failures, 2);
        assert!(Health::record(&mut health, true, Timestamp::from_millis(3), None));
        let health = health.unwrap();
        assert_eq!((health.consecutive_failures, health.first_success), (0, Some(Timestamp::from_millis(3))));
        assert_eq!(state_name(TaskState::TaskRunning), "TASK_RUNNING");
        assert_eq!(Instance::new_task_id("/shop/web", "u-1"), "shop_web.u-1");
    }
}
