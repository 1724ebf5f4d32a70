//! The one mapping from the master's errors to HTTP answers: JSON `{"message", "code"}` bodies,
//! and the 307 a standby answers with.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use corral_kit::HttpError;
use corral_wire::mesos::MasterInfo;

use crate::cluster::ClusterError;

#[derive(Debug)]
pub enum ApiError {
    Http(HttpError),
    /// Another master leads: `307 Location: //host:port<path>`.
    NotLeader {
        leader: Box<MasterInfo>,
        path: String,
    },
    /// No leader is known, or this one is still recovering.
    NoLeader,
}

impl From<HttpError> for ApiError {
    fn from(error: HttpError) -> Self {
        ApiError::Http(error)
    }
}

impl From<ClusterError> for ApiError {
    fn from(error: ClusterError) -> Self {
        ApiError::Http(HttpError::new(error.status(), error.code(), error.to_string()))
    }
}

impl From<corral_coord_client::CoordError> for ApiError {
    fn from(error: corral_coord_client::CoordError) -> Self {
        tracing::warn!(message = "The coordinator could not be written.", %error);
        ApiError::Http(HttpError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "coordinator_unavailable",
            "the master could not record this in the coordinator; retry",
        ))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Http(error) => error.into_response(),
            ApiError::NotLeader { leader, path } => {
                let location = format!("//{}{path}", leader.http_address());
                let body = HttpError::new(
                    StatusCode::TEMPORARY_REDIRECT,
                    "not_leader",
                    format!("this master does not lead; the leader is at {}", leader.http_address()),
                );
                (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, location)], axum::Json(body.body)).into_response()
            }
            ApiError::NoLeader => HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no_leader",
                "no leading master is known yet; retry shortly",
            )
            .into_response(),
        }
    }
}
