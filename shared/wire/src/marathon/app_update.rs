//! `AppUpdate`: an app definition as a client sends it in a request body (`POST /v2/apps`,
//! `PUT /v2/apps/{id}`, `PUT`/`PATCH /v2/apps`), before normalization.
//!
//! Every top-level field is an `Option`: `Some` exactly when the client sent the key (a JSON `null`
//! counts as not sent). That is what a partial update (`?partialUpdate=true`, Marathon's default for
//! PUT) needs: only sent fields replace the current app's. Nested objects are read whole, with their
//! own defaults, as Marathon does (`"upgradeStrategy": {"minimumHealthCapacity": 0.5}` also sets
//! `maximumOverCapacity` back to 1). Legacy fields (`ports`, `uris`, `ipAddress.networkName`,
//! `container.docker.network`, `container.docker.portMappings`) are read here and moved to their
//! canonical places by `apply_to` in `app_normalization.rs`. Keys Marathon only writes (`tasks`,
//! `deployments`, `versionInfo`, ...) are ignored, so a client may send back what it read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::app::Artifact;
use super::app_policies::{Constraint, KillSelection, UnreachableStrategy, UpgradeStrategy};
use super::container::{AppVolume, ContainerType, DockerContainer, DockerNetwork};
use super::health_check::{HealthCheck, ReadinessCheck};
use super::networking::{Network, PortDefinition, PortMapping};
use super::timestamp::Timestamp;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraints: Option<Vec<Constraint>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<ContainerRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networks: Option<Vec<Network>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_definitions: Option<Vec<PortDefinition>>,
    /// Legacy: port numbers, replaced by `portDefinitions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<i32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_ports: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_checks: Option<Vec<HealthCheck>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_checks: Option<Vec<ReadinessCheck>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_strategy: Option<UpgradeStrategy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_factor: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_launch_delay_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch: Option<Vec<Artifact>>,
    /// Legacy: URIs to fetch, replaced by `fetch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uris: Option<Vec<String>>,
    /// Legacy: only `networkName` is read, for `container.docker.network: USER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<LegacyIpAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_resource_roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_selection: Option<KillSelection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_kill_grace_period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable_strategy: Option<UnreachableStrategy>,
    /// With only `id` beside it: "go back to this version" (a rollback), not a change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Timestamp>,
}

/// `container` as a client may send it, with the legacy places for networking.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRequest {
    #[serde(rename = "type", default)]
    pub container_type: ContainerType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker: Option<DockerRequest>,
    #[serde(default)]
    pub volumes: Vec<AppVolume>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_mappings: Option<Vec<PortMapping>>,
}

/// `container.docker` as a client may send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DockerRequest {
    #[serde(flatten)]
    pub docker: DockerContainer,
    /// Legacy: replaced by the app's `networks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<DockerNetwork>,
    /// Legacy: replaced by `container.portMappings`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_mappings: Option<Vec<PortMapping>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacyIpAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_name: Option<String>,
}

impl AppUpdate {
    /// The JSON keys the client sent (with a non-null value), such as `["id", "instances"]`.
    pub fn sent_keys(&self) -> Vec<String> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// True for `{"version": ...}` or `{"id": ..., "version": ...}`: a request to go back to an
    /// earlier version of the app.
    pub fn is_rollback(&self) -> bool {
        self.version.is_some() && self.sent_keys().iter().all(|key| key == "id" || key == "version")
    }

    /// The legacy `container.docker.network`, if sent.
    pub fn legacy_docker_network(&self) -> Option<DockerNetwork> {
        self.container.as_ref()?.docker.as_ref()?.network
    }
}
