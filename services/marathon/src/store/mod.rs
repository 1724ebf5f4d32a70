//! `MarathonStore`: marathon's state in the coordinator (see `layout.rs`). Saving an app writes
//! its version node and its current node in one `multi`, so the two never disagree; deleting an
//! app removes it with every version. Tasks are recorded before they are launched, so a new leader
//! knows each task's app, version, host and ports. Everything survives a restart of every marathon
//! instance. `drains.rs` holds drain before kill: drain nodes and the load balancers' members and
//! confirmations.
//!
//! What a new leader reads back (apps, deployments, tasks) comes as `Recovered`: one record that
//! cannot be decoded (written by a bug, an older version or by hand) must not keep every instance
//! from taking office, so it is logged, moved aside under `<root>/quarantine` and left out; the
//! rest is recovered.

mod drains;
mod layout;

pub use drains::DrainReading;
pub use layout::{app_key, StoreLayout};

use corral_coord_client::{ensure_path, CoordClient, CoordError, CreateMode, MultiOp, Znode, ANY_VERSION};
use corral_wire::lb::DrainPaths;
use corral_wire::marathon::{AppDefinition, Timestamp};
use corral_wire::mesos::FrameworkId;
use serde::de::DeserializeOwned;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("coordinator: {0}")]
    Coordinator(#[from] CoordError),
    #[error("the stored record at {path} is unreadable: {error}")]
    Corrupt { path: String, error: String },
    #[error("app {0} has no version to store")]
    Unversioned(String),
}

