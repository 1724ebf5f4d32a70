//! `hold_office`: the whole term of a service that leads through a [`LeaderElection`], from its
//! candidacy to its end.
//!
//! A term opens a session, contends, waits to be elected, takes office (a step of the service's
//! own, such as reading its state back from the coordinator), and then lasts until one of two
//! things happens:
//! - the service stops on purpose (its `stop` future resolves: its server has shut down, or it
//!   abdicates). The session is then closed, so that the next contender leads at once instead of
//!   after the session timeout;
//! - the session is lost. Its node is gone or about to be and another contender may already
//!   lead, so the term ends with [`SessionLost`] and the service must stop acting as leader (the
//!   Corral services exit, as Mesos masters and Marathon do).
//!
//! A failure to contend or to take office also ends the term, and closes the session.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use crate::{CoordClient, CoordError, LeaderElection, SessionHandle};

/// Where a contender stands in an election and what its node tells the others.
#[derive(Debug, Clone)]
pub struct Candidacy {
    /// The election directory, such as `/corral/mesos/leader` (created if missing).
    pub dir: String,
    /// The contender nodes' names before their sequence number, such as `json.info_`.
    pub node_prefix: String,
    /// The contender node's data: how the others reach this contender once it leads.
    pub data: String,
    /// How long a contender cut off from the coordinator keeps its place, and a leader its office.
    pub session_timeout: Duration,
}

/// The coordinator session was lost during a term: another contender may lead already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("lost the coordinator session")]
pub struct SessionLost;

/// Contends with `candidacy`, runs `take_office` once elected, and holds office until `stop`
/// resolves, answering what `stop` answered; the session is closed on the way out. Ends early with
/// [`SessionLost`] (session kept as it is) or with the error of contending or of `take_office`
/// (session closed).
///
/// `stop` is polled from the start: a contender that stops before it is elected leaves the line
/// at once too. `take_office` only runs once this contender leads.
pub async fn hold_office<T, E>(
    client: &CoordClient,
    candidacy: Candidacy,
    take_office: impl Future<Output = Result<(), E>>,
    stop: impl Future<Output = T>,
) -> Result<T, E>
where
    E: From<CoordError> + From<SessionLost>,
{
    let session = client.create_session(candidacy.session_timeout).await?;
    let ended = tokio::select! {
        stopped = stop => Ok(stopped),
        () = session.lost() => return Err(SessionLost.into()),
        Err(error) = lead(client, &session, candidacy, take_office) => Err(error),
    };
    tracing::info!(message = "Leaving the election: closing the coordinator session.", session = session.id());
    if let Err(error) = session.close().await {
        tracing::warn!(message = "Could not close the coordinator session.", %error);
    }
    ended
}

/// Contends, waits to lead and takes office; then holds it for good. Only ever ends with an error.
async fn lead<E: From<CoordError>>(
    client: &CoordClient,
    session: &SessionHandle,
    candidacy: Candidacy,
    take_office: impl Future<Output = Result<(), E>>,
) -> Result<Infallible, E> {
    let Candidacy { dir, node_prefix, data, .. } = candidacy;
    let mut election = LeaderElection::contend_named(client, session, &dir, &node_prefix, data).await?;
    tracing::info!(message = "Contending for leadership.", node = %election.node_path());
    election.wait_for_leadership().await?;
    tracing::info!(message = "Elected leader; taking office.", node = %election.node_path());
    take_office.await?;
    tracing::info!(message = "Leading.");
    std::future::pending().await
}
