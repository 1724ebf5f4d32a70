//! The master's registry in the coordinator: which frameworks and agents exist, so that a newly
//! elected master knows who must re-subscribe and re-register. One znode per framework
//! (`<root>/registry/frameworks/<id>`, FrameworkInfo JSON) and per agent
//! (`<root>/registry/agents/<id>`, its hostname and port). Tasks are not stored: agents report
//! them when they re-register, as in Mesos.

use corral_coord_client::{ensure_path, CoordClient, CoordError, CreateMode, ANY_VERSION};
use corral_wire::mesos::{AgentId, FrameworkId, FrameworkInfo};
use serde::{Deserialize, Serialize};

/// What the registry keeps of an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRecord {
    pub id: AgentId,
    pub hostname: String,
    pub port: u16,
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
        self.upsert(&path, serde_json::to_string(info).expect("framework info serializes")).await
    }

    pub async fn remove_framework(&self, id: &FrameworkId) -> Result<(), CoordError> {
        self.remove(&format!("{}/{id}", self.frameworks_dir)).await
    }

    pub async fn put_agent(&self, record: &AgentRecord) -> Result<(), CoordError> {
        let path = format!("{}/{}", self.agents_dir, record.id);
        self.upsert(&path, serde_json::to_string(record).expect("agent record serializes")).await
    }

    pub async fn remove_agent(&self, id: &AgentId) -> Result<(), CoordError> {
        self.remove(&format!("{}/{id}", self.agents_dir)).await
    }

    /// Everything in the registry, read linearizably (a new leader must not miss a late write).
    pub async fn load(&self) -> Result<RegistryContents, CoordError> {
        let mut contents = RegistryContents::default();
        for name in self.client.children_consistent(&self.frameworks_dir).await?.children {
            let path = format!("{}/{name}", self.frameworks_dir);
            match self.client.get(&path).await {
                Ok(znode) => match serde_json::from_str::<FrameworkInfo>(&znode.data) {
                    Ok(info) if info.id.is_some() => contents.frameworks.push(info),
                    _ => tracing::warn!(message = "Ignoring an unreadable framework record.", %path),
                },
                Err(error) if error.is_no_node() => {}
                Err(error) => return Err(error),
            }
        }
        for name in self.client.children_consistent(&self.agents_dir).await?.children {
            let path = format!("{}/{name}", self.agents_dir);
            match self.client.get(&path).await {
                Ok(znode) => match serde_json::from_str::<AgentRecord>(&znode.data) {
                    Ok(record) => contents.agents.push(record),
                    Err(_) => tracing::warn!(message = "Ignoring an unreadable agent record.", %path),
                },
                Err(error) if error.is_no_node() => {}
                Err(error) => return Err(error),
            }
        }
        Ok(contents)
    }

    async fn upsert(&self, path: &str, data: String) -> Result<(), CoordError> {
        match self.client.create(path, data.clone(), CreateMode::Persistent, None).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_node_exists() => self.client.set(path, data, ANY_VERSION).await.map(|_| ()),
            Err(error) => Err(error),
        }
    }

    async fn remove(&self, path: &str) -> Result<(), CoordError> {
        match self.client.delete(path, ANY_VERSION).await {
            Err(error) if !error.is_no_node() => Err(error),
            _ => Ok(()),
        }
    }
}
