//! `GET /v2/info` and `GET /v2/leader`. Clients read `marathon_config`, `zookeeper_config` and
//! `http_config` without checking that they exist, so all three are always written; their keys are
//! snake_case, as Marathon writes them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Info {
    pub name: String,
    pub version: String,
    pub buildref: String,
    pub elected: bool,
    /// `host:port` of the leader, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<String>,
    #[serde(rename = "frameworkId", default, skip_serializing_if = "Option::is_none")]
    pub framework_id: Option<String>,
    pub marathon_config: MarathonConfig,
    pub zookeeper_config: ZookeeperConfig,
    pub http_config: HttpConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MarathonConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover_timeout: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ha: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_port_min: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_port_max: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webui_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mesos_role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_launch_timeout: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_reservation_timeout: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciliation_initial_delay: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciliation_interval: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mesos_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_proxy_connection_timeout_ms: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_proxy_read_timeout_ms: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mesos_leader_ui_url: Option<String>,
    #[serde(default)]
    pub features: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZookeeperConfig {
    /// `zk://host:port,.../path`; Corral names its coordinators here.
    pub zk: String,
    pub zk_timeout: i64,
    pub zk_connection_timeout: i64,
    pub zk_session_timeout: i64,
    pub zk_max_versions: i32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpConfig {
    /// The port that serves plain HTTP, when one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_port: Option<i32>,
    /// The port that serves HTTPS, when one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https_port: Option<i32>,
}

/// `GET /v2/leader`: `{"leader": "host:port"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leader {
    pub leader: String,
}
