//! The agent protocol (see `corral_wire::agent_api`): registration, the command long-poll that
//! is also the heartbeat, and status updates.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::Json;
use corral_kit::{HttpError, JsonBody, QueryParams};
use corral_wire::agent_api::{AgentCommands, AgentRegistered, RegisterAgent, StatusUpdateMessage, AGENT_SECRET_HEADER};
use corral_wire::mesos::AgentId;
use serde::Deserialize;

use super::{leader_or_redirect, ApiError};
use crate::cluster::agent_secret;
use crate::registry::AgentRecord;
use crate::service::MasterService;

/// The longest a poll waits for a command.
const LONGEST_POLL: Duration = Duration::from_secs(30);

pub(super) async fn register(
    State(service): State<Arc<MasterService>>,
    uri: Uri,
    headers: HeaderMap,
    JsonBody(message): JsonBody<RegisterAgent>,
) -> Result<Json<AgentRegistered>, ApiError> {
    let leader = leader_or_redirect(&service, &uri)?;
    if message.hostname.trim().is_empty() {
        return Err(HttpError::bad_request("`hostname` is empty").into());
    }
    let id = match &message.agent_id {
        Some(id) if id.value.trim().is_empty() => {
            return Err(HttpError::bad_request("`agent_id.value` is empty").into())
        }
        Some(id) => id.clone(),
        None => leader.cluster().next_agent_id(),
    };
    let secret = leader.cluster().agent_secret(&id, presented_secret(&headers))?;
    let record = AgentRecord {
        id: id.clone(),
        hostname: message.hostname.clone(),
        port: message.port,
        secret_sha256: Some(agent_secret::digest(&secret)),
    };
    leader.registry.put_agent(&record).await?;
    let registered = leader.cluster().register_agent(id, message, &secret, Instant::now())?;
    Ok(Json(registered))
}

fn presented_secret(headers: &HeaderMap) -> Option<&str> {
    headers.get(AGENT_SECRET_HEADER).and_then(|value| value.to_str().ok())
}

#[derive(Debug, Deserialize)]
pub(super) struct PollQuery {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    wait_ms: u64,
}

pub(super) async fn poll_commands(
    State(service): State<Arc<MasterService>>,
    uri: Uri,
    headers: HeaderMap,
    Path(agent_id): Path<String>,
    QueryParams(query): QueryParams<PollQuery>,
) -> Result<Json<AgentCommands>, ApiError> {
    let leader = leader_or_redirect(&service, &uri)?;
    let agent_id = AgentId::new(agent_id);
    let longest = LONGEST_POLL.min(service.config.agent_unreachable_timeout / 3);
    let wait = Duration::from_millis(query.wait_ms).min(longest);
    let arrived = {
        let mut cluster = leader.cluster();
        cluster.authenticate_agent(&agent_id, presented_secret(&headers))?;
        let (commands, arrivals) = cluster.poll_commands(&agent_id, query.after, Instant::now())?;
        if !commands.is_empty() || wait.is_zero() {
            return Ok(Json(AgentCommands { commands }));
        }
        // Created under the lock, so a command pushed after it is released still wakes it.
        arrivals.notified_owned()
    };
    let _ = tokio::time::timeout(wait, arrived).await;
    let (commands, _) = leader.cluster().poll_commands(&agent_id, query.after, Instant::now())?;
    Ok(Json(AgentCommands { commands }))
}

pub(super) async fn update(
    State(service): State<Arc<MasterService>>,
    uri: Uri,
    headers: HeaderMap,
    Path(agent_id): Path<String>,
    JsonBody(message): JsonBody<StatusUpdateMessage>,
) -> Result<StatusCode, ApiError> {
    let leader = leader_or_redirect(&service, &uri)?;
    let agent_id = AgentId::new(agent_id);
    let mut cluster = leader.cluster();
    cluster.authenticate_agent(&agent_id, presented_secret(&headers))?;
    cluster.agent_update(&agent_id, message, Instant::now())?;
    Ok(StatusCode::ACCEPTED)
}
