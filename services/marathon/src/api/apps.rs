//! `/v2/apps`: listing, creating, replacing, patching, restarting and deleting apps. Paths under
//! an app (`/v2/apps/{app_id}/tasks`, `/versions`, `/restart`) share one route, because app ids
//! hold slashes; `AppPath` tells them apart.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use corral_wire::marathon::{
    AppDefinition, AppList, AppResponse, AppUpdate, AppVersions, DeploymentRef, DeploymentResult, EventKind, Timestamp,
    VersionInfo,
};

use super::params::Params;
use super::{app_tasks, ApiError, ApiState};
use crate::app_validation::{canonical_path, validate};
use crate::core::{AppChange, Embed};
use crate::engine::Engine;

const DEPLOYMENT_ID: &str = "Marathon-Deployment-Id";

/// What a path under `/v2/apps/` names.
#[derive(Debug, PartialEq)]
pub(super) enum AppPath {
    App(String),
    Tasks(String),
    Task(String, String),
    Versions(String),
    Version(String, String),
    Restart(String),
}

impl AppPath {
    fn parse(rest: &str) -> AppPath {
        let segments: Vec<&str> = rest.trim_matches('/').split('/').collect();
        let id = |count: usize| format!("/{}", segments[..segments.len() - count].join("/"));
        match segments.as_slice() {
            [_, .., "tasks"] => AppPath::Tasks(id(1)),
            [_, .., "tasks", task] => AppPath::Task(id(2), task.to_string()),
            [_, .., "versions"] => AppPath::Versions(id(1)),
            [_, .., "versions", version] => AppPath::Version(id(2), version.to_string()),
            [_, .., "restart"] => AppPath::Restart(id(1)),
            _ => AppPath::App(id(0)),
        }
    }
}

fn not_allowed() -> ApiError {
    ApiError::message(StatusCode::METHOD_NOT_ALLOWED, "HTTP method not allowed here")
}

/// `GET /v2/apps?cmd=&id=&label=&embed=`.
pub(super) async fn list(State(state): State<Arc<ApiState>>, params: Params) -> Result<Json<AppList>, ApiError> {
    let engine = state.engine()?;
    let embed = embed_of(&params);
    let id_filter = params.get("id").map(str::to_lowercase);
    let cmd_filter = params.get("cmd");
    let label_filter = params.get("label").map(LabelSelector::parse);
    let core = engine.core();
    let apps = core
        .apps()
        .filter(|app| id_filter.as_deref().is_none_or(|part| app.id.contains(part)))
        .filter(|app| cmd_filter.is_none_or(|part| app.cmd.as_deref().is_some_and(|cmd| cmd.contains(part))))
        .filter(|app| label_filter.as_ref().is_none_or(|selector| selector.matches(app)))
        .map(|app| core.app_info(app, embed))
        .collect();
    Ok(Json(AppList { apps }))
}

fn embed_of(params: &Params) -> Embed {
    let mut embed = Embed::default();
    for value in params.all("embed") {
        match value {
            "apps.tasks" | "app.tasks" => embed.tasks = true,
            "apps.lastTaskFailure" | "app.lastTaskFailure" => embed.last_task_failure = true,
            _ => {}
        }
    }
    embed
}

/// `label=key`, `label=key==value` or `label=key!=value`.
struct LabelSelector {
    key: String,
    value: Option<(bool, String)>,
}

impl LabelSelector {
    fn parse(text: &str) -> LabelSelector {
        if let Some((key, value)) = text.split_once("==") {
            return LabelSelector { key: key.trim().into(), value: Some((true, value.trim().into())) };
        }
        if let Some((key, value)) = text.split_once("!=") {
            return LabelSelector { key: key.trim().into(), value: Some((false, value.trim().into())) };
        }
        LabelSelector { key: text.trim().into(), value: None }
    }

    fn matches(&self, app: &AppDefinition) -> bool {
        match (&self.value, app.labels.get(&self.key)) {
            (None, found) => found.is_some(),
            (Some((equal, wanted)), Some(found)) => (wanted == found) == *equal,
            (Some((equal, _)), None) => !equal,
        }
    }
}

