//! `CoordError`: every way a call to the coordinator can fail, and predicates on the server's error codes.

use corral_wire::ErrorBody;

/// A failed call to the coordinator.
#[derive(Debug, thiserror::Error)]
pub enum CoordError {
    /// The coordinator answered with an error status. `body.zxid` is the zxid the server sent in its
    /// body or, when the body carried none, the one from its `x-corral-zxid` header.
    #[error("coordinator answered {status}: {}", body.message)]
    Api { status: u16, body: ErrorBody },
    /// No coordinator answered (or every one answered 503) before the deadline.
    #[error("no coordinator answered in time: {0}")]
    Unavailable(String),
    /// A write was sent but its answer was lost (timeout or broken connection): it may or may not
    /// have been applied. The client never retries such a write on its own.
    #[error("the write may or may not have been applied: {0}")]
    OutcomeUnknown(String),
    /// The coordinator's answer was not the JSON it should have been.
    #[error("could not decode the coordinator's answer: {0}")]
    Decode(String),
    /// The path cannot be sent to the coordinator (it must start with `/` and may not hold `.` or
    /// `..` segments, which URLs cannot carry).
    #[error("invalid znode path {path:?}: {reason}")]
    InvalidPath { path: String, reason: &'static str },
    /// The node of a leader election contender no longer exists: its session expired or someone
    /// deleted it. The contender must start over with a live session.
    #[error("the election node {0} no longer exists")]
    ElectionNodeGone(String),
}

impl CoordError {
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            CoordError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The machine-readable code of an API error (`no_node`, `bad_version`, ...).
    pub fn code(&self) -> Option<&str> {
        match self {
            CoordError::Api { body, .. } => body.code.as_deref(),
            _ => None,
        }
    }

    /// The zxid an API error carries (the server's applied zxid when it answered).
    pub fn zxid(&self) -> Option<u64> {
        match self {
            CoordError::Api { body, .. } => body.zxid,
            _ => None,
        }
    }

    pub fn is_no_node(&self) -> bool {
        self.code() == Some("no_node")
    }

    pub fn is_no_parent(&self) -> bool {
        self.code() == Some("no_parent")
    }

    pub fn is_node_exists(&self) -> bool {
        self.code() == Some("node_exists")
    }

    pub fn is_bad_version(&self) -> bool {
        self.code() == Some("bad_version")
    }

    pub fn is_not_empty(&self) -> bool {
        self.code() == Some("not_empty")
    }

    pub fn is_session_expired(&self) -> bool {
        self.code() == Some("session_expired")
    }

    pub fn is_history_cleared(&self) -> bool {
        self.code() == Some("history_cleared")
    }

    /// True when no server could be reached: retrying later may succeed.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, CoordError::Unavailable(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, code: &str) -> CoordError {
        let body = ErrorBody { message: "m".into(), code: Some(code.into()), zxid: Some(7) };
        CoordError::Api { status, body }
    }

    #[test]
    fn predicates_follow_the_code() {
        assert!(api(404, "no_node").is_no_node());
        assert!(api(409, "node_exists").is_node_exists());
        assert!(api(412, "bad_version").is_bad_version());
        assert!(api(410, "session_expired").is_session_expired());
        assert!(!api(404, "no_parent").is_no_node());
        assert_eq!(api(410, "history_cleared").zxid(), Some(7));
        assert_eq!(CoordError::Unavailable("x".into()).code(), None);
    }
}
