//! The agent's side of the agent protocol (`corral_wire::agent_api`): register, long-poll for
//! commands, post status updates. A standby master answers 307 with `Location: //leader/...`;
//! the HTTP client follows it (method and body kept), and registration reports which master
//! finally answered so that later calls go there directly.

use std::time::Duration;

use corral_wire::agent_api::{
    commands_path, updates_path, AgentCommands, AgentRegistered, RegisterAgent, StatusUpdateMessage,
    AGENT_SECRET_HEADER, REGISTER_PATH,
};
use corral_wire::mesos::AgentId;
use corral_wire::ErrorBody;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

/// A call that is not a long-poll gets this long.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// A long-poll may take this much longer than the wait it asked for.
const POLL_SLACK: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the master at {master} cannot be reached: {error}")]
    Unreachable { master: String, error: reqwest::Error },
    #[error("the master does not know this agent (unknown_agent)")]
    UnknownAgent,
    #[error("the master at {master} answered {status}: {message}")]
    Refused { master: String, status: u16, message: String },
}

/// Who the agent is to the master it registered with: the master's base URL, the agent's id and
/// its secret.
#[derive(Debug, Clone)]
pub struct Session {
    pub url: String,
    pub agent_id: AgentId,
    pub secret: String,
}

#[derive(Debug, Clone)]
pub struct MasterClient {
    http: reqwest::Client,
}

impl MasterClient {
    pub fn new(http: reqwest::Client) -> Self {
        MasterClient { http }
    }

    /// Registers (or re-registers, presenting `secret`); returns the answer and the base URL of
    /// the master that gave it (after any redirect).
    pub async fn register(
        &self,
        master: &str,
        body: &RegisterAgent,
        secret: Option<&str>,
    ) -> Result<(AgentRegistered, String), LinkError> {
        let mut request = self.http.post(format!("{master}{REGISTER_PATH}")).json(body).timeout(CALL_TIMEOUT);
        if let Some(secret) = secret {
            request = request.header(AGENT_SECRET_HEADER, secret);
        }
        let response = request.send().await.map_err(|error| unreachable(master, error))?;
        let answered_by = response.url().origin().ascii_serialization();
        let registered = read_json(master, response).await?;
        Ok((registered, answered_by))
    }

    /// Long-polls for commands after sequence number `after` (which acknowledges every command
    /// up to it), waiting at most `wait` for one to come.
    pub async fn poll(&self, master: &Session, after: u64, wait: Duration) -> Result<AgentCommands, LinkError> {
        let url =
            format!("{}{}?after={after}&wait_ms={}", master.url, commands_path(&master.agent_id), wait.as_millis());
        let request = self.http.get(url).header(AGENT_SECRET_HEADER, &master.secret).timeout(wait + POLL_SLACK);
        let master = &master.url;
        let response = request.send().await.map_err(|error| unreachable(master, error))?;
        read_json(master, response).await
    }

    pub async fn send_update(&self, master: &Session, update: &StatusUpdateMessage) -> Result<(), LinkError> {
        let request = self
            .http
            .post(format!("{}{}", master.url, updates_path(&master.agent_id)))
            .header(AGENT_SECRET_HEADER, &master.secret)
            .json(update)
            .timeout(CALL_TIMEOUT);
        let master = &master.url;
        let response = request.send().await.map_err(|error| unreachable(master, error))?;
        if response.status().is_success() {
            return Ok(());
        }
        Err(refusal(master, response).await)
    }
}

fn unreachable(master: &str, error: reqwest::Error) -> LinkError {
    LinkError::Unreachable { master: master.to_string(), error }
}

async fn read_json<T: DeserializeOwned>(master: &str, response: reqwest::Response) -> Result<T, LinkError> {
    if !response.status().is_success() {
        return Err(refusal(master, response).await);
    }
    let status = response.status().as_u16();
    let bytes = response.bytes().await.map_err(|error| unreachable(master, error))?;
    serde_json::from_slice(&bytes).map_err(|error| LinkError::Refused {
        master: master.to_string(),
        status,
        message: format!("unreadable answer: {error}"),
    })
}

/// An error answer: `unknown_agent` is its own case, since it means "register again".
async fn refusal(master: &str, response: reqwest::Response) -> LinkError {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let body: Option<ErrorBody> = serde_json::from_str(&text).ok();
    if status == StatusCode::NOT_FOUND && body.as_ref().and_then(|b| b.code.as_deref()) == Some("unknown_agent") {
        return LinkError::UnknownAgent;
    }
    let message = body.map(|b| b.message).unwrap_or(text);
    LinkError::Refused { master: master.to_string(), status: status.as_u16(), message }
}
