//! The one error type of the HTTP API: a status and Marathon's error body
//! (`{"message", "details"?, "deployments"?}`), from every error the handlers meet.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use corral_wire::marathon::{ErrorBody, ErrorDetail};

use crate::core::DeployError;
use crate::engine::ChangeError;
use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, body: ErrorBody) -> ApiError {
        ApiError { status, body }
    }

    pub fn message(status: StatusCode, message: &str) -> ApiError {
        ApiError::new(status, ErrorBody::message(message))
    }

    pub fn unknown_app(app_id: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, ErrorBody::unknown_app(app_id))
    }

    pub fn invalid(details: Vec<ErrorDetail>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorBody::invalid_object(details))
    }

    /// 400 for a body that is not the JSON expected.
    pub fn bad_json(body: &[u8], error: &serde_json::Error) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, crate::app_validation::invalid_json_body(body, error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

impl From<ChangeError> for ApiError {
    fn from(error: ChangeError) -> ApiError {
        match error {
            ChangeError::Deploy(error) => error.into(),
            ChangeError::Store(error) => error.into(),
        }
    }
}

impl From<DeployError> for ApiError {
    fn from(error: DeployError) -> ApiError {
        match error {
            DeployError::UnknownApp(id) => ApiError::unknown_app(&id),
            DeployError::Locked(deployments) => {
                ApiError::new(StatusCode::CONFLICT, ErrorBody::app_locked(&deployments))
            }
            DeployError::ServicePorts(error) => ApiError::invalid(vec![ErrorDetail::new("/", &error.to_string())]),
            DeployError::Plan(error) => ApiError::invalid(vec![ErrorDetail::new("/dependencies", &error.to_string())]),
            DeployError::UnknownDeployment(id) => {
                ApiError::message(StatusCode::NOT_FOUND, &format!("DeploymentPlan {id} does not exist"))
            }
        }
    }
}

/// Only a store that cannot be reached is a 503: a path the coordinator refuses comes from an id
/// or version a client sent (a 400, as Marathon answers an invalid id), and a record that cannot
/// be read or written is marathon's own fault (a 500), which waiting would not mend.
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        if error.is_invalid_path() {
            tracing::info!(message = "The store refused a path made from a request.", %error);
            return ApiError::message(StatusCode::BAD_REQUEST, "Invalid id or version: it cannot name a stored record");
        }
        tracing::warn!(message = "The store failed a request.", %error);
        match error {
            StoreError::Coordinator(_) => {
                ApiError::message(StatusCode::SERVICE_UNAVAILABLE, "The state store is unavailable; try again.")
            }
            StoreError::Corrupt { .. } | StoreError::Unversioned(_) => {
                ApiError::message(StatusCode::INTERNAL_SERVER_ERROR, "A stored record could not be read or written.")
            }
        }
    }
}
