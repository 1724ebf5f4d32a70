//! The raft state machine: applies committed proposals to the shared [`AppliedState`] once they
//! are durable on this node (see [`Durability`]), and builds, stores (in sqlite) and installs
//! snapshots of it. The state itself lives in memory;
//! after a restart it is rebuilt from the last snapshot plus the committed log.

use std::io::Cursor;
use std::sync::Arc;

use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{EntryPayload, RaftSnapshotBuilder, SnapshotMeta, StorageIOError};
use serde::{Deserialize, Serialize};
use sqlx::{Row, SqlitePool};

use super::durability::Durability;
use super::log_store::{decode, encode};
use super::{LogId, Membership, PeerAddr, StorageError, TypeConfig};
use crate::applied::{Applied, AppliedState};
use crate::machine::{CommandResult, CoordinatorState};

type Meta = SnapshotMeta<u64, PeerAddr>;

/// What a snapshot holds: the state and the raft facts it was taken at.
#[derive(Serialize, Deserialize)]
struct SnapshotBody {
    last_applied: Option<LogId>,
    membership: Membership,
    state: CoordinatorState,
}

/// The state machine store; also its own snapshot builder (a builder is a cheap clone).
#[derive(Debug, Clone)]
pub struct StateMachineStore {
    applied: Arc<AppliedState>,
    pool: SqlitePool,
    durability: Durability,
}

impl StateMachineStore {
    /// Opens the store, restoring the state from the stored snapshot if there is one; entries are
    /// applied once `durability` says they are on disk.
    pub async fn open(
        pool: SqlitePool,
        applied: Arc<AppliedState>,
        durability: Durability,
    ) -> Result<Self, StorageError> {
        let store = StateMachineStore { applied, pool, durability };
        if let Some((_, data)) = store.load_snapshot().await? {
            let body: SnapshotBody = decode(&data).map_err(|e| StorageIOError::read_snapshot(None, &e))?;
            store.applied.replace(Applied {
                state: body.state,
                last_applied: body.last_applied,
                membership: body.membership,
            });
        }
        Ok(store)
    }

    async fn load_snapshot(&self) -> Result<Option<(Meta, Vec<u8>)>, StorageError> {
        let row = sqlx::query("SELECT meta, data FROM snapshot WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| StorageIOError::read_snapshot(None, &e))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let meta: Meta = decode(&row.get::<Vec<u8>, _>(0)).map_err(|e| StorageIOError::read_snapshot(None, &e))?;
        Ok(Some((meta, row.get::<Vec<u8>, _>(1))))
    }

    async fn save_snapshot(&self, meta: &Meta, data: &[u8]) -> Result<(), StorageError> {
        let write_error = |e: sqlx::Error| StorageIOError::write_snapshot(Some(meta.signature()), &e);
        sqlx::query("INSERT OR REPLACE INTO snapshot (id, meta, data) VALUES (1, ?, ?)")
            .bind(encode(meta).map_err(write_error)?)
            .bind(data)
            .execute(&self.pool)
            .await
            .map_err(write_error)?;
        Ok(())
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachineStore {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError> {
        let body = self.applied.read(|applied| SnapshotBody {
            last_applied: applied.last_applied,
            membership: applied.membership.clone(),
            state: applied.state.clone(),
        });
        let data = encode(&body).map_err(|e| StorageIOError::write_snapshot(None, &e))?;
        let snapshot_id = match body.last_applied {
            Some(log_id) => format!("{}-{}-{}", log_id.leader_id, log_id.index, data.len()),
            None => format!("empty-{}", data.len()),
        };
        let meta = Meta { last_log_id: body.last_applied, last_membership: body.membership, snapshot_id };
        self.save_snapshot(&meta, &data).await?;
        Ok(Snapshot { meta, snapshot: Box::new(Cursor::new(data)) })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachineStore {
    type SnapshotBuilder = Self;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, Membership), StorageError> {
        Ok(self.applied.read(|applied| (applied.last_applied, applied.membership.clone())))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Vec<CommandResult>>, StorageError>
    where
        I: IntoIterator<Item = openraft::Entry<TypeConfig>> + Send,
        I::IntoIter: Send,
    {
        let entries: Vec<openraft::Entry<TypeConfig>> = entries.into_iter().collect();
        if let Some(last) = entries.last() {
            self.durability.wait(last.log_id.index).await?;
        }
        let results = self.applied.apply(|applied| {
            let mut results = Vec::new();
            let mut events = Vec::new();
            for entry in entries {
                applied.last_applied = Some(entry.log_id);
                let result = match entry.payload {
                    EntryPayload::Blank => Vec::new(),
                    EntryPayload::Normal(proposal) => {
                        let (results, entry_events) = applied.state.apply_proposal(entry.log_id.index, &proposal);
                        events.extend(entry_events);
                        results
                    }
                    EntryPayload::Membership(membership) => {
                        applied.membership = Membership::new(Some(entry.log_id), membership);
                        Vec::new()
                    }
                };
                results.push(result);
            }
            (results, events)
        });
        Ok(results)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(&mut self, meta: &Meta, snapshot: Box<Cursor<Vec<u8>>>) -> Result<(), StorageError> {
        let data = snapshot.into_inner();
        let body: SnapshotBody =
            decode(&data).map_err(|e| StorageIOError::read_snapshot(Some(meta.signature()), &e))?;
        self.save_snapshot(meta, &data).await?;
        self.applied.replace(Applied {
            state: body.state,
            last_applied: meta.last_log_id,
            membership: meta.last_membership.clone(),
        });
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError> {
        Ok(self.load_snapshot().await?.map(|(meta, data)| Snapshot { meta, snapshot: Box::new(Cursor::new(data)) }))
    }
}
