//! Runs a marathon instance: serves HTTP at once (forwarding to whoever leads), contends for
//! leadership in the coordinator, and once elected reads marathon's state and starts the
//! framework and the runner. An instance that loses its coordinator session stops at once, as
//! Marathon does: its supervisor starts it again, and it contends anew. One that stops on purpose
//! (SIGTERM once its server is down, `DELETE /v2/leader` once the answer is out) closes its
//! session, so the next leader takes over at once.

use std::sync::Arc;
use std::time::Duration;

use corral_coord_client::{hold_office, Candidacy, CoordClient, LeaderDiscovery, LeaderInfo, SessionLost};
use corral_wire::mesos::MasterInfo;
use tokio::sync::watch;

use crate::api::{ApiState, Role};
use crate::config::MarathonConfig;
use crate::engine::Engine;
use crate::events::{EventBus, DEFAULT_CAPACITY};

/// Why an instance stopped.
#[derive(Debug, thiserror::Error)]
pub enum MarathonError {
    #[error("{0}")]
    Listen(#[from] std::io::Error),
    #[error("coordinator: {0}")]
    Coordinator(#[from] corral_coord_client::CoordError),
    #[error("reading marathon's state: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("{0}: stopping so that no two instances act as leader")]
    SessionLost(#[from] SessionLost),
    #[error("abdicated (DELETE /v2/leader): stopping so that another instance leads")]
    Abdicated,
}

/// The prefix of the election nodes, whose data is the instance's `host:port` (as Marathon's).
const ELECTION_PREFIX: &str = "member_";

/// How long a stopping instance waits for its requests to finish. Event streams (`/v2/events`)
/// never finish on their own; the process's exit ends them.
const DRAIN_LIMIT: Duration = Duration::from_secs(1);

pub async fn run(config: MarathonConfig) -> Result<(), MarathonError> {
    let listener = corral_kit::bind(config.listen).await?;
    let events = EventBus::new(DEFAULT_CAPACITY);
    let state = Arc::new(ApiState::new(config.clone(), events.clone()));
    let server =
        corral_kit::spawn_server(listener, crate::api::router(state.clone()), config.security.server_tls.clone());
    tracing::info!(message = "Marathon started.", address = %config.advertised());

    let client = CoordClient::with_security(config.coordinator.clone(), &config.security.client);
    let discovered = LeaderDiscovery::follow(&client, &config.election_dir());
    tokio::spawn(follow_leader(state.clone(), discovered));
    let masters = LeaderDiscovery::follow(&client, &config.master_election_dir());
    tokio::spawn(follow_master(state.clone(), masters));
    let candidacy = Candidacy {
        dir: config.election_dir(),
        node_prefix: ELECTION_PREFIX.to_string(),
        data: config.advertised(),
        session_timeout: config.session_timeout,
    };
    let take_office = take_office(&state, &client, events);
    let stop = async {
        tokio::select! {
            served = server.stopped(DRAIN_LIMIT) => served.map_err(MarathonError::from),
            () = state.abdicated.notified() => {
                // Let the answer go out first.
                tokio::time::sleep(Duration::from_millis(200)).await;
                Err(MarathonError::Abdicated)
            }
        }
    };
    hold_office(&client, candidacy, take_office, stop).await?
}

/// Becomes the acting leader: reads marathon's state back, then starts the framework and the runner.
async fn take_office(state: &ApiState, client: &CoordClient, events: EventBus) -> Result<(), MarathonError> {
    let engine = Engine::take_office(state.config.clone(), client.clone(), events).await?;
    state.set_role(Role::Leading(engine));
    Ok(())
}

/// Keeps the role of a non-leading instance on whoever leads now.
async fn follow_leader(state: Arc<ApiState>, mut discovered: watch::Receiver<Option<LeaderInfo>>) {
    loop {
        let leader = discovered.borrow_and_update().as_ref().map(|leader| leader.data.clone());
        let me = state.config.advertised();
        match (state.role(), leader) {
            (Role::Leading(_), _) => {}
            (_, Some(leader)) if leader != me => state.set_role(Role::Following(leader)),
            _ => state.set_role(Role::Unknown),
        }
        if discovered.changed().await.is_err() {
            return;
        }
    }
}

/// Keeps `/v2/info`'s `mesos_leader_ui_url` on the leading master's web UI, `http://host:port/`
/// (https when marathon reaches the masters over TLS), on every instance.
async fn follow_master(state: Arc<ApiState>, mut discovered: watch::Receiver<Option<LeaderInfo>>) {
    let scheme = state.config.security.client.scheme();
    loop {
        let url = discovered.borrow_and_update().as_ref().and_then(|leader| master_ui_url(&leader.data, scheme));
        state.set_master_ui_url(url);
        if discovered.changed().await.is_err() {
            return;
        }
    }
}

/// The web UI of the master whose election data is `master_info` (its `MasterInfo` as JSON).
fn master_ui_url(master_info: &str, scheme: &str) -> Option<String> {
    let info: MasterInfo = serde_json::from_str(master_info).ok()?;
    Some(format!("{scheme}://{}/", info.http_address()))
}
