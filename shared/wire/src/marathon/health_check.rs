//! An app's `healthChecks` (is a task healthy?) and `readinessChecks` (is a new task ready to take
//! traffic during a deployment?), with Marathon's defaults.

use serde::{Deserialize, Serialize};

/// HTTP, HTTPS and TCP checks are run by Marathon; COMMAND and the MESOS_* checks by the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HealthCheckProtocol {
    #[default]
    Http,
    Https,
    Tcp,
    Command,
    MesosHttp,
    MesosHttps,
    MesosTcp,
}

impl HealthCheckProtocol {
    /// The checks that address a port (by `portIndex` or `port`) rather than run a command.
    pub fn uses_port(self) -> bool {
        self != HealthCheckProtocol::Command
    }

    /// The checks Marathon itself runs (it adds `ignoreHttp1xx` to the HTTP ones).
    pub fn is_run_by_marathon(self) -> bool {
        matches!(self, HealthCheckProtocol::Http | HealthCheckProtocol::Https | HealthCheckProtocol::Tcp)
    }

    pub fn is_http(self) -> bool {
        matches!(
            self,
            HealthCheckProtocol::Http
                | HealthCheckProtocol::Https
                | HealthCheckProtocol::MesosHttp
                | HealthCheckProtocol::MesosHttps
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum IpProtocol {
    #[default]
    IPv4,
    IPv6,
}

/// A shell command whose exit code 0 means healthy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandCheck {
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    #[serde(default)]
    pub protocol: HealthCheckProtocol,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// An index into the app's port definitions or port mappings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_index: Option<i32>,
    /// A fixed port, instead of `portIndex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandCheck>,
    #[serde(default = "defaults::grace_period_seconds")]
    pub grace_period_seconds: i64,
    #[serde(default = "defaults::interval_seconds")]
    pub interval_seconds: i64,
    #[serde(default = "defaults::timeout_seconds")]
    pub timeout_seconds: i64,
    #[serde(default = "defaults::max_consecutive_failures")]
    pub max_consecutive_failures: i64,
    #[serde(default = "defaults::delay_seconds")]
    pub delay_seconds: i64,
    /// Written for HTTP and HTTPS checks (normalization fills in `false`).
    #[serde(default, rename = "ignoreHttp1xx", skip_serializing_if = "Option::is_none")]
    pub ignore_http_1xx: Option<bool>,
    /// Written for the MESOS_* checks (normalization fills in `IPv4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_protocol: Option<IpProtocol>,
}

impl HealthCheck {
    /// A check of `protocol` with every other field at Marathon's default.
    pub fn of_protocol(protocol: HealthCheckProtocol) -> HealthCheck {
        HealthCheck {
            protocol,
            path: None,
            port_index: None,
            port: None,
            command: None,
            grace_period_seconds: defaults::grace_period_seconds(),
            interval_seconds: defaults::interval_seconds(),
            timeout_seconds: defaults::timeout_seconds(),
            max_consecutive_failures: defaults::max_consecutive_failures(),
            delay_seconds: defaults::delay_seconds(),
            ignore_http_1xx: None,
            ip_protocol: None,
        }
    }
}

/// Queried on new tasks during a deployment; a task counts as ready once it answers with one of
/// `httpStatusCodesForReady`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadinessCheck {
    #[serde(default = "defaults::readiness_name")]
    pub name: String,
    #[serde(default)]
    pub protocol: ReadinessProtocol,
    #[serde(default = "defaults::readiness_path")]
    pub path: String,
    #[serde(default = "defaults::readiness_port_name")]
    pub port_name: String,
    #[serde(default = "defaults::readiness_interval_seconds")]
    pub interval_seconds: i64,
    #[serde(default = "defaults::readiness_timeout_seconds")]
    pub timeout_seconds: i64,
    #[serde(default = "defaults::http_status_codes_for_ready")]
    pub http_status_codes_for_ready: Vec<i32>,
    #[serde(default)]
    pub preserve_last_response: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReadinessProtocol {
    #[default]
    Http,
    Https,
}

mod defaults {
    pub(super) fn grace_period_seconds() -> i64 {
        300
    }
    pub(super) fn interval_seconds() -> i64 {
        60
    }
    pub(super) fn timeout_seconds() -> i64 {
        20
    }
    pub(super) fn max_consecutive_failures() -> i64 {
        3
    }
    pub(super) fn delay_seconds() -> i64 {
        15
    }
    pub(super) fn readiness_name() -> String {
        "readinessCheck".to_string()
    }
    pub(super) fn readiness_path() -> String {
        "/".to_string()
    }
    pub(super) fn readiness_port_name() -> String {
        "http-api".to_string()
    }
    pub(super) fn readiness_interval_seconds() -> i64 {
        30
    }
    pub(super) fn readiness_timeout_seconds() -> i64 {
        10
    }
    pub(super) fn http_status_codes_for_ready() -> Vec<i32> {
        vec![200]
    }
}
