//! `LeaderDiscovery`: follow who leads an election directory, for clients of the leader.
//!
//! The leader is the child of the directory with the lowest ten-digit sequence suffix, whatever
//! its prefix, so this follows both Corral's `n_` contenders and Marathon-style `json.info_` nodes.

use tokio::sync::watch;

use crate::backoff::Backoff;
use crate::sequence::lowest_sequence;
use crate::znode_path::{child_path, without_trailing_slash};
use crate::{CoordClient, CoordError, WatchSpec};

/// The current leader: its node and the data it published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderInfo {
    pub path: String,
    pub data: String,
}

/// Follows the leader of an election directory.
#[derive(Debug)]
pub struct LeaderDiscovery;

/// What one look at the directory found, and the zxid to watch from.
struct Sighting {
    leader: Option<LeaderInfo>,
    zxid: u64,
}

impl LeaderDiscovery {
    /// Spawns a task that keeps the returned receiver on the leader of `dir` (`None` while there
    /// is none, or the directory does not exist). The task stops when every receiver is dropped.
    /// Must be called inside a tokio runtime.
    pub fn follow(client: &CoordClient, dir: &str) -> watch::Receiver<Option<LeaderInfo>> {
        let (sender, receiver) = watch::channel(None);
        let dir = without_trailing_slash(dir);
        tokio::spawn(follow_leader(client.clone(), dir, sender));
        receiver
    }
}

async fn follow_leader(client: CoordClient, dir: String, sender: watch::Sender<Option<LeaderInfo>>) {
    let config = client.config();
    let mut backoff = Backoff::new(config.backoff_min, config.backoff_max);
    loop {
        let sighting = tokio::select! {
            _ = sender.closed() => return,
            sighting = look(&client, &dir) => sighting,
        };
        let sighting = match sighting {
            Ok(sighting) => sighting,
            Err(error) => {
                tracing::warn!(message = "Could not read the leader directory.", %dir, %error);
                tokio::select! {
                    _ = sender.closed() => return,
                    _ = tokio::time::sleep(backoff.next_pause()) => continue,
                }
            }
        };
        let mut spec = WatchSpec::path(dir.clone());
        if let Some(leader) = &sighting.leader {
            spec = spec.and_path(leader.path.clone());
        }
        sender.send_if_modified(|current| replace_if_changed(current, sighting.leader));
        let mut events = client.watch(spec, sighting.zxid);
        // Any event on the directory or on the leader's node, or a reset, calls for a new look.
        let next = tokio::select! {
            _ = sender.closed() => return,
            next = events.next() => next,
        };
        match next {
            Ok(_) => backoff.reset(),
            Err(error) => {
                tracing::warn!(message = "Watching the leader directory failed.", %dir, %error);
                tokio::time::sleep(backoff.next_pause()).await;
            }
        }
    }
}

/// Reads the directory, then the lowest child's data; `None` when either is missing.
async fn look(client: &CoordClient, dir: &str) -> Result<Sighting, CoordError> {
    loop {
        let children = match client.children_observed(dir).await {
            Ok(children) => children,
            Err(error) if error.is_no_node() => {
                let zxid = error.zxid().unwrap_or_else(|| client.seen_zxid());
                return Ok(Sighting { leader: None, zxid });
            }
            Err(error) => return Err(error),
        };
        let Some(lowest) = lowest_sequence(&children.value.children) else {
            return Ok(Sighting { leader: None, zxid: children.zxid });
        };
        let path = child_path(dir, lowest);
        match client.get(&path).await {
            Ok(znode) => {
                let leader = LeaderInfo { path, data: znode.data };
                return Ok(Sighting { leader: Some(leader), zxid: children.zxid });
            }
            // The leader left between the two reads: look again.
            Err(error) if error.is_no_node() => continue,
            Err(error) => return Err(error),
        }
    }
}

fn replace_if_changed(current: &mut Option<LeaderInfo>, seen: Option<LeaderInfo>) -> bool {
    if *current == seen {
        return false;
    }
    *current = seen;
    true
}
