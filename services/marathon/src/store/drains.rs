//! Drain before kill in the coordinator (the znodes are `corral_wire::lb`'s): marathon writes a
//! drain node before it kills a running task, reads the load balancers' members and
//! confirmations, and deletes a drain node with its confirmations once the task is gone.

use std::collections::{BTreeMap, BTreeSet};

use corral_coord_client::{ensure_path, CreateMode, MultiOp, ANY_VERSION};
use corral_wire::lb::DrainAnnouncement;

use super::{MarathonStore, StoreError};

/// How often deleting a drain node is tried when an lb confirms (adds a child) meanwhile.
const DELETE_ATTEMPTS: usize = 3;

/// The load balancers and the drains as read at `zxid` (a watch from there misses nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReading {
    pub zxid: u64,
    /// The ids of the registered load balancers.
    pub members: BTreeSet<String>,
    /// Each drain node's task id, with the ids of the lbs that confirmed it.
    pub drains: BTreeMap<String, BTreeSet<String>>,
}

impl MarathonStore {
    /// Writes the drain node of `drain.task_id` (creating its directory if need be); one that
    /// exists already is fine.
    pub async fn announce_drain(&self, drain: &DrainAnnouncement) -> Result<(), StoreError> {
        let path = self.drain_paths.drain(&drain.task_id);
        let data = serde_json::to_string(drain).expect("drain announcements serialize");
        let created = match self.client.create(&path, data.clone(), CreateMode::Persistent, None).await {
            Err(error) if error.is_no_node() || error.is_no_parent() => {
                ensure_path(&self.client, &self.drain_paths.drains()).await?;
                self.client.create(&path, data, CreateMode::Persistent, None).await
            }
            created => created,
        };
        match created {
            Ok(_) => Ok(()),
            Err(error) if error.is_node_exists() => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Deletes the drain node of `task_id` with every confirmation under it, in one `multi`; one
    /// that is gone already is fine.
    pub async fn delete_drain(&self, task_id: &str) -> Result<(), StoreError> {
        let path = self.drain_paths.drain(task_id);
        let mut attempt = 1;
        loop {
            let confirmations = match self.client.children_consistent(&path).await {
                Ok(children) => children.children,
                Err(error) if error.is_no_node() => return Ok(()),
                Err(error) => return Err(error.into()),
            };
            let mut ops: Vec<MultiOp> = confirmations
                .iter()
                .map(|lb_id| MultiOp::Delete {
                    path: self.drain_paths.confirmation(task_id, lb_id),
                    version: ANY_VERSION,
                })
                .collect();
            ops.push(MultiOp::Delete { path: path.clone(), version: ANY_VERSION });
            match self.client.multi(ops, None).await {
                Ok(_) => return Ok(()),
                // An lb confirmed (or a confirmation went) between the read and the delete.
                Err(error) if (error.is_not_empty() || error.is_no_node()) && attempt < DELETE_ATTEMPTS => attempt += 1,
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// The task ids of every drain node.
    pub async fn drained_tasks(&self) -> Result<Vec<String>, StoreError> {
        match self.client.children_consistent(&self.drain_paths.drains()).await {
            Ok(children) => Ok(children.children),
            Err(error) if error.is_no_node() => Ok(Vec::new()),
            Err(error) => Err(error.into()),
        }
    }

    /// The registered load balancers, then every drain node with its confirmations. The zxid is
    /// that of the first read, so a watch from it sees every later change.
    pub async fn read_drains(&self) -> Result<DrainReading, StoreError> {
        let (members, zxid) = match self.client.children_observed(&self.drain_paths.members()).await {
            Ok(observed) => (observed.value.children.into_iter().collect(), observed.zxid),
            Err(error) if error.is_no_node() => {
                (BTreeSet::new(), error.zxid().unwrap_or_else(|| self.client.seen_zxid()))
            }
            Err(error) => return Err(error.into()),
        };
        let mut drains = BTreeMap::new();
        for task_id in self.drained_tasks().await? {
            match self.client.children(&self.drain_paths.drain(&task_id)).await {
                Ok(children) => {
                    drains.insert(task_id, children.children.into_iter().collect());
                }
                Err(error) if error.is_no_node() => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(DrainReading { zxid, members, drains })
    }
}
