//! `/v2/deployments`: what runs, and stopping a deployment: rolled back (200, a new deployment),
//! or with `force=true` just stopped where it stands (202, no body).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::apps::deployment_response;
use super::params::Params;
use super::{ApiError, ApiState};
use crate::deployment::DeploymentView;

pub(super) async fn list(State(state): State<Arc<ApiState>>) -> Result<Json<Vec<DeploymentView>>, ApiError> {
    let engine = state.engine()?;
    let views = engine.core().deployment_views();
    Ok(Json(views))
}

pub(super) async fn delete(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let engine = state.engine()?;
    let force = params.flag("force", false)?;
    let change = engine.change().await;
    if engine.core().deployment(&id).is_none() {
        return Err(ApiError::message(StatusCode::NOT_FOUND, &format!("DeploymentPlan {id} does not exist")));
    }
    if force {
        change.cancel(&id).await?;
        return Ok(StatusCode::ACCEPTED.into_response());
    }
    let result = change.rollback(&id).await?;
    Ok(deployment_response(StatusCode::OK, result))
}
