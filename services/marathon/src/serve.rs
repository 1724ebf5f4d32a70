//! Runs a marathon instance: serves HTTP at once (forwarding to whoever leads), contends for
//! leadership in the coordinator, and once elected reads marathon's state and starts the
//! framework and the runner. An instance that loses its coordinator session stops at once, as
//! Marathon does: its supervisor starts it again, and it contends anew. One that stops on purpose
//! (SIGTERM, `DELETE /v2/leader`) closes its session first, so the next leader takes over at once.

use std::sync::Arc;

use corral_coord_client::{CoordClient, LeaderDiscovery, LeaderElection, LeaderInfo};
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
    #[error("lost the coordinator session: stopping so that no two instances act as leader")]
    SessionLost,
    #[error("abdicated (DELETE /v2/leader): stopping so that another instance leads")]
    Abdicated,
}

/// The prefix of the election nodes, whose data is the instance's `host:port` (as Marathon's).
const ELECTION_PREFIX: &str = "member_";

pub async fn run(config: MarathonConfig) -> Result<(), MarathonError> {
    let listener = corral_kit::bind(config.listen).await?;
    let events = EventBus::new(DEFAULT_CAPACITY);
    let state = Arc::new(ApiState::new(config.clone(), events.clone()));
    let server =
        tokio::spawn(corral_kit::serve(listener, crate::api::router(state.clone()), corral_kit::shutdown_signal()));
    tracing::info!(message = "Marathon started.", address = %config.advertised());

    let client = CoordClient::new(config.coordinator.clone());
    let discovered = LeaderDiscovery::follow(&client, &config.election_dir());
    tokio::spawn(follow_leader(state.clone(), discovered));
    let session = client.create_session(config.session_timeout).await?;
    let lead = async {
        let mut election = LeaderElection::contend_named(
            &client,
            &session,
            &config.election_dir(),
            ELECTION_PREFIX,
            config.advertised(),
        )
        .await?;
        election.wait_for_leadership().await?;
        tracing::info!(message = "Elected leader; recovering marathon's state.");
        let engine = Engine::take_office(config.clone(), client.clone(), events).await?;
        state.set_role(Role::Leading(engine));
        tracing::info!(message = "Leading.");
        std::future::pending::<Result<(), MarathonError>>().await
    };
    let stopped = tokio::select! {
        served = server => served.expect("the server task does not panic").map_err(MarathonError::from),
        _ = session.lost() => Err(MarathonError::SessionLost),
        led = lead => led,
        _ = state.abdicated.notified() => {
            // Let the answer go out first.
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            Err(MarathonError::Abdicated)
        }
    };
    // Stopping on purpose: give the session up now, so another instance leads at once rather
    // than after the session timeout.
    if !matches!(stopped, Err(MarathonError::SessionLost)) {
        if let Err(error) = session.close().await {
            tracing::warn!(message = "Could not close the coordinator session.", %error);
        }
    }
    stopped
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
