//! `ensure_path`: create a znode and its missing ancestors as empty persistent nodes.

use corral_wire::coordinator::CreateMode;

use crate::znode_path::ancestors_and_self;
use crate::{CoordClient, CoordError};

/// How often a create whose outcome was lost is sent again (repeating it is harmless here).
const ATTEMPTS_PER_NODE: usize = 3;

/// Creates `path` and every missing ancestor as empty persistent nodes; existing ones are left
/// as they are.
pub async fn ensure_path(client: &CoordClient, path: &str) -> Result<(), CoordError> {
    if path.trim_end_matches('/').is_empty() || client.exists(path).await?.is_some() {
        return Ok(());
    }
    for node in ancestors_and_self(path) {
        create_if_missing(client, node).await?;
    }
    Ok(())
}

async fn create_if_missing(client: &CoordClient, path: &str) -> Result<(), CoordError> {
    let mut attempt = 1;
    loop {
        match client.create(path, "", CreateMode::Persistent, None).await {
            Ok(_) => return Ok(()),
            Err(error) if error.is_node_exists() => return Ok(()),
            Err(CoordError::OutcomeUnknown(_)) if attempt < ATTEMPTS_PER_NODE => attempt += 1,
            Err(error) => return Err(error),
        }
    }
}
