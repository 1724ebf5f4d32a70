//! Query parameters as Marathon reads them: repeatable (`embed=a&embed=b`), and boolean flags
//! (`force`, `scale`, ...) that must be `true` or `false`.

use axum::async_trait;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::StatusCode;
use corral_wire::marathon::{ErrorBody, ErrorDetail};

use super::ApiError;

pub(super) struct Params(Vec<(String, String)>);

impl Params {
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    pub(super) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.0.iter().filter(move |(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// A boolean flag, `default` when absent.
    pub(super) fn flag(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(value) if value.eq_ignore_ascii_case("true") || value.is_empty() => Ok(true),
            Some(value) if value.eq_ignore_ascii_case("false") => Ok(false),
            Some(value) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorBody {
                    details: Some(corral_wire::marathon::ErrorDetails::Fields(vec![ErrorDetail::new(
                        &format!("/{name}"),
                        &format!("`{value}` is not true or false"),
                    )])),
                    ..ErrorBody::message("Invalid query parameter")
                },
            )),
        }
    }
}

#[async_trait]
impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|Query(pairs)| Params(pairs))
            .map_err(|rejection| ApiError::message(StatusCode::BAD_REQUEST, &rejection.body_text()))
    }
}
