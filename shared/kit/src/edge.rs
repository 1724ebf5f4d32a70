//! What every router gets at its edge, in one call: the guard (bearer tokens by the service's
//! policy, JSON-only state changes) and error answers that are always JSON. An error the
//! framework answers before any handler runs (a path parameter that does not parse, a method the
//! route does not serve, a body over the limit) comes as plain text or nothing; here it becomes
//! `{"message": ..., "code": ...}` like every other error, with its status kept.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::auth::{self, Guard};
use crate::HttpError;

/// The most of a non-JSON error body kept as its message.
const MESSAGE_LIMIT: usize = 4096;

/// `router` behind the guard, with every error answered as JSON.
pub fn edge(router: Router, guard: Guard) -> Router {
    router.layer(middleware::from_fn(json_errors)).layer(middleware::from_fn_with_state(guard, auth::guard))
}

async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if status.as_u16() < 400 || is_json(response.headers().get(header::CONTENT_TYPE)) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MESSAGE_LIMIT).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let message = match text.is_empty() {
        true => status.canonical_reason().unwrap_or("error").to_string(),
        false => text,
    };
    let mut answer = HttpError::new(status, code(status), message).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    answer
}

fn is_json(content_type: Option<&HeaderValue>) -> bool {
    content_type.and_then(|value| value.to_str().ok()).is_some_and(|value| value.contains("json"))
}

fn code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        status if status.is_server_error() => "server_error",
        _ => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    async fn answer(router: &Router, request: Request<Body>) -> (StatusCode, serde_json::Value) {
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    #[tokio::test]
    async fn errors_the_framework_answers_become_json_and_keep_their_status() {
        let guard = crate::Security::default().guard(|_, _| auth::Access::Public, auth::refuse_as_http_error);
        let routes = Router::new()
            .route("/n/:n", get(|axum::extract::Path(n): axum::extract::Path<u64>| async move { n.to_string() }))
            .route("/ok", get(|| async { "fine" }));
        let router = edge(routes, guard);
        let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();

        let (status, body) = answer(&router, get("/n/0x10")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["message"].as_str().unwrap().contains("0x10"), "{body}");
        let (status, body) = answer(&router, Request::delete("/ok").body(Body::empty()).unwrap()).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed")));
        let (status, body) = answer(&router, get("/nowhere")).await;
        assert_eq!((status, body["message"].as_str()), (StatusCode::NOT_FOUND, Some("Not Found")));
        let response = router.clone().oneshot(get("/ok")).await.unwrap();
        assert_eq!(axum::body::to_bytes(response.into_body(), 100).await.unwrap(), "fine", "successes pass untouched");
    }
}
