//! [`ApiError`]: every error the agent's HTTP API answers, as JSON `{"message", "code"}` with its
//! status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use corral_kit::HttpError;

use crate::sandbox::SandboxPathError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// A path outside the sandboxes.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    NoRoute(String),
    /// Reading a file failed; the details are logged, not sent.
    #[error("cannot read {path}")]
    Io { path: String, error: std::io::Error },
}

impl From<SandboxPathError> for ApiError {
    fn from(error: SandboxPathError) -> Self {
        match error {
            SandboxPathError::Outside(_) => ApiError::Forbidden(error.to_string()),
            SandboxPathError::Missing(_) => ApiError::NotFound(error.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        let (status, code) = match &self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::NoRoute(_) => (StatusCode::NOT_FOUND, "no_route"),
            ApiError::Io { path, error } => {
                tracing::warn!(message = "A files request failed.", %path, %error);
                (StatusCode::INTERNAL_SERVER_ERROR, "io_error")
            }
        };
        HttpError::new(status, code, message).into_response()
    }
}
