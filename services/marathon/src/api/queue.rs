//! `/v2/queue`: apps with launches waiting, and clearing an app's launch delay.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use corral_wire::marathon::Queue;

use super::{ApiError, ApiState};
use crate::clock;

pub(super) async fn list(State(state): State<Arc<ApiState>>) -> Result<Json<Queue>, ApiError> {
    let engine = state.engine()?;
    let queue = engine.core().queue(Instant::now(), clock::now());
    Ok(Json(Queue { queue }))
}

/// `DELETE /v2/queue/{app_id}/delay`: 204.
pub(super) async fn reset_delay(
    State(state): State<Arc<ApiState>>,
    Path(rest): Path<String>,
) -> Result<StatusCode, ApiError> {
    let engine = state.engine()?;
    let Some(app) = rest.trim_matches('/').strip_suffix("/delay") else {
        return Err(ApiError::message(StatusCode::NOT_FOUND, "Use /v2/queue/{app_id}/delay"));
    };
    let app_id = format!("/{app}");
    if !engine.core().reset_delay(&app_id) {
        return Err(ApiError::message(
            StatusCode::NOT_FOUND,
            &format!("Application {app_id} not found in tasks queue."),
        ));
    }
    engine.wake_runner();
    Ok(StatusCode::NO_CONTENT)
}
