//! The peer port, between coordinators only: openraft's RPCs, and the leader's side of forwarded
//! writes, heartbeats, read indexes and observer joins.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use corral_kit::JsonBody;
use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest, VoteRequest};

use crate::machine::Command;
use crate::node::{CoordinatorNode, ForwardedWrite, JoinRequest, NodeError, ReadIndex};
use crate::raft::TypeConfig;

type Node = State<Arc<CoordinatorNode>>;

pub(super) async fn append(
    State(node): Node,
    JsonBody(request): JsonBody<AppendEntriesRequest<TypeConfig>>,
) -> Response {
    Json(node.raft.append_entries(request).await).into_response()
}

pub(super) async fn vote(State(node): Node, JsonBody(request): JsonBody<VoteRequest<u64>>) -> Response {
    Json(node.raft.vote(request).await).into_response()
}

pub(super) async fn snapshot(
    State(node): Node,
    JsonBody(request): JsonBody<InstallSnapshotRequest<TypeConfig>>,
) -> Response {
    Json(node.raft.install_snapshot(request).await).into_response()
}

/// A write forwarded by another node; applied only if this node leads.
pub(super) async fn write(State(node): Node, JsonBody(command): JsonBody<Command>) -> Response {
    match node.submit_forwarded(command).await {
        Ok((outcome, zxid)) => Json(ForwardedWrite { zxid, result: Ok(outcome) }).into_response(),
        Err(NodeError::Tree(error)) => Json(ForwardedWrite { zxid: 0, result: Err(error) }).into_response(),
        Err(error) => unavailable(error),
    }
}

pub(super) async fn read_index(State(node): Node) -> Response {
    match node.local_read_index().await {
        Ok(index) => Json(ReadIndex { index }).into_response(),
        Err(error) => unavailable(error),
    }
}

pub(super) async fn keepalive(State(node): Node, Path(session_id): Path<u64>) -> Response {
    match node.keepalive_on_leader(session_id).await {
        Ok(session) => Json(Ok::<_, crate::tree::TreeError>(session)).into_response(),
        Err(NodeError::Tree(error)) => Json(Err::<(), _>(error)).into_response(),
        Err(error) => unavailable(error),
    }
}

pub(super) async fn join(State(node): Node, JsonBody(request): JsonBody<JoinRequest>) -> Response {
    match node.add_observer(request).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(error) => unavailable(error),
    }
}

/// 504 for a write whose outcome is unknown, 403 or 400 for a command no node may forward,
/// 503 for anything else surely not done.
fn unavailable(error: NodeError) -> Response {
    let status = match error {
        NodeError::OutcomeUnknown(_) => StatusCode::GATEWAY_TIMEOUT,
        NodeError::NotForwardable(_) => StatusCode::FORBIDDEN,
        NodeError::BadTimeout { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, error.to_string()).into_response()
}
