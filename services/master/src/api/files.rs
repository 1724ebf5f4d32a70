//! `/agents/{agent_id}/files/browse` and `/agents/{agent_id}/files/read`: an agent's sandbox files
//! (its `/files/browse` and `/files/read`, same parameters, same answers) reached through the
//! master, so that the master's page can show a task's sandbox and tail its `stdout`: the browser
//! cannot call the agent itself (another origin, maybe an address only the cluster reaches).
//!
//! The caller's `Authorization` header goes along, so the agent applies the operator's own rights;
//! the master's own token never does (a caller without one asks the agent with none).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use corral_kit::HttpError;
use corral_wire::mesos::AgentId;

use super::{leader_or_redirect, ApiError};
use crate::service::MasterService;

/// The longest the master waits for an agent's answer; reads are at most 4 MiB.
const AGENT_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) async fn browse(
    State(service): State<Arc<MasterService>>,
    Path(agent_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    forward(&service, AgentId::new(agent_id), "/files/browse", &uri, &headers).await
}

pub(super) async fn read(
    State(service): State<Arc<MasterService>>,
    Path(agent_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    forward(&service, AgentId::new(agent_id), "/files/read", &uri, &headers).await
}

/// Asks agent `agent_id` for `path` with the caller's query and token, and answers with the
/// agent's status and body. The agent checks the query and the path (nothing outside its sandboxes).
async fn forward(
    service: &MasterService,
    agent_id: AgentId,
    path: &str,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let leader = leader_or_redirect(service, uri)?;
    let address = {
        let cluster = leader.cluster();
        let agent = cluster.agents.get(&agent_id).ok_or_else(|| {
            HttpError::new(StatusCode::NOT_FOUND, "unknown_agent", format!("no agent {agent_id} is registered"))
        })?;
        format!("{}:{}", agent.hostname, agent.port)
    };
    let query = uri.query().map(|query| format!("?{query}")).unwrap_or_default();
    let url = format!("{}{path}{query}", service.config.security.client.url(&address));
    let mut request = service.agent_client.get(&url).timeout(AGENT_TIMEOUT);
    if let Some(authorization) = headers.get(header::AUTHORIZATION) {
        request = request.header(header::AUTHORIZATION, authorization);
    }
    let unreachable = |error: reqwest::Error| {
        tracing::info!(message = "An agent's files could not be read.", agent_id = %agent_id, %address, %error);
        let why = if error.is_timeout() { "did not answer in time" } else { "cannot be reached" };
        ApiError::from(HttpError::new(
            StatusCode::BAD_GATEWAY,
            "agent_unreachable",
            format!("agent {agent_id} at {address} {why}"),
        ))
    };
    let answer = request.send().await.map_err(unreachable)?;
    let status = answer.status();
    let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
    let body = answer.bytes().await.map_err(unreachable)?;
    let content_type = content_type.unwrap_or(HeaderValue::from_static("application/json"));
    Ok((status, [(header::CONTENT_TYPE, content_type)], body).into_response())
}
