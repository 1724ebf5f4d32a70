//! Why a change to the tree was refused. Every refusal leaves the tree exactly as it was.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A refused operation, with the path (and the numbers) a user needs to understand why.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum TreeError {
    #[error("invalid path {path:?}: {reason}")]
    InvalidPath { path: String, reason: String },
    #[error("no node at {path}")]
    NoNode { path: String },
    #[error("cannot create {path}: parent {parent} does not exist")]
    NoParent { path: String, parent: String },
    #[error("node {path} already exists")]
    NodeExists { path: String },
    #[error("node {path} has children and cannot be deleted")]
    NotEmpty { path: String },
    #[error("version mismatch at {path}: expected {expected}, found {actual}")]
    BadVersion { path: String, expected: i64, actual: i64 },
    #[error("cannot create {path}: parent {parent} is ephemeral and cannot have children")]
    NoChildrenForEphemerals { path: String, parent: String },
    #[error("data of {path} is {size} bytes, over the limit of {limit} bytes")]
    DataTooLarge { path: String, size: u64, limit: u64 },
    #[error("an ephemeral node needs a session: {path}")]
    SessionRequired { path: String },
    #[error("session {session_id:#x} does not exist or has expired")]
    SessionExpired { session_id: u64 },
    #[error("the root node cannot be {action}")]
    RootNode { action: String },
    #[error("a multi transaction needs at least one operation")]
    EmptyMulti,
}

impl TreeError {
    /// The stable machine-readable name of this error, as sent in JSON bodies.
    pub fn code(&self) -> &'static str {
        match self {
            TreeError::InvalidPath { .. } => "invalid_path",
            TreeError::NoNode { .. } => "no_node",
            TreeError::NoParent { .. } => "no_parent",
            TreeError::NodeExists { .. } => "node_exists",
            TreeError::NotEmpty { .. } => "not_empty",
            TreeError::BadVersion { .. } => "bad_version",
            TreeError::NoChildrenForEphemerals { .. } => "no_children_for_ephemerals",
            TreeError::DataTooLarge { .. } => "data_too_large",
            TreeError::SessionRequired { .. } => "session_required",
            TreeError::SessionExpired { .. } => "session_expired",
            TreeError::RootNode { .. } => "root_node",
            TreeError::EmptyMulti => "empty_multi",
        }
    }
}
