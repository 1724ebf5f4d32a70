//! `SessionHandle`: a coordinator session kept alive by a background task, and the signal that it
//! is lost.
//!
//! The session is assumed lost as soon as a server says it expired (410), or when no keepalive has
//! succeeded for a whole session timeout, counted from when the last successful keepalive was
//! *sent*. Since the server counts from when it *received* it, the client never believes in a
//! session the server has already expired.

use std::sync::Arc;
use std::time::Duration;

use corral_wire::coordinator::{Session, SessionRequest};
use reqwest::Method;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::backoff::Backoff;
use crate::route::session_route;
use crate::transport::{Call, CallKind};
use crate::{CoordClient, CoordError};

/// Whether a session can still be counted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Alive,
    /// Expired, closed, or out of touch for a whole timeout: its ephemeral nodes are (or soon
    /// will be) gone, and whatever it guarded (leadership, locks) must be given up.
    Expired,
}

/// A live session. Dropping it stops the keepalives (the server expires the session after its
/// timeout) and marks it `Expired`; `close` ends it on the server at once.
#[derive(Debug)]
pub struct SessionHandle {
    client: CoordClient,
    id: u64,
    timeout: Duration,
    state: Arc<watch::Sender<SessionState>>,
    keepalive: JoinHandle<()>,
}

impl CoordClient {
    /// Opens a session that expires after `timeout` without a keepalive. The server may adjust
    /// the timeout; the handle uses the one it answers with. Must run inside a tokio runtime.
    pub async fn create_session(&self, timeout: Duration) -> Result<SessionHandle, CoordError> {
        let requested_at = Instant::now();
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let call = Call::new(Method::POST, "/v1/sessions".into(), CallKind::Write).json(&SessionRequest { timeout_ms });
        let session: Session = self.execute(&call).await?.decode()?;
        Ok(SessionHandle::start(self.clone(), session, requested_at))
    }
}

impl SessionHandle {
    fn start(client: CoordClient, session: Session, confirmed_at: Instant) -> Self {
        let timeout = Duration::from_millis(session.timeout_ms);
        let state = Arc::new(watch::Sender::new(SessionState::Alive));
        let keepalive =
            tokio::spawn(keep_alive(client.clone(), session.session_id, timeout, confirmed_at, Arc::clone(&state)));
        SessionHandle { client, id: session.session_id, timeout, state, keepalive }
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    /// The timeout the server granted.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Follows the session's state; it changes once, from `Alive` to `Expired`.
    pub fn state(&self) -> watch::Receiver<SessionState> {
        self.state.subscribe()
    }

    pub fn is_alive(&self) -> bool {
        *self.state.borrow() == SessionState::Alive
    }

    /// Resolves once the session is known or assumed expired.
    pub async fn lost(&self) {
        let mut state = self.state.subscribe();
        // The sender lives in `self`, so waiting only ends when the state becomes `Expired`.
        let _ = state.wait_for(|state| *state == SessionState::Expired).await;
    }

    /// Stops the keepalives and ends the session on the server, deleting its ephemeral nodes. A
    /// session that had already expired counts as closed.
    pub async fn close(self) -> Result<(), CoordError> {
        self.keepalive.abort();
        self.state.send_replace(SessionState::Expired);
        let call = Call::new(Method::DELETE, session_route(self.id, ""), CallKind::Write);
        match self.client.execute(&call).await?.decode::<Session>() {
            Ok(_) => Ok(()),
            Err(error) if error.is_session_expired() => Ok(()),
            Err(error) => Err(error),
        }
    }
}

impl Drop for SessionHandle {
    fn drop(&mut self) {
        self.keepalive.abort();
        self.state.send_replace(SessionState::Expired);
    }
}

/// Refreshes the session every third of its timeout until it is lost.
async fn keep_alive(
    client: CoordClient,
    id: u64,
    timeout: Duration,
    mut confirmed_at: Instant,
    state: Arc<watch::Sender<SessionState>>,
) {
    let interval = timeout / 3;
    let attempt_timeout = interval.min(client.config().request_timeout);
    let route = session_route(id, "/keepalive");
    let mut backoff = Backoff::new(client.config().backoff_min, client.config().backoff_max);
    let mut next = confirmed_at + interval;
    loop {
        tokio::time::sleep_until(next).await;
        let expires_at = confirmed_at + timeout;
        let sent_at = Instant::now();
        let call = Call::new(Method::PUT, route.clone(), CallKind::Idempotent)
            .attempt_timeout(attempt_timeout)
            .deadline(expires_at);
        match client.execute(&call).await.and_then(|reply| reply.decode::<Session>()) {
            Ok(_) => {
                confirmed_at = sent_at;
                next = sent_at + interval;
                backoff.reset();
            }
            Err(error) if error.is_session_expired() || error.status() == Some(410) => {
                tracing::warn!(message = "Coordinator session expired.", session = id, %error);
                state.send_replace(SessionState::Expired);
                return;
            }
            Err(error) if Instant::now() >= expires_at => {
                tracing::warn!(message = "No keepalive succeeded within the session timeout; assuming the session is lost.", session = id, %error);
                state.send_replace(SessionState::Expired);
                return;
            }
            Err(error) => {
                tracing::debug!(message = "Session keepalive failed; retrying.", session = id, %error);
                next = Instant::now() + backoff.next_pause();
            }
        }
    }
}
