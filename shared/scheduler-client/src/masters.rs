//! Where the leading master is: a fixed URL, or whoever leads the masters' election in the
//! coordinator (the data of the lowest `json.info_` node is its MasterInfo).

use corral_coord_client::{CoordClient, LeaderDiscovery, LeaderInfo};
use corral_wire::mesos::MasterInfo;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub enum Masters {
    /// `http://host:port`.
    Fixed(String),
    /// Followed in the coordinator, reached over `scheme` (`http` or `https`).
    Discovered { leader: watch::Receiver<Option<LeaderInfo>>, scheme: &'static str },
}

impl Masters {
    /// Follows the leader elected under `election_dir` (the masters use `/corral/master/leader`).
    pub fn discover(client: &CoordClient, election_dir: &str, scheme: &'static str) -> Self {
        Masters::Discovered { leader: LeaderDiscovery::follow(client, election_dir), scheme }
    }

    /// The leading master's base URL, waiting for one to be known.
    pub async fn leader(&mut self) -> String {
        match self {
            Masters::Fixed(url) => url.trim_end_matches('/').to_string(),
            Masters::Discovered { leader, scheme } => loop {
                let known = leader.borrow_and_update().as_ref().and_then(|info| base_url(&info.data, scheme));
                if let Some(url) = known {
                    return url;
                }
                if leader.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            },
        }
    }
}

fn base_url(master_info: &str, scheme: &str) -> Option<String> {
    let info: MasterInfo = serde_json::from_str(master_info).ok()?;
    Some(format!("{scheme}://{}", info.http_address()))
}
