//! `POST /api/v1/scheduler`: the Mesos v1 scheduler API in its JSON form. SUBSCRIBE answers
//! 200 with a RecordIO event stream and `Mesos-Stream-Id`; every other call answers 202 and must
//! carry that stream id.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use corral_kit::auth::Principal;
use corral_kit::HttpError;
use corral_wire::mesos::{Call, CallType, FrameworkId, Subscribe};

use super::{leader_or_redirect, ApiError};
use crate::event_stream;
use crate::service::{Leader, MasterService};
use corral_kit::random_uuid;

pub(super) const STREAM_ID_HEADER: &str = "mesos-stream-id";

pub(super) async fn call(
    State(service): State<Arc<MasterService>>,
    uri: Uri,
    headers: HeaderMap,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let call: Call = corral_kit::parse_json(&body)?;
    let leader = leader_or_redirect(&service, &uri)?;
    if call.call_type == CallType::Subscribe {
        return subscribe(&service, &leader, call, &principal).await;
    }
    let stream_id = headers.get(STREAM_ID_HEADER).and_then(|value| value.to_str().ok());
    let result = answer(&leader, call, stream_id);
    if result.is_err() {
        leader.cluster().counters.invalid_calls += 1;
    }
    let teardown = result?;
    if let Some(id) = teardown {
        if let Err(error) = leader.registry.remove_framework(&id).await {
            tracing::warn!(message = "Could not remove a framework from the registry.", framework_id = %id, %error);
        }
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

/// The principal a framework subscribes as: its token's subject when tokens are checked (a
/// different `principal` in its FrameworkInfo is refused), else the one it names.
fn principal_of(caller: &Principal, named: Option<String>) -> Result<Option<String>, ApiError> {
    match (&caller.name, named) {
        (None, named) => Ok(named),
        (Some(subject), Some(named)) if &named != subject => Err(HttpError::new(
            StatusCode::FORBIDDEN,
            "principal_mismatch",
            format!("`subscribe.framework_info.principal` is `{named}` but the token is `{subject}`'s"),
        )
        .into()),
        (Some(subject), _) => Ok(Some(subject.clone())),
    }
}

/// Every call but SUBSCRIBE. Returns the framework to remove from the registry after TEARDOWN.
fn answer(leader: &Leader, call: Call, stream_id: Option<&str>) -> Result<Option<FrameworkId>, ApiError> {
    let mut cluster = leader.cluster();
    cluster.check_subscribed(call.framework_id.as_ref(), stream_id)?;
    let framework_id = call.framework_id.clone().expect("checked above");
    let now = Instant::now();
    let missing = |field: &str| HttpError::bad_request(format!("a {:?} call needs `{field}`", call.call_type));
    match call.call_type {
        CallType::Subscribe => unreachable!("handled by subscribe"),
        CallType::Teardown => {
            cluster.teardown(&framework_id);
            return Ok(Some(framework_id));
        }
        CallType::Accept => {
            let accept = call.accept.ok_or_else(|| missing("accept"))?;
            cluster.accept(&framework_id, accept, now)?;
        }
        CallType::Decline => cluster.decline(&framework_id, call.decline.ok_or_else(|| missing("decline"))?, now),
        CallType::Revive => cluster.revive(&framework_id),
        CallType::Suppress => cluster.suppress(&framework_id),
        CallType::Kill => cluster.kill(&framework_id, call.kill.ok_or_else(|| missing("kill"))?)?,
        CallType::Acknowledge => {
            cluster.acknowledge(&framework_id, call.acknowledge.ok_or_else(|| missing("acknowledge"))?)?
        }
        CallType::Reconcile => cluster.reconcile(&framework_id, call.reconcile.ok_or_else(|| missing("reconcile"))?),
        CallType::Message => cluster.message(&framework_id, call.message.ok_or_else(|| missing("message"))?)?,
        // There are no custom executors to shut down and no resource requests to act on.
        CallType::Shutdown | CallType::Request => {}
        CallType::AcceptInverseOffers
        | CallType::DeclineInverseOffers
        | CallType::AcknowledgeOperationStatus
        | CallType::ReconcileOperations
        | CallType::Unknown => {
            return Err(HttpError::bad_request(format!("call type {:?} is not supported", call.call_type)).into())
        }
    }
    Ok(None)
}

async fn subscribe(
    service: &MasterService,
    leader: &Arc<Leader>,
    call: Call,
    caller: &Principal,
) -> Result<Response, ApiError> {
    let Subscribe { mut framework_info, .. } =
        call.subscribe.ok_or_else(|| HttpError::bad_request("a SUBSCRIBE call needs `subscribe`"))?;
    if framework_info.name.trim().is_empty() {
        return Err(HttpError::bad_request("`subscribe.framework_info.name` is empty").into());
    }
    if framework_info.failover_timeout.is_some_and(|seconds| !seconds.is_finite() || seconds < 0.0) {
        return Err(HttpError::bad_request("`subscribe.framework_info.failover_timeout` must be 0 or more").into());
    }
    let given = framework_info.id.clone().or(call.framework_id.clone());
    if let (Some(outer), Some(inner)) = (&call.framework_id, &framework_info.id) {
        if outer != inner {
            return Err(HttpError::bad_request("`framework_id` and `subscribe.framework_info.id` differ").into());
        }
    }
    framework_info.principal = principal_of(caller, framework_info.principal.take())?;
    let id = {
        let mut cluster = leader.cluster();
        if let Some(id) = &given {
            cluster.check_framework_principal(id, framework_info.principal.as_deref())?;
        }
        match given {
            Some(id) if cluster.is_completed_framework(&id) => {
                return Err(HttpError::new(
                    StatusCode::FORBIDDEN,
                    "framework_removed",
                    format!("framework {id} has been torn down and cannot subscribe again"),
                )
                .into())
            }
            Some(id) => id,
            None => cluster.next_framework_id(),
        }
    };
    framework_info.id = Some(id.clone());
    leader.registry.put_framework(&framework_info).await?;

    let stream_id = random_uuid();
    let (sender, receiver) = event_stream::channel(stream_id.clone());
    leader.cluster().subscribe(id.clone(), framework_info, sender);
    let on_close = {
        let (leader, id, stream_id) = (leader.clone(), id, stream_id.clone());
        move || leader.cluster().stream_closed(&id, &stream_id, Instant::now())
    };
    let body = event_stream::recordio_body(receiver, service.config.heartbeat_interval, on_close);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::HeaderName::from_static(STREAM_ID_HEADER), stream_id),
        ],
        body,
    )
        .into_response())
}
