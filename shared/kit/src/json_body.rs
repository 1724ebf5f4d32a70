//! [`JsonBody`]: a JSON request body, whose errors are 400s that say what was wrong and where (413
//! for a body over the limit).

use axum::async_trait;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::HttpError;

/// The request body parsed as JSON into `T`.
pub struct JsonBody<T>(pub T);

#[async_trait]
impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state).await.map_err(|error| {
            let status = error.status();
            let code =
                if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE { "payload_too_large" } else { "bad_request" };
            HttpError::new(status, code, format!("cannot read the request body: {}", error.body_text()))
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses a JSON body read by other means, with the same 400s as [`JsonBody`].
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, HttpError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(HttpError::bad_request("the request body is empty; a JSON object is expected"));
    }
    serde_json::from_slice(bytes).map_err(|error| HttpError::bad_request(format!("invalid JSON body: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        count: u32,
    }

    fn check(body: &str, expected: &str) {
        let message = match parse_json::<Sample>(body.as_bytes()) {
            Ok(sample) => format!("ok {sample:?}"),
            Err(error) => error.body.message,
        };
        assert!(message.contains(expected), "{body:?} gave {message:?}");
    }

    #[test]
    fn names_what_is_wrong() {
        check(r#"{"count": 3}"#, "ok");
        check("", "empty");
        check("{", "EOF");
        check(r#"{"count": "x"}"#, "invalid type");
        check(r#"{"count": 1, "extra": 2}"#, "unknown field `extra`");
        check(r#"{}"#, "missing field `count`");
    }
}
