//! How an app joins networks and which ports it asks for: `networks`, `portDefinitions` (host
//! networking) and `container.portMappings` (bridge and container networking).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `host`: tasks share the agent's network namespace and get host ports from offers.
/// `container/bridge`: Docker-style bridge; container ports are mapped to host ports.
/// `container`: a named container network (CNI, Docker user network) giving each task an IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum NetworkMode {
    #[serde(rename = "host")]
    Host,
    #[serde(rename = "container/bridge")]
    ContainerBridge,
    /// Marathon's default for a network object that names no mode.
    #[default]
    #[serde(rename = "container")]
    Container,
}

/// One entry of the app's `networks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Network {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub mode: NetworkMode,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl Network {
    pub fn host() -> Network {
        Network::of_mode(NetworkMode::Host)
    }

    pub fn bridge() -> Network {
        Network::of_mode(NetworkMode::ContainerBridge)
    }

    pub fn of_mode(mode: NetworkMode) -> Network {
        Network { name: None, mode, labels: BTreeMap::new() }
    }
}

/// The transport of a port: `tcp` (the default), `udp`, or both as `"tcp,udp"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum PortProtocol {
    #[default]
    #[serde(rename = "tcp")]
    Tcp,
    #[serde(rename = "udp")]
    Udp,
    #[serde(rename = "tcp,udp")]
    TcpAndUdp,
}

/// A port of a host-networking app. `port` 0 asks Marathon for a service port (and always a dynamic
/// host port); with `requirePorts` a non-zero `port` is also the host port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortDefinition {
    #[serde(default)]
    pub port: i32,
    #[serde(default)]
    pub protocol: PortProtocol,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl PortDefinition {
    /// A port as the legacy `ports` array gives it: a number and nothing else.
    pub fn numbered(port: i32) -> PortDefinition {
        PortDefinition { port, protocol: PortProtocol::Tcp, name: None, labels: BTreeMap::new() }
    }

    /// The one port a host-networking app gets when it names none.
    pub fn default_port() -> PortDefinition {
        PortDefinition { name: Some("default".to_string()), ..PortDefinition::numbered(0) }
    }
}

/// A container port of a bridge- or container-networking app. `containerPort` 0 means "the same as
/// the host port"; `hostPort` 0 means "any offered port", and no `hostPort` (container networking
/// only) means no host port at all; `servicePort` 0 asks Marathon for a service port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortMapping {
    #[serde(default)]
    pub container_port: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<i32>,
    #[serde(default)]
    pub service_port: i32,
    #[serde(default)]
    pub protocol: PortProtocol,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

impl PortMapping {
    /// The one mapping a bridge- or container-networking app gets when it names none.
    pub fn default_mapping(mode: NetworkMode) -> PortMapping {
        PortMapping {
            container_port: 0,
            host_port: (mode == NetworkMode::ContainerBridge).then_some(0),
            service_port: 0,
            protocol: PortProtocol::Tcp,
            name: Some("default".to_string()),
            labels: BTreeMap::new(),
        }
    }
}
