//! `AppDefinition`: an app in canonical form, with every default applied, as Marathon (1.5 and later)
//! writes it and as Corral stores it.
//!
//! Keys are written the way Marathon's generated writer does: a field without a value (`cmd`, `user`,
//! `acceptedResourceRoles`, ...) is left out rather than written as `null`; the lists Marathon marks
//! "omit when empty" (`args`, `constraints`, `dependencies`, `env`, `fetch`, `healthChecks`,
//! `readinessChecks`) are left out when empty; everything else (`labels`, `networks`, `executor`,
//! `upgradeStrategy`, `unreachableStrategy`, `killSelection`, ...) is always written. Reading what we
//! write gives the same app, because every left-out key reads back as its default.
//!
//! Marathon 1.4 and earlier wrote `"cmd": null`, `"args": null`, `"user": null`, `"container": null`
//! and the legacy `ports`, `uris` and `container.docker.network`; 1.5 stopped (its changelog: "only
//! canonical fields are generated"), and clients of 1.5 and later cope with both. We write the 1.5
//! form: host-networking apps have `portDefinitions` and no `container.portMappings`, bridge and
//! container-networking apps the other way round.
//!
//! Clients do not send this type: a request body is read as an `AppUpdate` (see `app_update.rs`),
//! which keeps what the client actually sent, legacy fields included, and is normalized into this.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::app_policies::{Constraint, KillSelection, UnreachableStrategy, UpgradeStrategy};
use super::container::Container;
use super::health_check::{HealthCheck, ReadinessCheck};
use super::networking::{Network, NetworkMode, PortDefinition};
use super::timestamp::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppDefinition {
    /// An absolute path such as `/prod/web`.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default = "defaults::instances")]
    pub instances: i32,
    #[serde(default = "defaults::cpus")]
    pub cpus: f64,
    #[serde(default = "defaults::mem")]
    pub mem: f64,
    #[serde(default)]
    pub disk: f64,
    #[serde(default)]
    pub gpus: i32,
    /// Always `""` in practice (Mesos' command executor); kept because Marathon writes it.
    #[serde(default)]
    pub executor: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<Constraint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
    #[serde(default = "defaults::networks")]
    pub networks: Vec<Network>,
    /// Present exactly when the app uses host networking (see normalization).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_definitions: Option<Vec<PortDefinition>>,
    #[serde(default)]
    pub require_ports: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health_checks: Vec<HealthCheck>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readiness_checks: Vec<ReadinessCheck>,
    #[serde(default)]
    pub upgrade_strategy: UpgradeStrategy,
    #[serde(default = "defaults::backoff_seconds")]
    pub backoff_seconds: i64,
    #[serde(default = "defaults::backoff_factor")]
    pub backoff_factor: f64,
    #[serde(default = "defaults::max_launch_delay_seconds")]
    pub max_launch_delay_seconds: i64,
    /// Absolute ids of the apps and groups this app starts after.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fetch: Vec<Artifact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_resource_roles: Option<Vec<String>>,
    #[serde(default)]
    pub kill_selection: KillSelection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_kill_grace_period_seconds: Option<i64>,
    #[serde(default)]
    pub unreachable_strategy: UnreachableStrategy,
    /// Set by Marathon when the app is stored; read-only for clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_info: Option<VersionInfo>,
}

/// A file the Mesos fetcher downloads into the sandbox before the task starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    pub uri: String,
    #[serde(default = "defaults::extract")]
    pub extract: bool,
    #[serde(default)]
    pub executable: bool,
    #[serde(default)]
    pub cache: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dest_path: Option<String>,
}

impl Artifact {
    /// How the legacy `uris` list names a file: by its URI alone.
    pub fn of_uri(uri: &str) -> Artifact {
        Artifact { uri: uri.to_string(), extract: true, executable: false, cache: false, dest_path: None }
    }
}

/// When the app last changed: `lastScalingAt` moves on every change (scaling or restart included),
/// `lastConfigChangeAt` only on changes that need new tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    pub last_scaling_at: Timestamp,
    pub last_config_change_at: Timestamp,
}

impl AppDefinition {
    /// An app with the given id and every other field at Marathon's default: one instance of 1 cpu
    /// and 128 MiB, host networking with one port, no command.
    pub fn new(id: &str) -> AppDefinition {
        AppDefinition {
            id: id.to_string(),
            cmd: None,
            args: Vec::new(),
            user: None,
            instances: defaults::instances(),
            cpus: defaults::cpus(),
            mem: defaults::mem(),
            disk: 0.0,
            gpus: 0,
            executor: String::new(),
            env: BTreeMap::new(),
            labels: BTreeMap::new(),
            constraints: Vec::new(),
            container: None,
            networks: defaults::networks(),
            port_definitions: Some(vec![PortDefinition::default_port()]),
            require_ports: false,
            health_checks: Vec::new(),
            readiness_checks: Vec::new(),
            upgrade_strategy: UpgradeStrategy::default(),
            backoff_seconds: defaults::backoff_seconds(),
            backoff_factor: defaults::backoff_factor(),
            max_launch_delay_seconds: defaults::max_launch_delay_seconds(),
            dependencies: Vec::new(),
            fetch: Vec::new(),
            accepted_resource_roles: None,
            kill_selection: KillSelection::default(),
            task_kill_grace_period_seconds: None,
            unreachable_strategy: UnreachableStrategy::default(),
            version: None,
            version_info: None,
        }
    }

    /// True when every network is the host's (also when `networks` is empty).
    pub fn uses_host_networking(&self) -> bool {
        self.networks.iter().all(|network| network.mode == NetworkMode::Host)
    }

    /// How many ports each task gets; health checks address them by `portIndex`. Port mappings count
    /// when there are any, port definitions otherwise, as in Marathon.
    pub fn port_count(&self) -> usize {
        let mappings = self.container.as_ref().and_then(|c| c.port_mappings.as_ref()).map_or(0, Vec::len);
        if mappings > 0 {
            mappings
        } else {
            self.port_definitions.as_ref().map_or(0, Vec::len)
        }
    }

    /// True when going from `self` to `to` needs new tasks: anything but `instances` (and the
    /// read-only version fields) differs.
    pub fn is_upgrade(&self, to: &AppDefinition) -> bool {
        self.without_scale_and_version() != to.without_scale_and_version()
    }

    /// True when going from `self` to `to` only changes the number of instances: a scale, which
    /// starts or kills tasks but restarts none.
    pub fn is_only_scale_change(&self, to: &AppDefinition) -> bool {
        !self.is_upgrade(to) && self.instances != to.instances
    }

    fn without_scale_and_version(&self) -> AppDefinition {
        AppDefinition { instances: 0, version: None, version_info: None, ..self.clone() }
    }
}

mod defaults {
    use super::Network;

    pub(super) fn instances() -> i32 {
        1
    }
    pub(super) fn cpus() -> f64 {
        1.0
    }
    pub(super) fn mem() -> f64 {
        128.0
    }
    pub(super) fn networks() -> Vec<Network> {
        vec![Network::host()]
    }
    pub(super) fn backoff_seconds() -> i64 {
        1
    }
    pub(super) fn backoff_factor() -> f64 {
        1.15
    }
    /// 300 since Marathon 1.8 (3600 before).
    pub(super) fn max_launch_delay_seconds() -> i64 {
        300
    }
    pub(super) fn extract() -> bool {
        true
    }
}