impl StoreError {
    /// The coordinator (or its client, before sending) refused a path as no znode path: the path
    /// was made from something a client sent.
    pub fn is_invalid_path(&self) -> bool {
        match self {
            StoreError::Coordinator(error) => {
                matches!(error, CoordError::InvalidPath { .. }) || error.code() == Some("invalid_path")
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct MarathonStore {
    client: CoordClient,
    layout: StoreLayout,
    drain_paths: DrainPaths,
}

impl MarathonStore {
    /// Opens the store under `root`, creating its directories; the load balancers register under
    /// `lb_root`.
    pub async fn open(client: CoordClient, root: &str, lb_root: &str) -> Result<Self, StoreError> {
        let layout = StoreLayout::new(root);
        let drain_paths = DrainPaths::new(root, lb_root);
        for dir in [layout.apps(), layout.versions(), layout.deployments(), layout.tasks(), drain_paths.drains()] {
            ensure_path(&client, &dir).await?;
        }
        Ok(MarathonStore { client, layout, drain_paths })
    }

    /// The znodes of drain before kill.
    pub fn drain_paths(&self) -> &DrainPaths {
        &self.drain_paths
    }

    pub async fn framework_id(&self) -> Result<Option<FrameworkId>, StoreError> {
        match self.client.get_consistent(&self.layout.framework_id()).await {
            Ok(znode) => Ok(Some(FrameworkId::new(znode.data))),
            Err(error) if error.is_no_node() => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    pub async fn save_framework_id(&self, id: &FrameworkId) -> Result<(), StoreError> {
        Ok(self.client.put(&self.layout.framework_id(), id.value.clone()).await?)
    }

    /// Every current app, read linearizably; those that cannot be read are quarantined.
    pub async fn apps(&self) -> Result<Recovered<AppDefinition>, StoreError> {
        self.recover(&self.layout.apps()).await
    }

    pub async fn app(&self, app_id: &str) -> Result<Option<AppDefinition>, StoreError> {
        self.read(&self.layout.app(app_id)).await
    }

    /// Stores `app` as its app's current definition and as one of its versions, atomically.
    pub async fn save_app(&self, app: &AppDefinition) -> Result<(), StoreError> {
        let version = app.version.ok_or_else(|| StoreError::Unversioned(app.id.clone()))?;
        let data = serde_json::to_string(app).expect("apps serialize");
        ensure_path(&self.client, &self.layout.app_versions(&app.id)).await?;
        let version_path = self.layout.app_version(&app.id, version.millis());
        let app_path = self.layout.app(&app.id);
        let exists = self.client.exists(&app_path).await?.is_some();
        let current = match exists {
            true => MultiOp::Set { path: app_path, data: data.clone(), version: ANY_VERSION },
            false => MultiOp::Create { path: app_path, data: data.clone(), mode: CreateMode::Persistent },
        };
        let version_op = MultiOp::Create { path: version_path.clone(), data, mode: CreateMode::Persistent };
        match self.client.multi(vec![version_op, current], None).await {
            Ok(_) => Ok(()),
            // The same version stored again (a retried request): only the current node changes.
            Err(error) if error.is_node_exists() => {
                let data = serde_json::to_string(app).expect("apps serialize");
                Ok(self.client.put(&self.layout.app(&app.id), data).await?)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Removes an app and all its versions.
    pub async fn delete_app(&self, app_id: &str) -> Result<(), StoreError> {
        let versions_dir = self.layout.app_versions(app_id);
        let versions = match self.client.children_consistent(&versions_dir).await {
            Ok(children) => children.children,
            Err(error) if error.is_no_node() => Vec::new(),
            Err(error) => return Err(error.into()),
        };
        let mut ops: Vec<MultiOp> = versions
            .iter()
            .map(|name| MultiOp::Delete { path: format!("{versions_dir}/{name}"), version: ANY_VERSION })
            .collect();
        if !versions.is_empty() || self.client.exists(&versions_dir).await?.is_some() {
            ops.push(MultiOp::Delete { path: versions_dir, version: ANY_VERSION });
        }
        if self.client.exists(&self.layout.app(app_id)).await?.is_some() {
            ops.push(MultiOp::Delete { path: self.layout.app(app_id), version: ANY_VERSION });
        }
        if !ops.is_empty() {
            self.client.multi(ops, None).await?;
        }
        Ok(())
    }

    /// The stored versions of an app, oldest first.
    pub async fn versions(&self, app_id: &str) -> Result<Vec<Timestamp>, StoreError> {
        let children = match self.client.children_consistent(&self.layout.app_versions(app_id)).await {
            Ok(children) => children.children,
            Err(error) if error.is_no_node() => return Ok(Vec::new()),
            Err(error) => return Err(error.into()),
        };
        let mut versions: Vec<Timestamp> =
            children.iter().filter_map(|name| name.parse::<i64>().ok()).map(Timestamp::from_millis).collect();
        versions.sort();
        Ok(versions)
    }

    pub async fn version(&self, app_id: &str, version: Timestamp) -> Result<Option<AppDefinition>, StoreError> {
        self.read(&self.layout.app_version(app_id, version.millis())).await
    }

    /// Stores a running deployment (its plan, whatever shape the runner keeps).
    pub async fn save_deployment<T: Serialize>(&self, id: &str, deployment: &T) -> Result<(), StoreError> {
        let data = serde_json::to_string(deployment).expect("deployments serialize");
        Ok(self.client.put(&self.layout.deployment(id), data).await?)
    }

    pub async fn delete_deployment(&self, id: &str) -> Result<(), StoreError> {
        Ok(self.client.delete_if_exists(&self.layout.deployment(id)).await?)
    }

    /// Every stored deployment, read linearizably; those that cannot be read are quarantined.
    pub async fn deployments<T: DeserializeOwned>(&self) -> Result<Recovered<T>, StoreError> {
        self.recover(&self.layout.deployments()).await
    }

    /// Records launched tasks, as few `multi`s as the coordinator's request size allows.
    pub async fn save_tasks<T: Serialize>(&self, tasks: &[(&str, &T)]) -> Result<(), StoreError> {
        /// Tasks per `multi`: each record is well under 1 KiB.
        const BATCH: usize = 256;
        for batch in tasks.chunks(BATCH) {
            let ops = batch
                .iter()
                .map(|(id, task)| MultiOp::Create {
                    path: self.layout.task(id),
                    data: serde_json::to_string(task).expect("tasks serialize"),
                    mode: CreateMode::Persistent,
                })
                .collect();
            self.client.multi(ops, None).await?;
        }
        Ok(())
    }

    pub async fn delete_task(&self, id: &str) -> Result<(), StoreError> {
        Ok(self.client.delete_if_exists(&self.layout.task(id)).await?)
    }

    /// Every recorded task, read linearizably; those that cannot be read are quarantined.
    pub async fn tasks<T: DeserializeOwned>(&self) -> Result<Recovered<T>, StoreError> {
        self.recover(&self.layout.tasks()).await
    }

    /// The records under `dir` that decode; the others moved aside (or, if that fails too, only
    /// left out), each with a warning.
    async fn recover<T: DeserializeOwned>(&self, dir: &str) -> Result<Recovered<T>, StoreError> {
        let znodes = self.client.children_znodes(dir).await?;
        let (records, unreadable) = decode_each(&znodes);
        let mut quarantined = Vec::new();
        for (znode, error) in unreadable {
            let path = &znode.path;
            match self.quarantine(znode).await {
                Ok(moved_to) => {
                    let message = "A stored record is unreadable; it is moved aside and left out.";
                    tracing::warn!(message, %path, %moved_to, %error);
                }
                Err(failure) => {
                    let message = "A stored record is unreadable and could not be moved aside; it is left out.";
                    tracing::warn!(message, %path, %error, %failure);
                }
            }
            quarantined.push(path.clone());
        }
        Ok(Recovered { records, quarantined })
    }

    /// Moves `znode` to its quarantine path in one `multi` (replacing an earlier record
    /// quarantined from the same path), unless it changed since it was read.
    async fn quarantine(&self, znode: &Znode) -> Result<String, StoreError> {
        let target = self.layout.quarantined(&znode.path);
        ensure_path(&self.client, &self.layout.quarantine()).await?;
        let keep = match self.client.exists(&target).await? {
            Some(_) => MultiOp::Set { path: target.clone(), data: znode.data.clone(), version: ANY_VERSION },
            None => MultiOp::Create { path: target.clone(), data: znode.data.clone(), mode: CreateMode::Persistent },
        };
        let remove = MultiOp::Delete { path: znode.path.clone(), version: znode.stat.version };
        self.client.multi(vec![keep, remove], None).await?;
        Ok(target)
    }

    async fn read(&self, path: &str) -> Result<Option<AppDefinition>, StoreError> {
        match self.client.get(path).await {
            Ok(znode) => decode(&znode).map(Some),
            Err(error) if error.is_no_node() => Ok(None),
            Err(error) => Err(error.into()),
        }
    }
}

/// What a new leader reads back from one directory: the records that decode, and the paths of
/// those that did not (quarantined, or at least left out).
#[derive(Debug)]
pub struct Recovered<T> {
    pub records: Vec<T>,
    pub quarantined: Vec<String>,
}

/// The records of `znodes` that decode, and the others with why they do not.
fn decode_each<T: DeserializeOwned>(znodes: &[Znode]) -> (Vec<T>, Vec<(&Znode, StoreError)>) {
    let mut records = Vec::new();
    let mut unreadable = Vec::new();
    for znode in znodes {
        match decode(znode) {
            Ok(record) => records.push(record),
            Err(error) => unreadable.push((znode, error)),
        }
    }
    (records, unreadable)
}

fn decode<T: DeserializeOwned>(znode: &Znode) -> Result<T, StoreError> {
    serde_json::from_str(&znode.data)
        .map_err(|error| StoreError::Corrupt { path: znode.path.clone(), error: error.to_string() })
}
