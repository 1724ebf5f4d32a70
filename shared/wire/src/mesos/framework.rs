//! Who takes part: frameworks (`FrameworkInfo`) and masters (`MasterInfo`, also the data of the
//! master's election node in the coordinator).

use serde::{Deserialize, Serialize};

use super::ids::FrameworkId;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FrameworkInfo {
    #[serde(default)]
    pub user: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<FrameworkId>,
    /// Seconds the master keeps a disconnected framework's tasks; 0 (the default) tears it down at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover_timeout: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<bool>,
    /// Deprecated single role; `roles` wins when both are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webui_url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<Capability>,
}

impl FrameworkInfo {
    /// The role the framework's resources are allocated under (`*` when none is given).
    pub fn allocation_role(&self) -> &str {
        self.roles.first().or(self.role.as_ref()).map_or("*", String::as_str)
    }

    /// Whether the framework declared `capability` (such as [`Capability::TASK_KILLING_STATE`]).
    pub fn has_capability(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|declared| declared.capability_type == capability)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capability {
    #[serde(rename = "type")]
    pub capability_type: String,
}

impl Capability {
    /// The framework understands TASK_KILLING: agents report it when a kill's grace period starts.
    pub const TASK_KILLING_STATE: &'static str = "TASK_KILLING_STATE";

    pub fn new(capability_type: &str) -> Self {
        Capability { capability_type: capability_type.to_string() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterAddress {
    pub hostname: String,
    pub ip: String,
    pub port: u16,
}

/// `MasterInfo`: `ip` is the IPv4 address as a number in network order, as in mesos.proto.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterInfo {
    pub id: String,
    pub ip: u32,
    pub port: u16,
    pub pid: String,
    pub hostname: String,
    pub version: String,
    pub address: MasterAddress,
}

impl MasterInfo {
    /// `host:port` for reaching this master over HTTP.
    pub fn http_address(&self) -> String {
        format!("{}:{}", self.address.hostname, self.address.port)
    }
}
