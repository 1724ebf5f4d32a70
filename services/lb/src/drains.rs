//! The lb's side of drain before kill (the protocol is in `corral_wire::lb`): it registers as a
//! member once HAProxy serves a config built from marathon, follows the drains marathon
//! announces, and confirms each one once HAProxy sends the task nothing more. A lost session is
//! replaced by a new one and the member node written again; stopping closes the session, so
//! marathon stops waiting for this lb at once.

use std::collections::BTreeSet;
use std::time::Duration;

use corral_coord_client::{ensure_path, CoordClient, CoordError, CreateMode, WatchItem, WatchSpec};
use corral_wire::lb::{DrainNode, DrainPaths, LbMember};
use tokio::sync::watch;

/// The pause before a failed coordinator step is tried again.
const RETRY: Duration = Duration::from_millis(500);

/// This lb in the drain protocol.
#[derive(Clone)]
pub struct DrainLink {
    client: CoordClient,
    paths: DrainPaths,
    member: LbMember,
}

impl DrainLink {
    pub fn new(client: CoordClient, paths: DrainPaths, member: LbMember) -> DrainLink {
        DrainLink { client, paths, member }
    }

    /// Keeps this lb's member node for as long as `stop` has not resolved, starting once `ready`
    /// is true; closes the session when it does.
    pub async fn stay_registered(
        &self,
        session_timeout: Duration,
        mut ready: watch::Receiver<bool>,
        stop: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(stop);
        if tokio::select! { _ = ready.wait_for(|ready| *ready) => false, () = &mut stop => true } {
            return;
        }
        loop {
            let session = match self.client.create_session(session_timeout).await {
                Ok(session) => session,
                Err(error) => {
                    tracing::warn!(message = "Cannot open a coordinator session; drains go unconfirmed.", %error);
                    tokio::select! { () = tokio::time::sleep(RETRY) => continue, () = &mut stop => return }
                }
            };
            let path = self.paths.member(&self.member.id);
            let data = serde_json::to_string(&self.member).expect("a member serializes");
            let registered = async {
                ensure_path(&self.client, &self.paths.members()).await?;
                self.client.create(&path, data, CreateMode::Ephemeral, Some(session.id())).await
            };
            if let Err(error) = registered.await {
                tracing::warn!(message = "Cannot register for drains; retrying.", %path, %error);
                let _ = session.close().await;
                tokio::select! { () = tokio::time::sleep(RETRY) => continue, () = &mut stop => return }
            }
            tracing::info!(message = "Registered for drains.", %path);
            tokio::select! {
                () = session.lost() => tracing::warn!(message = "Lost the coordinator session; registering again."),
                () = &mut stop => {
                    if let Err(error) = session.close().await {
                        tracing::warn!(message = "Could not close the coordinator session.", %error);
                    }
                    return;
                }
            }
        }
    }

    /// Keeps `announced` equal to the tasks marathon has announced, for as long as the lb runs.
    pub async fn follow_announcements(&self, announced: watch::Sender<BTreeSet<String>>) {
        loop {
            if let Err(error) = self.follow_once(&announced).await {
                tracing::warn!(message = "Lost track of drain announcements; reading them again.", %error);
                tokio::time::sleep(RETRY).await;
            }
        }
    }

    async fn follow_once(&self, announced: &watch::Sender<BTreeSet<String>>) -> Result<(), CoordError> {
        let dir = self.paths.drains();
        ensure_path(&self.client, &dir).await?;
        let observed = self.client.children_observed(&dir).await?;
        announced.send_replace(observed.value.children.into_iter().collect());
        let mut watch = self.client.watch(WatchSpec::prefix(dir.clone()), observed.zxid);
        loop {
            match watch.next().await? {
                WatchItem::Reset { .. } => return Ok(()),
                WatchItem::Event(event) => match self.paths.classify(&event.path) {
                    Some(DrainNode::Drain { task_id }) => {
                        let exists = !matches!(event.kind, corral_coord_client::EventKind::Deleted);
                        announced.send_if_modified(|tasks| match exists {
                            true => tasks.insert(task_id),
                            false => tasks.remove(&task_id),
                        });
                    }
                    _ => continue,
                },
            }
        }
    }

    /// Tells marathon this lb sends `task_id` nothing more. A drain that is over already (its
    /// node is gone) needs no confirmation.
    pub async fn confirm(&self, task_id: &str) -> Result<(), CoordError> {
        let path = self.paths.confirmation(task_id, &self.member.id);
        match self.client.create(&path, "", CreateMode::Persistent, None).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_node_exists() || error.is_no_node() || error.is_no_parent() => Ok(()),
            Err(error) => Err(error),
        }
    }
}
