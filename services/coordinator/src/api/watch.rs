//! The watch long-poll: one request carries many paths and prefixes and answers with every later
//! event, in zxid order, as soon as there is at least one (or empty when its wait ends).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use corral_kit::{HttpError, JsonBody};
use corral_wire::coordinator::{WatchRequest, WatchResponse};

use super::error::ApiError;
use crate::node::CoordinatorNode;
use crate::tree::validate_path;
use crate::watch_history::WatchFilter;

const DEFAULT_WAIT: Duration = Duration::from_secs(30);
const LONGEST_WAIT: Duration = Duration::from_secs(300);

pub(super) async fn watch(
    State(node): State<Arc<CoordinatorNode>>,
    JsonBody(request): JsonBody<WatchRequest>,
) -> Result<Json<WatchResponse>, ApiError> {
    for path in request.paths.iter().chain(&request.prefixes) {
        validate_path(path, false)?;
    }
    if request.paths.is_empty() && request.prefixes.is_empty() {
        return Err(HttpError::bad_request("a watch needs at least one of `paths` or `prefixes`").into());
    }
    let wait = request.timeout_ms.map_or(DEFAULT_WAIT, Duration::from_millis).min(LONGEST_WAIT);
    // A client that saw a later zxid on another node must not be answered from older state.
    node.wait_applied(request.since).await?;
    let filter = WatchFilter { paths: request.paths, prefixes: request.prefixes };
    let _waiting = node.stats.watching();
    let deadline = tokio::time::Instant::now() + wait;
    let mut changes = node.applied.subscribe();
    let mut since = request.since;
    loop {
        changes.borrow_and_update();
        match node.applied.events_since(since, &filter) {
            Err(_) => {
                let mut error = HttpError::new(
                    StatusCode::GONE,
                    "history_cleared",
                    format!("the event history no longer reaches back to zxid {since:#x}; re-read and watch from the zxid given"),
                );
                error.body.zxid = Some(node.applied.zxid());
                return Err(error.into());
            }
            Ok((events, zxid)) if !events.is_empty() => return Ok(Json(WatchResponse { events, zxid })),
            // Nothing matched up to `zxid`: later scans start there.
            Ok((_, zxid)) => since = zxid.max(since),
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { break },
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    Ok(Json(WatchResponse { events: Vec::new(), zxid: since }))
}