/// `POST /v2/apps`: 201 with the app, `Location` and `Marathon-Deployment-Id`.
pub(super) async fn create(
    State(state): State<Arc<ApiState>>,
    client: Option<ConnectInfo<SocketAddr>>,
    uri: Uri,
    params: Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let engine = state.engine()?;
    let force = params.flag("force", false)?;
    let request = parse_update(&body)?;
    let mut change = engine.change().await;
    let mut app = validate(&request, &AppDefinition::new("")).map_err(ApiError::invalid)?.into_app();
    if engine.core().app(&app.id).is_some() {
        return Err(ApiError::new(StatusCode::CONFLICT, corral_wire::marathon::ErrorBody::app_exists(&app.id)));
    }
    let version = change.new_version();
    stamp(&mut app, None, version);
    let result = change.deploy(vec![AppChange::Put(Box::new(app.clone()))], version, force, BTreeMap::new()).await?;
    let app = engine.core().app(&app.id).cloned().unwrap_or(app);
    publish_post(&engine, &client, &uri, &app);
    let mut info = engine.core().app_info(&app, Embed::default());
    info.deployments = vec![DeploymentRef { id: result.deployment_id.clone() }];
    let location = format!("{}/v2/apps{}", state.config.own_url(), app.id);
    let mut response = (StatusCode::CREATED, Json(info)).into_response();
    set_header(&mut response, header::LOCATION.as_str(), &location);
    set_header(&mut response, DEPLOYMENT_ID, &result.deployment_id);
    Ok(response)
}

/// `PUT /v2/apps` (replace, or `partialUpdate`) and `PATCH /v2/apps`: several apps in one deployment.
pub(super) async fn update_apps(
    method: Method,
    State(state): State<Arc<ApiState>>,
    params: Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let partial = is_partial(&method, &params)?;
    update_many(state, params, body, partial).await
}

/// PATCH always updates partially; PUT does unless `partialUpdate=false`, as in Marathon.
fn is_partial(method: &Method, params: &Params) -> Result<bool, ApiError> {
    match *method == Method::PATCH {
        true => Ok(true),
        false => params.flag("partialUpdate", true),
    }
}

async fn update_many(state: Arc<ApiState>, params: Params, body: Bytes, partial: bool) -> Result<Response, ApiError> {
    let engine = state.engine()?;
    let force = params.flag("force", false)?;
    let requests: Vec<AppUpdate> = serde_json::from_slice(&body).map_err(|error| ApiError::bad_json(&body, &error))?;
    let mut change = engine.change().await;
    let version = change.new_version();
    let mut changes = Vec::new();
    for request in &requests {
        let id = canonical_path(request.id.as_deref().unwrap_or_default(), "/");
        changes.push(AppChange::Put(Box::new(updated_app(&engine, &id, request, partial, version)?)));
    }
    let result = change.deploy(changes, version, force, BTreeMap::new()).await?;
    Ok(deployment_response(StatusCode::OK, result))
}

/// `GET` under an app: the app, its tasks, its versions.
pub(super) async fn get_under_app(
    State(state): State<Arc<ApiState>>,
    Path(rest): Path<String>,
) -> Result<Response, ApiError> {
    let engine = state.engine()?;
    match AppPath::parse(&rest) {
        AppPath::App(id) => {
            let core = engine.core();
            let app = core.app(&id).ok_or_else(|| ApiError::unknown_app(&id))?;
            let embed = Embed { tasks: true, last_task_failure: true };
            Ok(Json(AppResponse { app: core.app_info(app, embed) }).into_response())
        }
        AppPath::Tasks(id) => app_tasks::list(&engine, &id).map(IntoResponse::into_response),
        AppPath::Versions(id) => {
            if engine.core().app(&id).is_none() {
                return Err(ApiError::unknown_app(&id));
            }
            let mut versions = engine.store().versions(&id).await?;
            versions.reverse();
            Ok(Json(AppVersions { versions }).into_response())
        }
        AppPath::Version(id, version) => {
            let unknown =
                || ApiError::message(StatusCode::NOT_FOUND, &format!("App '{id}' does not exist in version {version}"));
            // Versions go with their app, so an id that names no app (one that is not even an
            // id, such as `/\n<`) is answered here and never becomes a store path.
            let version: Timestamp = version.parse().map_err(|_| unknown())?;
            if engine.core().app(&id).is_none() {
                return Err(unknown());
            }
            let app = engine.store().version(&id, version).await?.ok_or_else(unknown)?;
            Ok(Json(app).into_response())
        }
        AppPath::Task(..) | AppPath::Restart(_) => Err(not_allowed()),
    }
}

