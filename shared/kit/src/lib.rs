//! The service runtime every Corral service shares: logging, the HTTP server bootstrap with
//! graceful shutdown, a JSON body extractor with clear errors, JSON error responses, Prometheus
//! text, TLS and bearer-token auth, the one HTTP client builder, and the web pages' shared parts.

mod address;
pub mod auth;
mod clock;
mod edge;
mod http_client;
mod json_body;
mod logging;
mod prometheus;
mod query;
mod security;
mod server;
pub mod tls;
pub mod ui;
mod uuid;

pub use address::{advertised_address, local_hostname, parse_host_port};
pub use clock::wall_clock;
pub use edge::edge;
pub use http_client::http_client;
pub use json_body::{parse_json, JsonBody};
pub use logging::{init_logging, LogFormat};
pub use prometheus::PrometheusText;
pub use query::QueryParams;
pub use security::{ClientSecurity, Security, SecurityArgs, SecurityError};
pub use server::{
    bind, connection_cap, serve, shutdown_signal, spawn_server, RunningServer, BODY_TIMEOUT, HANDSHAKE_TIMEOUT,
    HEADER_TIMEOUT,
};
pub use uuid::random_uuid;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use corral_wire::ErrorBody;

/// An error answered as JSON: `{"message": ..., "code": ...}` with its HTTP status.
#[derive(Debug, Clone)]
pub struct HttpError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl HttpError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        HttpError { status, body: ErrorBody { message: message.into(), code: Some(code.to_string()), zxid: None } }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        HttpError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}
