//! Why the cluster refuses a call, and which HTTP status says so.

use axum::http::StatusCode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// The call is malformed or asks for something impossible; nothing changed.
    #[error("{0}")]
    Invalid(String),
    /// The framework is not subscribed (or not this framework's stream).
    #[error("{0}")]
    NotSubscribed(String),
    /// The agent is not registered with this master: it must register again.
    #[error("agent {0} is not registered with this master; register again")]
    UnknownAgent(String),
    /// The caller is not who it must be: another agent, or another framework principal.
    #[error("{0}")]
    Forbidden(String),
}

impl ClusterError {
    pub fn status(&self) -> StatusCode {
        match self {
            ClusterError::Invalid(_) => StatusCode::BAD_REQUEST,
            ClusterError::NotSubscribed(_) => StatusCode::FORBIDDEN,
            ClusterError::UnknownAgent(_) => StatusCode::NOT_FOUND,
            ClusterError::Forbidden(_) => StatusCode::FORBIDDEN,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ClusterError::Invalid(_) => "invalid_call",
            ClusterError::NotSubscribed(_) => "not_subscribed",
            ClusterError::UnknownAgent(_) => "unknown_agent",
            ClusterError::Forbidden(_) => "forbidden",
        }
    }
}

pub(super) fn invalid(message: impl Into<String>) -> ClusterError {
    ClusterError::Invalid(message.into())
}
