//! Znode routes: read, create, set, delete, list children, and multi.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use corral_kit::{JsonBody, QueryParams};
use corral_wire::coordinator::{
    Children, CreateRequest, MultiOp, MultiRequest, MultiResponse, MultiResult, SetRequest, WriteResponse, Znode,
    ANY_VERSION, SESSION_HEADER,
};
use serde::Deserialize;

use super::error::ApiError;
use crate::machine::{Command, Outcome};
use crate::node::CoordinatorNode;
use crate::tree::{TreeError, ZnodeTree};

type Node = State<Arc<CoordinatorNode>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReadParams {
    #[serde(default)]
    consistent: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeleteParams {
    #[serde(default = "any_version")]
    version: i64,
}

fn any_version() -> i64 {
    ANY_VERSION
}

/// The znode path named by the rest of the URL (`a/b` → `/a/b`; nothing → `/`).
fn znode_path(rest: Option<Path<String>>) -> String {
    match rest {
        Some(Path(rest)) if rest.starts_with('/') => rest,
        Some(Path(rest)) => format!("/{rest}"),
        None => "/".to_string(),
    }
}

pub(super) async fn get_znode(
    State(node): Node,
    rest: Option<Path<String>>,
    QueryParams(params): QueryParams<ReadParams>,
) -> Result<Json<Znode>, ApiError> {
    read_tree(&node, params, &znode_path(rest), ZnodeTree::get).await
}

pub(super) async fn get_children(
    State(node): Node,
    rest: Option<Path<String>>,
    QueryParams(params): QueryParams<ReadParams>,
) -> Result<Json<Children>, ApiError> {
    read_tree(&node, params, &znode_path(rest), ZnodeTree::children).await
}

/// Reads `path` from this node's tree, after a read barrier if the client asked for consistency.
async fn read_tree<T>(
    node: &CoordinatorNode,
    params: ReadParams,
    path: &str,
    read: impl FnOnce(&ZnodeTree, &str) -> Result<T, TreeError>,
) -> Result<Json<T>, ApiError> {
    if params.consistent {
        node.read_barrier().await?;
    }
    Ok(Json(node.applied.read(|applied| read(&applied.state.tree, path))?))
}

pub(super) async fn create_znode(
    State(node): Node,
    rest: Option<Path<String>>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<CreateRequest>,
) -> Result<(StatusCode, Json<WriteResponse>), ApiError> {
    let session = match request.session {
        Some(session) => Some(session),
        None => session_header(&headers)?,
    };
    let op = MultiOp::Create { path: znode_path(rest), data: request.data, mode: request.mode };
    let (result, zxid) = write_one(&node, op, session).await?;
    let MultiResult::Create { path, stat } = result else { unreachable!("a create answers with a create result") };
    Ok((StatusCode::CREATED, Json(WriteResponse { path, zxid, stat: Some(stat) })))
}

pub(super) async fn set_znode(
    State(node): Node,
    rest: Option<Path<String>>,
    JsonBody(request): JsonBody<SetRequest>,
) -> Result<Json<WriteResponse>, ApiError> {
    let op = MultiOp::Set { path: znode_path(rest), data: request.data, version: request.version };
    let (result, zxid) = write_one(&node, op, None).await?;
    let MultiResult::Set { path, stat } = result else { unreachable!("a set answers with a set result") };
    Ok(Json(WriteResponse { path, zxid, stat: Some(stat) }))
}

pub(super) async fn delete_znode(
    State(node): Node,
    rest: Option<Path<String>>,
    QueryParams(params): QueryParams<DeleteParams>,
) -> Result<Json<WriteResponse>, ApiError> {
    let op = MultiOp::Delete { path: znode_path(rest), version: params.version };
    let (result, zxid) = write_one(&node, op, None).await?;
    let MultiResult::Delete { path } = result else { unreachable!("a delete answers with a delete result") };
    Ok(Json(WriteResponse { path, zxid, stat: None }))
}

pub(super) async fn multi(
    State(node): Node,
    headers: HeaderMap,
    JsonBody(request): JsonBody<MultiRequest>,
) -> Result<Json<MultiResponse>, ApiError> {
    let session = match request.session {
        Some(session) => Some(session),
        None => session_header(&headers)?,
    };
    let (results, zxid) = write(&node, request.ops, session).await?;
    Ok(Json(MultiResponse { zxid, results }))
}

async fn write_one(node: &CoordinatorNode, op: MultiOp, session: Option<u64>) -> Result<(MultiResult, u64), ApiError> {
    let (mut results, zxid) = write(node, vec![op], session).await?;
    Ok((results.remove(0), zxid))
}

async fn write(
    node: &CoordinatorNode,
    ops: Vec<MultiOp>,
    session: Option<u64>,
) -> Result<(Vec<MultiResult>, u64), ApiError> {
    match node.submit(Command::Write { ops, session }).await? {
        (Outcome::Written { results }, zxid) => Ok((results, zxid)),
        (other, _) => unreachable!("a write answers with written results, not {other:?}"),
    }
}

fn session_header(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(SESSION_HEADER) else {
        return Ok(None);
    };
    let parsed = value.to_str().ok().and_then(|v| v.trim().parse().ok());
    match parsed {
        Some(session) => Ok(Some(session)),
        None => Err(corral_kit::HttpError::bad_request(format!("header {SESSION_HEADER} must be a session id")).into()),
    }
}
