//! The coordinator's one mapping from errors to HTTP answers.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use corral_kit::HttpError;

use crate::node::NodeError;
use crate::tree::TreeError;

/// Every error a client route can answer with.
#[derive(Debug)]
pub struct ApiError(pub HttpError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl From<HttpError> for ApiError {
    fn from(error: HttpError) -> Self {
        ApiError(error)
    }
}

impl From<TreeError> for ApiError {
    fn from(error: TreeError) -> Self {
        let status = match error {
            TreeError::InvalidPath { .. }
            | TreeError::SessionRequired { .. }
            | TreeError::RootNode { .. }
            | TreeError::EmptyMulti => StatusCode::BAD_REQUEST,
            TreeError::NoNode { .. } | TreeError::NoParent { .. } => StatusCode::NOT_FOUND,
            TreeError::NodeExists { .. } | TreeError::NotEmpty { .. } | TreeError::NoChildrenForEphemerals { .. } => {
                StatusCode::CONFLICT
            }
            TreeError::BadVersion { .. } => StatusCode::PRECONDITION_FAILED,
            TreeError::DataTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            TreeError::SessionExpired { .. } => StatusCode::GONE,
        };
        ApiError(HttpError::new(status, error.code(), error.to_string()))
    }
}

impl From<NodeError> for ApiError {
    fn from(error: NodeError) -> Self {
        match error {
            NodeError::Tree(error) => error.into(),
            NodeError::NoLeader => {
                ApiError(HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "no_leader", error.to_string()))
            }
            NodeError::Unavailable(_) => {
                ApiError(HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", error.to_string()))
            }
            NodeError::OutcomeUnknown(_) => {
                ApiError(HttpError::new(StatusCode::GATEWAY_TIMEOUT, "outcome_unknown", error.to_string()))
            }
            NodeError::BadTimeout { .. } => {
                ApiError(HttpError::new(StatusCode::BAD_REQUEST, "bad_timeout", error.to_string()))
            }
            NodeError::NotForwardable(_) => {
                ApiError(HttpError::new(StatusCode::FORBIDDEN, "not_forwardable", error.to_string()))
            }
        }
    }
}
