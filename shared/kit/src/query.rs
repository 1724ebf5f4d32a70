//! [`QueryParams`]: query-string parameters parsed into `T`, with 400 JSON errors naming the
//! parameter that was wrong.

use axum::async_trait;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::HttpError;

pub struct QueryParams<T>(pub T);

#[async_trait]
impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Query::try_from_uri(&parts.uri)
            .map(|Query(params)| QueryParams(params))
            .map_err(|rejection| HttpError::bad_request(format!("invalid query parameters: {}", rejection.body_text())))
    }
}
