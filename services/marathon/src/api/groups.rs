//! `/v2/groups`: apps seen as a tree of groups by their paths. A group is not stored on its own:
//! creating or updating one deploys the apps it holds (in one deployment), deleting one deletes
//! every app under it.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use corral_wire::marathon::AppUpdate;
use serde::Deserialize;

use super::apps::{deployment_response, updated_app};
use super::params::Params;
use super::{ApiError, ApiState};
use crate::app_validation::canonical_path;
use crate::core::{group_of, members_prefix, AppChange};

/// A group as clients send it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupUpdate {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    apps: Vec<AppUpdate>,
    #[serde(default)]
    groups: Vec<GroupUpdate>,
}

/// The group id a `/v2/groups/...` path names.
fn group_id(uri: &Uri) -> String {
    let rest = uri.path().trim_start_matches("/v2/groups").trim_matches('/');
    format!("/{rest}")
}

pub(super) async fn get(State(state): State<Arc<ApiState>>, uri: Uri) -> Result<Response, ApiError> {
    let engine = state.engine()?;
    let id = group_id(&uri);
    let prefix = members_prefix(&id);
    let apps: Vec<_> = engine.core().apps().filter(|app| app.id.starts_with(&prefix)).cloned().collect();
    if apps.is_empty() && id != "/" {
        return Err(ApiError::message(StatusCode::NOT_FOUND, &format!("Group '{id}' does not exist")));
    }
    Ok(Json(group_of(apps, &id)).into_response())
}

/// `POST` (201) or `PUT` (200) of a group: its apps, in one deployment.
pub(super) async fn deploy(
    method: Method,
    State(state): State<Arc<ApiState>>,
    uri: Uri,
    params: Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let status = if method == Method::POST { StatusCode::CREATED } else { StatusCode::OK };
    let engine = state.engine()?;
    let force = params.flag("force", false)?;
    let group: GroupUpdate = serde_json::from_slice(&body).map_err(|error| ApiError::bad_json(&body, &error))?;
    let base = group_id(&uri);
    let mut requests = Vec::new();
    flatten(&group, &base, &mut requests);
    let mut change = engine.change().await;
    let version = change.new_version();
    let mut changes = Vec::new();
    for (id, request) in requests {
        changes.push(AppChange::Put(Box::new(updated_app(&engine, &id, request, false, version)?)));
    }
    let result = change.deploy(changes, version, force, BTreeMap::new()).await?;
    Ok(deployment_response(status, result))
}

/// Every app of a group and its subgroups, with ids made absolute under `parent`.
fn flatten<'a>(group: &'a GroupUpdate, parent: &str, into: &mut Vec<(String, &'a AppUpdate)>) {
    let here = match &group.id {
        Some(id) => canonical_path(id, parent),
        None => parent.to_string(),
    };
    for app in &group.apps {
        into.push((canonical_path(app.id.as_deref().unwrap_or_default(), &here), app));
    }
    for child in &group.groups {
        flatten(child, &here, into);
    }
}

pub(super) async fn remove(State(state): State<Arc<ApiState>>, uri: Uri, params: Params) -> Result<Response, ApiError> {
    let engine = state.engine()?;
    let force = params.flag("force", false)?;
    let id = group_id(&uri);
    let prefix = members_prefix(&id);
    let mut change = engine.change().await;
    let doomed: Vec<AppChange> = engine
        .core()
        .apps()
        .filter(|app| app.id.starts_with(&prefix))
        .map(|app| AppChange::Remove(app.id.clone()))
        .collect();
    if doomed.is_empty() && id != "/" {
        return Err(ApiError::message(StatusCode::NOT_FOUND, &format!("Group '{id}' does not exist")));
    }
    let version = change.new_version();
    let result = change.deploy(doomed, version, force, BTreeMap::new()).await?;
    Ok(deployment_response(StatusCode::OK, result))
}