/// `PUT /v2/apps/{id}?partialUpdate=&force=` and `PATCH /v2/apps/{id}`: 200 if the app existed,
/// 201 if created.
pub(super) async fn update_under_app(
    method: Method,
    State(state): State<Arc<ApiState>>,
    client: Option<ConnectInfo<SocketAddr>>,
    uri: Uri,
    Path(rest): Path<String>,
    params: Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let partial = is_partial(&method, &params)?;
    update_one(state, (client, uri), rest, params, body, partial).await
}

async fn update_one(
    state: Arc<ApiState>,
    (client, uri): (Option<ConnectInfo<SocketAddr>>, Uri),
    rest: String,
    params: Params,
    body: Bytes,
    partial: bool,
) -> Result<Response, ApiError> {
    let engine = state.engine()?;
    let AppPath::App(id) = AppPath::parse(&rest) else { return Err(not_allowed()) };
    let force = params.flag("force", false)?;
    let request = parse_update(&body)?;
    let mut change = engine.change().await;
    let existed = engine.core().app(&id).is_some();
    let version = change.new_version();
    let app = match request.version {
        Some(old) if existed => restored_version(&engine, &id, old, version).await?,
        _ => updated_app(&engine, &id, &request, partial, version)?,
    };
    let result = change.deploy(vec![AppChange::Put(Box::new(app.clone()))], version, force, BTreeMap::new()).await?;
    publish_post(&engine, &client, &uri, &app);
    let status = if existed { StatusCode::OK } else { StatusCode::CREATED };
    let mut response = deployment_response(status, result);
    if !existed {
        set_header(&mut response, header::LOCATION.as_str(), &format!("{}/v2/apps{id}", state.config.own_url()));
    }
    Ok(response)
}

/// `DELETE` under an app: the app (`force` defaults to true here, as in Marathon), its tasks, one task.
pub(super) async fn delete_under_app(
    State(state): State<Arc<ApiState>>,
    Path(rest): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let engine = state.engine()?;
    match AppPath::parse(&rest) {
        AppPath::App(id) => {
            let force = params.flag("force", true)?;
            let mut change = engine.change().await;
            if engine.core().app(&id).is_none() {
                return Err(ApiError::unknown_app(&id));
            }
            let version = change.new_version();
            let result = change.deploy(vec![AppChange::Remove(id)], version, force, BTreeMap::new()).await?;
            Ok(deployment_response(StatusCode::OK, result))
        }
        AppPath::Tasks(id) => app_tasks::kill_all(&engine, &id, &params).await,
        AppPath::Task(id, task) => app_tasks::kill_one(&engine, &id, &task, &params).await,
        _ => Err(not_allowed()),
    }
}

/// `POST /v2/apps/{id}/restart?force=`: a rolling restart onto a new version of the same config.
pub(super) async fn post_under_app(
    State(state): State<Arc<ApiState>>,
    Path(rest): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let engine = state.engine()?;
    let AppPath::Restart(id) = AppPath::parse(&rest) else { return Err(not_allowed()) };
    let force = params.flag("force", false)?;
    let mut change = engine.change().await;
    let mut app = engine.core().app(&id).cloned().ok_or_else(|| ApiError::unknown_app(&id))?;
    let version = change.new_version();
    stamp(&mut app, None, version);
    let result = change.deploy(vec![AppChange::Put(Box::new(app))], version, force, BTreeMap::new()).await?;
    Ok(deployment_response(StatusCode::OK, result))
}

