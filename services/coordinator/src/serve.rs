//! `serve`: runs one coordinator node, its client API and its peer endpoint, until a signal, or
//! until its storage fails: then `/health` says so for a moment and the process exits with the
//! reason, so that the node leaves the ensemble instead of lingering without a log.

use std::path::Path;

use corral_kit::SecurityArgs;
use tokio::sync::watch;

use crate::api::{client_router, peer_router};
use crate::config::NodeConfig;
use crate::node::CoordinatorNode;

/// Loads and validates the config, binds both ports, and serves until Ctrl-C or SIGTERM.
pub async fn serve(config_path: &Path, security: &SecurityArgs) -> anyhow::Result<()> {
    let config = NodeConfig::load(config_path)?;
    let security = security.load().map_err(anyhow::Error::msg)?;
    // Bind first, so a taken port fails before anything is written to the data dir.
    let client_listener = corral_kit::bind(config.client_listen).await?;
    let peer_listener = corral_kit::bind(config.peer_listen).await?;
    tracing::info!(
        message = "Starting coordinator.",
        id = config.id,
        role = ?config.role,
        client = %config.client_listen,
        peer = %config.peer_listen,
        data_dir = %config.data_dir.display(),
    );
    let node = CoordinatorNode::start(config, &security.client).await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = move || {
        let mut stop_rx = stop_rx.clone();
        async move {
            let _ = stop_rx.wait_for(|stop| *stop).await;
        }
    };
    let tls = security.server_tls.clone();
    let client_router = client_router(node.clone(), &security);
    let client = tokio::spawn(corral_kit::serve(client_listener, client_router, tls.clone(), stopped()));
    let peer = tokio::spawn(corral_kit::serve(peer_listener, peer_router(node.clone(), &security), tls, stopped()));
    let failed = tokio::select! {
        () = corral_kit::shutdown_signal() => None,
        reason = node.failed() => Some(reason),
    };
    if let Some(reason) = &failed {
        // `/health` answers 503 meanwhile, so that whoever watches sees why the node leaves.
        tracing::error!(message = "Raft stopped: the node's storage failed. The node leaves.", %reason);
        tokio::time::sleep(FAILED_LINGER).await;
    }
    let _ = stop_tx.send(true);
    let _ = tokio::join!(client, peer);
    if let Some(reason) = failed {
        anyhow::bail!("the node's storage failed: {reason}");
    }
    node.raft.shutdown().await?;
    Ok(())
}

/// How long a node whose storage failed goes on answering (`/health` 503) before it exits.
const FAILED_LINGER: std::time::Duration = std::time::Duration::from_secs(3);
