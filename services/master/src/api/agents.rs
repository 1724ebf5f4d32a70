//! The agent protocol (see `corral_wire::agent_api`): registration, the command long-poll that
//! is also the heartbeat, and status updates.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use corral_kit::{HttpError, JsonBody, QueryParams};
use corral_wire::agent_api::{AgentCommands, AgentRegistered, RegisterAgent, StatusUpdateMessage};
use corral_wire::mesos::AgentId;
use serde::Deserialize;

use super::{leader_or_redirect, ApiError};
use crate::registry::AgentRecord;
use crate::service::MasterService;

/// The longest a poll waits for a command.
const LONGEST_POLL: Duration = Duration::from_secs(30);

pub(super) async fn register(
    State(service): State<Arc<MasterService>>,
    uri: Uri,
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
    let record = AgentRecord { id: id.clone(), hostname: message.hostname.clone(), port: message.port };
    leader.registry.put_agent(&record).await?;
    let registered = leader.cluster().register_agent(id, message, Instant::now())?;
    Ok(Json(registered))
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
    Path(agent_id): Path<String>,
    QueryParams(query): QueryParams<PollQuery>,
) -> Result<Json<AgentCommands>, ApiError> {
    let leader = leader_or_redirect(&service, &uri)?;
    let agent_id = AgentId::new(agent_id);
    let longest = LONGEST_POLL.min(service.config.agent_unreachable_timeout / 3);
    let wait = Duration::from_millis(query.wait_ms).min(longest);
    let arrived = {
        let mut cluster = leader.cluster();
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
    Path(agent_id): Path<String>,
    JsonBody(message): JsonBody<StatusUpdateMessage>,
) -> Result<StatusCode, ApiError> {
    let leader = leader_or_redirect(&service, &uri)?;
    leader.cluster().agent_update(&AgentId::new(agent_id), message, Instant::now())?;
    Ok(StatusCode::ACCEPTED)
}