/// The app `id` after `request`: applied onto the current app for a partial update (or a new
/// app), validated, and versioned.
pub(super) fn updated_app(
    engine: &Engine,
    id: &str,
    request: &AppUpdate,
    partial: bool,
    version: Timestamp,
) -> Result<AppDefinition, ApiError> {
    let current = engine.core().app(id).cloned();
    let base = match (&current, partial) {
        (Some(app), true) => app.clone(),
        _ => AppDefinition::new(id),
    };
    let mut request = request.clone();
    request.id = Some(id.to_string());
    let mut app = validate(&request, &base).map_err(ApiError::invalid)?.into_app();
    stamp(&mut app, current.as_ref(), version);
    Ok(app)
}

/// An earlier version brought back (`PUT {"version": ...}`): a config change.
async fn restored_version(
    engine: &Engine,
    id: &str,
    old: Timestamp,
    version: Timestamp,
) -> Result<AppDefinition, ApiError> {
    let mut app = engine.store().version(id, old).await?.ok_or_else(|| {
        ApiError::message(StatusCode::NOT_FOUND, &format!("App '{id}' does not exist in version {old}"))
    })?;
    stamp(&mut app, None, version);
    Ok(app)
}

/// Sets `version` and `versionInfo` against the app as it was (`before`; None: a new config,
/// as for a new app, a restart or a restored version): a config change moves `lastConfigChangeAt`,
/// a scale only `lastScalingAt`.
pub(super) fn stamp(app: &mut AppDefinition, before: Option<&AppDefinition>, version: Timestamp) {
    let before_info = before.and_then(|before| before.version_info);
    app.version_info = Some(match (before, before_info) {
        (Some(before), Some(info)) if !before.is_upgrade(app) => VersionInfo {
            last_scaling_at: if before.instances != app.instances { version } else { info.last_scaling_at },
            last_config_change_at: info.last_config_change_at,
        },
        _ => VersionInfo { last_scaling_at: version, last_config_change_at: version },
    });
    app.version = Some(version);
}

pub(super) fn parse_update(body: &[u8]) -> Result<AppUpdate, ApiError> {
    serde_json::from_slice(body).map_err(|error| ApiError::bad_json(body, &error))
}

/// `{"deploymentId", "version"}` with the `Marathon-Deployment-Id` header.
pub(super) fn deployment_response(status: StatusCode, result: DeploymentResult) -> Response {
    let id = result.deployment_id.clone();
    let mut response = (status, Json(result)).into_response();
    set_header(&mut response, DEPLOYMENT_ID, &id);
    response
}

fn set_header(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

fn publish_post(engine: &Engine, client: &Option<ConnectInfo<SocketAddr>>, uri: &Uri, app: &AppDefinition) {
    engine.publish(EventKind::ApiPostEvent {
        client_ip: client_ip(client),
        uri: uri.path().to_string(),
        app_definition: Box::new(app.clone()),
    });
}

/// The client's IP, as events name it.
pub(super) fn client_ip(client: &Option<ConnectInfo<SocketAddr>>) -> String {
    client.as_ref().map_or_else(|| "unknown".to_string(), |ConnectInfo(address)| address.ip().to_string())
}

#[cfg(test)]
mod tests {
    use super::AppPath;

    #[test]
    fn paths_under_an_app() {
        assert_eq!(AppPath::parse("shop/web"), AppPath::App("/shop/web".into()));
        assert_eq!(AppPath::parse("web/tasks"), AppPath::Tasks("/web".into()));
        assert_eq!(AppPath::parse("a/b/tasks/a_b.1"), AppPath::Task("/a/b".into(), "a_b.1".into()));
        assert_eq!(AppPath::parse("web/versions"), AppPath::Versions("/web".into()));
        assert_eq!(AppPath::parse("web/restart"), AppPath::Restart("/web".into()));
        assert_eq!(AppPath::parse("tasks"), AppPath::App("/tasks".into()));
    }
}
