//! Session routes: create, keep alive (on any node), close.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use corral_kit::JsonBody;
use corral_wire::coordinator::{Session, SessionRequest};

use super::error::ApiError;
use crate::machine::{Command, Outcome};
use crate::node::CoordinatorNode;

type Node = State<Arc<CoordinatorNode>>;

pub(super) async fn create_session(
    State(node): Node,
    JsonBody(request): JsonBody<SessionRequest>,
) -> Result<(StatusCode, Json<Session>), ApiError> {
    let session = node.create_session(request.timeout_ms).await?;
    Ok((StatusCode::CREATED, Json(session)))
}

pub(super) async fn keepalive(State(node): Node, Path(session_id): Path<u64>) -> Result<Json<Session>, ApiError> {
    Ok(Json(node.keepalive(session_id).await?))
}

pub(super) async fn close_session(State(node): Node, Path(session_id): Path<u64>) -> Result<Json<Session>, ApiError> {
    let timeout_ms =
        node.applied.read(|applied| applied.state.sessions.get(&session_id).map(|s| s.timeout_ms)).unwrap_or(0);
    match node.submit(Command::CloseSession { session_id }).await? {
        (Outcome::SessionsClosed { .. }, _) => Ok(Json(Session { session_id, timeout_ms })),
        (other, _) => unreachable!("closing a session answers with closed sessions, not {other:?}"),
    }
}
