//! `LeaderElection`: ZooKeeper's leader election recipe with ephemeral sequential nodes.
//!
//! Each contender creates `dir/n_<sequence>` bound to its session. The contender with the lowest
//! sequence leads. Every other one watches only its predecessor, so a leader's departure wakes a
//! single contender rather than all of them.
//!
//! Leadership lasts only as long as the session: a leader must stop acting as leader as soon as
//! `SessionHandle::lost()` resolves, since its node is then gone (or about to be) and another
//! contender may already lead.

use corral_wire::coordinator::{CreateMode, EventKind};

use crate::sequence::by_sequence;
use crate::znode_path::{child_path, node_name, without_trailing_slash};
use crate::{ensure_path, CoordClient, CoordError, SessionHandle, WatchItem, WatchSpec};

/// One contender in an election held under a directory znode.
#[derive(Debug)]
pub struct LeaderElection {
    client: CoordClient,
    dir: String,
    node_path: String,
}

impl LeaderElection {
    /// Enters the election under `dir` (created if missing) with `data` in this contender's node,
    /// e.g. the address other services should use to reach the leader. The node is named `n_<seq>`.
    ///
    /// If this fails with `CoordError::OutcomeUnknown`, a node may exist for the session anyway
    /// and would hold a place in the line: close the session and contend again with a new one.
    pub async fn contend(
        client: &CoordClient,
        session: &SessionHandle,
        dir: &str,
        data: String,
    ) -> Result<Self, CoordError> {
        Self::contend_named(client, session, dir, "n_", data).await
    }

    /// Like [`LeaderElection::contend`], with nodes named `<prefix><seq>` (Mesos masters use `json.info_`).
    pub async fn contend_named(
        client: &CoordClient,
        session: &SessionHandle,
        dir: &str,
        prefix: &str,
        data: String,
    ) -> Result<Self, CoordError> {
        ensure_path(client, dir).await?;
        let prefix = child_path(dir, prefix);
        let created = client.create(&prefix, data, CreateMode::EphemeralSequential, Some(session.id())).await?;
        let dir = without_trailing_slash(dir);
        Ok(LeaderElection { client: client.clone(), dir, node_path: created.path })
    }

    /// The path of this contender's node, such as `/corral/leader/n_0000000004`.
    pub fn node_path(&self) -> &str {
        &self.node_path
    }

    /// Resolves once this contender leads. Fails with `ElectionNodeGone` when its node has
    /// disappeared (the session expired). Cancel-safe, and may be called again after an error.
    pub async fn wait_for_leadership(&mut self) -> Result<(), CoordError> {
        let own_name = node_name(&self.node_path).to_owned();
        loop {
            let observed = self.client.children_observed(&self.dir).await?;
            let line = by_sequence(&observed.value.children);
            let position = line
                .iter()
                .position(|name| *name == own_name)
                .ok_or_else(|| CoordError::ElectionNodeGone(self.node_path.clone()))?;
            let Some(predecessor) = position.checked_sub(1).map(|index| line[index]) else {
                return Ok(());
            };
            let predecessor = child_path(&self.dir, predecessor);
            tracing::debug!(message = "Waiting for the predecessor to leave.", node = %self.node_path, %predecessor);
            let mut events = self.client.watch(WatchSpec::path(predecessor), observed.zxid);
            loop {
                match events.next().await? {
                    WatchItem::Event(event) if event.kind == EventKind::Deleted => break,
                    WatchItem::Event(_) => continue,
                    WatchItem::Reset { .. } => break,
                }
            }
        }
    }

    /// Leaves the election by deleting this contender's node.
    pub async fn resign(self) -> Result<(), CoordError> {
        self.client.delete_if_exists(&self.node_path).await
    }
}
