//! A stand-in for the master's side of the agent protocol, small enough to read in one go: it
//! registers agents, queues commands for the long-poll (dropping those acknowledged by `after`),
//! and records every registration and status update. Each agent's secret is `secret-of-<id>`:
//! a poll or an update without it is refused, as the master refuses it. `FakeMaster::standby` answers every route
//! with 307 to a leader, as a non-leading master does.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use corral_wire::agent_api::{
    AgentCommand, AgentCommands, AgentRegistered, RegisterAgent, SequencedCommand, StatusUpdateMessage,
    AGENT_SECRET_HEADER,
};
use corral_wire::mesos::{AgentId, TaskState};
use serde::Deserialize;
use tokio::sync::Notify;

#[derive(Default)]
struct Inner {
    /// Per agent: the last sequence number given and the commands not yet acknowledged.
    queues: HashMap<String, (u64, Vec<SequencedCommand>)>,
    registrations: Vec<RegisterAgent>,
    updates: Vec<StatusUpdateMessage>,
    known: HashSet<String>,
    polls: u64,
    agents_registered: u64,
}

#[derive(Default)]
struct Shared {
    inner: Mutex<Inner>,
    commands_added: Notify,
}

pub struct FakeMaster {
    pub base_url: String,
    pub port: u16,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeMaster {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[derive(Deserialize)]
struct PollQuery {
    after: u64,
    wait_ms: u64,
}

impl FakeMaster {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let router = Router::new()
            .route("/api/agent/v1/register", post(register))
            .route("/api/agent/v1/agents/:id/commands", get(poll))
            .route("/api/agent/v1/agents/:id/updates", post(update))
            .with_state(shared.clone());
        Self::serve(router, shared).await
    }

    /// A master that does not lead: 307 to `leader` for everything, scheme-relative.
    pub async fn standby(leader: &FakeMaster) -> Self {
        let leader_port = leader.port;
        let router = Router::new().fallback(move |uri: Uri| async move {
            let target = format!("//127.0.0.1:{leader_port}{}", uri.path_and_query().map_or("", |pq| pq.as_str()));
            (StatusCode::TEMPORARY_REDIRECT, [("location", target)]).into_response()
        });
        Self::serve(router, Arc::new(Shared::default())).await
    }

    async fn serve(router: Router, shared: Arc<Shared>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        FakeMaster { base_url: format!("http://127.0.0.1:{port}"), port, shared, server }
    }

    /// Queues a command for the first agent, `fake-S1`.
    pub fn push(&self, command: AgentCommand) {
        self.push_to("fake-S1", command);
    }

    pub fn push_to(&self, agent_id: &str, command: AgentCommand) {
        let mut inner = self.shared.inner.lock().unwrap();
        let (last_seq, commands) = inner.queues.entry(agent_id.to_string()).or_default();
        *last_seq += 1;
        commands.push(SequencedCommand { seq: *last_seq, command });
        drop(inner);
        self.shared.commands_added.notify_waiters();
    }

    /// Acknowledges an update the way the master relays a framework's ACKNOWLEDGE.
    pub fn acknowledge(&self, update: &StatusUpdateMessage) {
        let agent_id = update.status.agent_id.as_ref().map_or("fake-S1", |id| id.value.as_str());
        self.push_to(
            agent_id,
            AgentCommand::Acknowledge {
                framework_id: update.framework_id.clone(),
                task_id: update.status.task_id.clone(),
                uuid: update.status.uuid.clone().expect("updates carry a uuid"),
            },
        );
    }

    pub fn updates(&self) -> Vec<StatusUpdateMessage> {
        self.shared.inner.lock().unwrap().updates.clone()
    }

    /// The updates of one task in the order received, as (state, uuid).
    pub fn task_updates(&self, task_id: &str) -> Vec<(TaskState, String)> {
        self.updates()
            .into_iter()
            .filter(|u| u.status.task_id.value == task_id)
            .map(|u| (u.status.state, u.status.uuid.unwrap_or_default()))
            .collect()
    }

    pub fn registrations(&self) -> Vec<RegisterAgent> {
        self.shared.inner.lock().unwrap().registrations.clone()
    }

    pub fn polls(&self) -> u64 {
        self.shared.inner.lock().unwrap().polls
    }

    /// Forgets every agent, as a new master would: polls answer 404 `unknown_agent`.
    pub fn forget_agents(&self) {
        self.shared.inner.lock().unwrap().known.clear();
        self.shared.commands_added.notify_waiters();
    }
}

async fn register(State(shared): State<Arc<Shared>>, Json(body): Json<RegisterAgent>) -> Json<AgentRegistered> {
    let mut inner = shared.inner.lock().unwrap();
    let agent_id = body.agent_id.clone().unwrap_or_else(|| {
        inner.agents_registered += 1;
        AgentId::new(format!("fake-S{}", inner.agents_registered))
    });
    inner.known.insert(agent_id.value.clone());
    inner.registrations.push(body);
    let secret = secret_of(&agent_id.value);
    Json(AgentRegistered { agent_id, master_id: "fake".into(), unreachable_timeout_ms: 75_000, secret })
}

fn secret_of(agent_id: &str) -> String {
    format!("secret-of-{agent_id}")
}

/// The 403 for a call without `agent_id`'s secret.
fn wrong_secret(headers: &HeaderMap, agent_id: &str) -> Option<Response> {
    match headers.get(AGENT_SECRET_HEADER).and_then(|value| value.to_str().ok()) {
        Some(secret) if secret == secret_of(agent_id) => None,
        _ => Some(
            (StatusCode::FORBIDDEN, Json(serde_json::json!({"message": "wrong secret", "code": "forbidden"})))
                .into_response(),
        ),
    }
}

fn unknown_agent() -> Response {
    let body = serde_json::json!({"message": "no such agent", "code": "unknown_agent"});
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

async fn poll(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<PollQuery>,
) -> Response {
    if let Some(refused) = wrong_secret(&headers, &id) {
        return refused;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_millis(query.wait_ms);
    loop {
        let added = shared.commands_added.notified();
        {
            let mut inner = shared.inner.lock().unwrap();
            if !inner.known.contains(&id) {
                return unknown_agent();
            }
            inner.polls += 1;
            let (_, commands) = inner.queues.entry(id.clone()).or_default();
            commands.retain(|command| command.seq > query.after);
            if !commands.is_empty() {
                return Json(AgentCommands { commands: commands.clone() }).into_response();
            }
        }
        if tokio::time::timeout_at(deadline, added).await.is_err() {
            return Json(AgentCommands { commands: vec![] }).into_response();
        }
    }
}

async fn update(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<StatusUpdateMessage>,
) -> Response {
    if let Some(refused) = wrong_secret(&headers, &id) {
        return refused;
    }
    let mut inner = shared.inner.lock().unwrap();
    if !inner.known.contains(&id) {
        return unknown_agent();
    }
    inner.updates.push(body);
    StatusCode::ACCEPTED.into_response()
}
