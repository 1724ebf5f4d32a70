//! The master's registry in the coordinator: which frameworks and agents exist, so that a newly
//! elected master knows who must re-subscribe and re-register. One znode per framework
//! (`<root>/registry/frameworks/<id>`, FrameworkInfo JSON) and per agent
//! (`<root>/registry/agents/<id>`, its hostname, port and the digest of its secret). Tasks are not stored: agents report
//! them when they re-register, as in Mesos.

use corral_coord_client::{ensure_path, CoordClient, CoordError, Znode};
use corral_wire::mesos::{AgentId, FrameworkId, FrameworkInfo};
use serde::{Deserialize, Serialize};

/// What the registry keeps of an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRecord {
    pub id: AgentId,
    pub hostname: String,
    pub port: u16,
    /// The digest of the agent's secret (`cluster::agent_secret`); absent in records written
    /// before agents had secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_sha256: Option<String>,
}

/// What a newly elected master reads back.
#[derive(Debug, Default)]
pub struct RegistryContents {
    pub frameworks: Vec<FrameworkInfo>,
    pub agents: Vec<AgentRecord>,
}

#[derive(Debug, Clone)]
pub struct Registry {
    client: CoordClient,
    frameworks_dir: String,
    agents_dir: String,
}

impl Registry {
    pub async fn open(client: CoordClient, dir: &str) -> Result<Self, CoordError> {
        let registry =
            Registry { client, frameworks_dir: format!("{dir}/frameworks"), agents_dir: format!("{dir}/agents") };
        ensure_path(&registry.client, &registry.frameworks_dir).await?;
        ensure_path(&registry.client, &registry.agents_dir).await?;
        Ok(registry)
    }

    pub async fn put_framework(&self, info: &FrameworkInfo) -> Result<(), CoordError> {
        let id = info.id.as_ref().expect("a registered framework has an id");
        let path = format!("{}/{id}", self.frameworks_dir);
        self.client.put(&path, serde_json::to_string(info).expect("framework info serializes")).await
    }

    pub async fn remove_framework(&self, id: &FrameworkId) -> Result<(), CoordError> {
        self.client.delete_if_exists(&format!("{}/{id}", self.frameworks_dir)).await
    }

    pub async fn put_agent(&self, record: &AgentRecord) -> Result<(), CoordError> {
        let path = format!("{}/{}", self.agents_dir, record.id);
        self.client.put(&path, serde_json::to_string(record).expect("agent record serializes")).await
    }

    pub async fn remove_agent(&self, id: &AgentId) -> Result<(), CoordError> {
        self.client.delete_if_exists(&format!("{}/{id}", self.agents_dir)).await
    }

    /// Everything in the registry, read linearizably (a new leader must not miss a late write).
    /// Unreadable records are skipped with a warning.
    pub async fn load(&self) -> Result<RegistryContents, CoordError> {
        let frameworks = self.client.children_znodes(&self.frameworks_dir).await?;
        let agents = self.client.children_znodes(&self.agents_dir).await?;
        Ok(RegistryContents {
            frameworks: frameworks
                .iter()
                .filter_map(readable::<FrameworkInfo>)
                .filter(|info| info.id.is_some())
                .collect(),
            agents: agents.iter().filter_map(readable::<AgentRecord>).collect(),
        })
    }
}

fn readable<T: serde::de::DeserializeOwned>(znode: &Znode) -> Option<T> {
    let record = serde_json::from_str(&znode.data).ok();
    if record.is_none() {
        tracing::warn!(message = "Ignoring an unreadable registry record.", path = %znode.path);
    }
    record
}
