//! An app's `container`: the engine (Docker or Mesos), the image, volumes and, for bridge and
//! container networking, the port mappings. This is the canonical form Marathon writes; the legacy
//! places a client may still send (`container.docker.network`, `container.docker.portMappings`) are
//! read by `ContainerRequest` in `app_update.rs` and moved here by normalization.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::networking::PortMapping;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContainerType {
    #[default]
    Docker,
    Mesos,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    #[serde(rename = "type", default)]
    pub container_type: ContainerType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker: Option<DockerContainer>,
    #[serde(default)]
    pub volumes: Vec<AppVolume>,
    /// Present exactly when the app uses bridge or container networking (see normalization).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_mappings: Option<Vec<PortMapping>>,
}

impl Container {
    /// The Docker image, if this container names one.
    pub fn image(&self) -> Option<&str> {
        self.docker.as_ref().map(|docker| docker.image.as_str())
    }
}

/// The image to run (by Docker, or by Mesos when the container type is MESOS).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DockerContainer {
    /// Required by Marathon; read as empty when missing so that validation can name the field.
    #[serde(default)]
    pub image: String,
    #[serde(default)]
    pub force_pull_image: bool,
    #[serde(default)]
    pub privileged: bool,
    #[serde(default)]
    pub parameters: Vec<DockerParameter>,
}

impl DockerContainer {
    pub fn of_image(image: &str) -> DockerContainer {
        DockerContainer { image: image.to_string(), force_pull_image: false, privileged: false, parameters: Vec::new() }
    }
}

/// A `docker run` option, such as `{"key": "label", "value": "x=y"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DockerParameter {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// The legacy `container.docker.network`, replaced by the app's `networks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DockerNetwork {
    Bridge,
    Host,
    None,
    User,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum VolumeMode {
    #[serde(rename = "RO")]
    ReadOnly,
    #[default]
    #[serde(rename = "RW")]
    ReadWrite,
}

/// A volume: a host path mounted at `containerPath`, or a persistent or external volume. Persistent
/// and external volumes are kept as given (Corral does not provide them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppVolume {
    #[serde(default)]
    pub container_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path: Option<String>,
    #[serde(default)]
    pub mode: VolumeMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<Value>,
}
