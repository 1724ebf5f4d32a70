//! The link between an agent and the leading master. In a loop: find the master, register
//! (with the agent's id and tasks once it has them), then run a session of two halves until
//! something ends it:
//!
//! - the command long-poll (also the heartbeat): `after` acknowledges the last command carried
//!   out; commands are carried out in order, each once;
//! - the update sender: each task's head update is posted when due (at once when new, again
//!   every `--status-retry-ms` until acknowledged).
//!
//! A session ends when the leader changes, when the master cannot be reached, or when it answers
//! `unknown_agent`; the agent then registers again (with the new leader) and resends every
//! pending head at once.

mod backoff;
mod client;
mod locator;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::time::Instant;

pub use client::{LinkError, MasterClient, Session};
pub use locator::MasterLocator;

use self::backoff::Backoff;
use crate::agent::{Agent, AgentError};

/// How long a command poll waits at the master; also the heartbeat period.
pub const POLL_WAIT: Duration = Duration::from_secs(5);
/// At most this many updates are in flight at once.
const UPDATES_IN_FLIGHT: usize = 16;
/// The sender is woken for every new update and when a resend falls due; this is only a floor.
const SENDER_TICK: Duration = Duration::from_secs(30);

/// Why a session with a master ended.
#[derive(Debug, thiserror::Error)]
enum SessionEnd {
    #[error("the leading master changed")]
    MasterChanged,
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error("a command could not be checkpointed: {0}")]
    Checkpoint(#[from] AgentError),
}

pub struct MasterLink {
    agent: Arc<Agent>,
    locator: MasterLocator,
    client: MasterClient,
}

impl MasterLink {
    pub fn new(agent: Arc<Agent>, locator: MasterLocator, http: reqwest::Client) -> Self {
        MasterLink { agent, locator, client: MasterClient::new(http) }
    }

    /// Runs until `shutdown` resolves.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::select! {
            _ = self.run_forever() => {},
            _ = shutdown => {},
        }
    }

    async fn run_forever(mut self) {
        let mut backoff = Backoff::default();
        loop {
            let master = self.locator.wait_for_master().await;
            let session = match self.register(&master).await {
                Ok(registered) => registered,
                Err(error) => {
                    tracing::warn!(message = "Cannot register with the master.", %master, %error);
                    tokio::select! {
                        _ = tokio::time::sleep(backoff.next_pause()) => {},
                        _ = self.locator.changed() => {},
                    }
                    continue;
                }
            };
            backoff.reset();
            let end = tokio::select! {
                end = poll_commands(&self.client, &self.agent, &session) => end,
                end = send_updates(&self.client, &self.agent, &session) => end,
                _ = self.locator.changed() => SessionEnd::MasterChanged,
            };
            tracing::warn!(message = "The session with the master ended; registering again.", master = %session.url, reason = %end);
            if !matches!(end, SessionEnd::MasterChanged | SessionEnd::Link(LinkError::UnknownAgent)) {
                tokio::time::sleep(backoff.next_pause()).await;
            }
        }
    }

    async fn register(&self, master: &str) -> Result<Session, SessionEnd> {
        let registration = self.agent.registration().await;
        let tasks = registration.tasks.len();
        let secret = self.agent.secret().await;
        let (registered, answered_by) = self.client.register(master, &registration, secret.as_deref()).await?;
        self.agent.registered(&registered.agent_id, &answered_by, &registered.secret).await?;
        tracing::info!(message = "Registered with the master.", master = %answered_by, agent_id = %registered.agent_id, master_id = %registered.master_id, tasks);
        Ok(Session { url: answered_by, agent_id: registered.agent_id, secret: registered.secret })
    }
}

/// The command long-poll; returns only when the session must end.
async fn poll_commands(client: &MasterClient, agent: &Arc<Agent>, session: &Session) -> SessionEnd {
    let mut after = 0;
    loop {
        let commands = match client.poll(session, after, POLL_WAIT).await {
            Ok(commands) => commands,
            Err(error) => return error.into(),
        };
        for command in commands.commands {
            if command.seq <= after {
                continue;
            }
            if let Err(error) = agent.handle_command(command.command).await {
                return error.into();
            }
            after = command.seq;
        }
    }
}

/// The update sender; returns only when the session must end.
async fn send_updates(client: &MasterClient, agent: &Arc<Agent>, session: &Session) -> SessionEnd {
    loop {
        let woken = agent.updates_ready().notified();
        let due = agent.due_updates(std::time::Instant::now()).await;
        let sends = due.messages.into_iter().map(|update| {
            let (client, session) = (client.clone(), session.clone());
            async move { client.send_update(&session, &update).await }
        });
        let mut sends = futures::stream::iter(sends).buffer_unordered(UPDATES_IN_FLIGHT);
        while let Some(sent) = sends.next().await {
            match sent {
                Ok(()) => agent.count_update_sent(),
                // The update stays the head and goes again after the retry interval.
                Err(LinkError::Refused { status, message, .. }) => {
                    tracing::warn!(message = "The master refused a status update.", status, refusal = %message)
                }
                Err(error) => return error.into(),
            }
        }
        let tick = Instant::now() + SENDER_TICK;
        let wake_at = due.next_at.map_or(tick, |at| Instant::from_std(at).min(tick));
        tokio::select! {
            _ = woken => {},
            _ = tokio::time::sleep_until(wake_at) => {},
        }
    }
}
