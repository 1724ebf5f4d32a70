//! The names of the containerizers and the checkpointed handle of a launched container.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerizerKind {
    Docker,
    Process,
    Simulated,
}

impl ContainerizerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerizerKind::Docker => "docker",
            ContainerizerKind::Process => "process",
            ContainerizerKind::Simulated => "simulated",
        }
    }
}

impl fmt::Display for ContainerizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ContainerizerKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "docker" => Ok(ContainerizerKind::Docker),
            "process" => Ok(ContainerizerKind::Process),
            "simulated" => Ok(ContainerizerKind::Simulated),
            other => Err(format!("unknown containerizer `{other}` (known: docker, process, simulated)")),
        }
    }
}

/// What the agent checkpoints to find a launched container again after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ContainerHandle {
    /// A process that leads its own process group (pgid = pid), with the start time the kernel
    /// gave it (field 22 of `/proc/<pid>/stat`), which tells it from a later process with a
    /// reused pid.
    Process {
        pid: i32,
        start_time: u64,
    },
    Docker {
        container_id: String,
        name: String,
    },
    Simulated,
}
