//! Where the leading master is: given once (`--master`) or followed in the coordinator, where
//! each master contending for leadership publishes its `MasterInfo` JSON under
//! `<--master-root>/leader` (`/corral/master/leader` by default) and the lowest sequence leads.

use corral_coord_client::{CoordClient, LeaderDiscovery, LeaderInfo};
use corral_wire::mesos::MasterInfo;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub enum MasterLocator {
    /// `http://host:port`, never changes.
    Fixed(String),
    /// Followed in the coordinator; reached over `scheme` (`http` or `https`).
    Discovered { leader: watch::Receiver<Option<LeaderInfo>>, scheme: &'static str },
}

impl MasterLocator {
    /// Follows the leader of `leader_dir` in the coordinator. Must be called inside a tokio runtime.
    pub fn discover(client: &CoordClient, leader_dir: &str, scheme: &'static str) -> Self {
        MasterLocator::Discovered { leader: LeaderDiscovery::follow(client, leader_dir), scheme }
    }

    /// The leading master's base URL (`http://host:port`) as known now; marks it seen, so
    /// [`MasterLocator::changed`] waits for the next change.
    pub fn current(&mut self) -> Option<String> {
        match self {
            MasterLocator::Fixed(url) => Some(url.clone()),
            MasterLocator::Discovered { leader, scheme } => {
                let info = leader.borrow_and_update().clone()?;
                match serde_json::from_str::<MasterInfo>(&info.data) {
                    Ok(master) => Some(format!("{scheme}://{}", master.http_address())),
                    Err(error) => {
                        tracing::warn!(message = "The leading master published unreadable MasterInfo.", path = %info.path, %error);
                        None
                    }
                }
            }
        }
    }

    /// Waits until a master leads and returns its base URL.
    pub async fn wait_for_master(&mut self) -> String {
        loop {
            if let Some(url) = self.current() {
                return url;
            }
            tracing::info!(message = "Waiting for a leading master.");
            self.changed().await;
        }
    }

    /// Resolves when the leader changes (never for a fixed master).
    pub async fn changed(&mut self) {
        match self {
            MasterLocator::Fixed(_) => std::future::pending().await,
            MasterLocator::Discovered { leader, .. } => {
                if leader.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        }
    }
}
