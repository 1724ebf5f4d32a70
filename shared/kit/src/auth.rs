//! Bearer tokens (JWT, jsonwebtoken) and the roles they carry. A service names, per route, the
//! role a caller needs (its `Policy`); the `guard` middleware checks the token against it before
//! any handler runs and leaves the caller's `Principal` in the request for handlers that need
//! to know who asks. Tokens and keys are never logged.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// What a token allows. `admin` allows everything; `operator` includes `deploy`, which includes
/// `read`; `agent` and `peer` are for services and include nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reading state.
    Read,
    /// App and framework calls: deploying, scaling, a framework's own calls.
    Deploy,
    /// Teardown, leader abdication, maintenance.
    Operator,
    /// The agent protocol.
    Agent,
    /// Between coordinators.
    Peer,
    /// Everything.
    Admin,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Deploy => "deploy",
            Role::Operator => "operator",
            Role::Agent => "agent",
            Role::Peer => "peer",
            Role::Admin => "admin",
        }
    }

    /// Whether holding `self` allows what `needed` allows.
    pub fn grants(self, needed: Role) -> bool {
        match self {
            Role::Admin => true,
            Role::Operator => matches!(needed, Role::Operator | Role::Deploy | Role::Read),
            Role::Deploy => matches!(needed, Role::Deploy | Role::Read),
            held => held == needed,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A token's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The principal: who holds the token.
    pub sub: String,
    pub roles: Vec<Role>,
    /// Issued at and expires at, in seconds since the epoch.
    pub iat: u64,
    pub exp: u64,
}

/// Who made a request. Without auth configured every caller is `Principal::anyone()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's subject; `None` when the service does not check tokens.
    pub name: Option<String>,
    pub roles: Vec<Role>,
}

impl Principal {
    pub fn anyone() -> Self {
        Principal { name: None, roles: vec![Role::Admin] }
    }

    pub fn has(&self, needed: Role) -> bool {
        self.roles.iter().any(|role| role.grants(needed))
    }
}

/// Why a key or token could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{path}: {reason}")]
    Key { path: String, reason: String },
    #[error("{0}")]
    Token(String),
}

fn read_key(path: &Path) -> Result<Vec<u8>, AuthError> {
    let bytes = std::fs::read(path).map_err(|error| key_error(path, error))?;
    let trimmed = bytes.trim_ascii().to_vec();
    if trimmed.is_empty() {
        return Err(key_error(path, "is empty"));
    }
    Ok(trimmed)
}

fn key_error(path: &Path, reason: impl ToString) -> AuthError {
    AuthError::Key { path: path.display().to_string(), reason: reason.to_string() }
}

/// Checks tokens: signature, expiry, and the claims' shape.
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").field("algorithms", &self.validation.algorithms).finish_non_exhaustive()
    }
}

impl Verifier {
    /// HS256 with a shared secret (`--jwt-secret-file`).
    pub fn from_secret_file(path: &Path) -> Result<Self, AuthError> {
        Ok(Self::with(DecodingKey::from_secret(&read_key(path)?), Algorithm::HS256))
    }

    /// EdDSA or RS256 with a PEM public key (`--jwt-public-key`).
    pub fn from_public_key_file(path: &Path) -> Result<Self, AuthError> {
        let pem = read_key(path)?;
        if let Ok(key) = DecodingKey::from_ed_pem(&pem) {
            return Ok(Self::with(key, Algorithm::EdDSA));
        }
        DecodingKey::from_rsa_pem(&pem)
            .map(|key| Self::with(key, Algorithm::RS256))
            .map_err(|_| key_error(path, "is neither an Ed25519 nor an RSA public key in PEM"))
    }

    fn with(key: DecodingKey, algorithm: Algorithm) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.leeway = 30;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Verifier { key, validation }
    }

    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|error| AuthError::Token(error.to_string()))
    }
}

/// Makes tokens (`corral token issue`, `corral up --secure`).
pub struct Issuer {
    key: EncodingKey,
    algorithm: Algorithm,
}

impl Issuer {
    /// HS256 with the secret in `path`.
    pub fn from_secret_file(path: &Path) -> Result<Self, AuthError> {
        Ok(Issuer { key: EncodingKey::from_secret(&read_key(path)?), algorithm: Algorithm::HS256 })
    }

    /// EdDSA or RS256 with a PEM private key.
    pub fn from_private_key_file(path: &Path) -> Result<Self, AuthError> {
        let pem = read_key(path)?;
        if let Ok(key) = EncodingKey::from_ed_pem(&pem) {
            return Ok(Issuer { key, algorithm: Algorithm::EdDSA });
        }
        EncodingKey::from_rsa_pem(&pem)
            .map(|key| Issuer { key, algorithm: Algorithm::RS256 })
            .map_err(|_| key_error(path, "is neither an Ed25519 nor an RSA private key in PEM"))
    }

    /// A token for `subject` with `roles`, valid for `ttl` from `now` (seconds since the epoch).
    pub fn issue(&self, subject: &str, roles: &[Role], now: u64, ttl: Duration) -> Result<String, AuthError> {
        let claims = Claims { sub: subject.to_string(), roles: roles.to_vec(), iat: now, exp: now + ttl.as_secs() };
        jsonwebtoken::encode(&Header::new(self.algorithm), &claims, &self.key)
            .map_err(|error| AuthError::Token(error.to_string()))
    }
}

/// Now, in seconds since the epoch, as tokens count time.
pub fn unix_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs())
}

/// What a route asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, token or not (`/health`).
    Public,
    /// A token with a role that grants this one.
    Needs(Role),
}

/// A service's access rule: the access a method and path need.
pub type Policy = fn(&Method, &str) -> Access;

/// The rule of an API that only reports (the agent's, the lb's): `/health` is open, everything
/// else needs `read`.
pub fn health_open_else_read(_: &Method, path: &str) -> Access {
    match path {
        "/health" => Access::Public,
        _ => Access::Needs(Role::Read),
    }
}

/// Why a request was turned away before its handler, for the service to answer in its own
/// error shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

/// Answers a refusal in a service's own error shape.
pub type Refuse = fn(Refusal) -> Response;

/// Answers a refusal as Corral's own APIs answer errors: JSON `{"message", "code"}`.
pub fn refuse_as_http_error(refusal: Refusal) -> Response {
    axum::response::IntoResponse::into_response(crate::HttpError::new(refusal.status, refusal.code, refusal.message))
}

/// What the `guard` middleware needs: the verifier (none: tokens are not checked), the policy,
/// and how the service words a refusal.
#[derive(Clone)]
pub struct Guard {
    pub verifier: Option<Arc<Verifier>>,
    pub policy: Policy,
    pub refuse: Refuse,
}

/// The middleware of every router: a state-changing request must say it sends JSON (so no
/// browser form can post across sites), and the caller's token must grant what the route needs.
pub async fn guard(State(guard): State<Guard>, mut request: Request, next: Next) -> Response {
    let decided = content_type_refusal(&request)
        .map_or_else(|| principal(&guard, request.method(), request.uri().path(), request.headers()), Err);
    match decided {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(refusal) => {
            let unauthorized = refusal.status == StatusCode::UNAUTHORIZED;
            let mut response = (guard.refuse)(refusal);
            if unauthorized {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"corral\""));
            }
            response
        }
    }
}

fn principal(
    guard: &Guard,
    method: &Method,
    path: &str,
    headers: &axum::http::HeaderMap,
) -> Result<Principal, Refusal> {
    let Some(verifier) = &guard.verifier else { return Ok(Principal::anyone()) };
    // The web pages hold no data (what they show comes from the API, under the policy).
    let page = matches!(*method, Method::GET | Method::HEAD) && crate::ui::is_web_ui_path(path);
    let needed = match if page { Access::Public } else { (guard.policy)(method, path) } {
        Access::Public => return Ok(Principal { name: None, roles: Vec::new() }),
        Access::Needs(role) => role,
    };
    let unauthorized = |message: String| Refusal { status: StatusCode::UNAUTHORIZED, code: "unauthorized", message };
    let token = match headers.get(header::AUTHORIZATION).map(|value| value.to_str()) {
        None => return Err(unauthorized("this endpoint needs a bearer token (Authorization: Bearer ...)".into())),
        Some(Ok(value)) => match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => return Err(unauthorized("the Authorization header is not `Bearer <token>`".into())),
        },
        Some(Err(_)) => return Err(unauthorized("the Authorization header is not text".into())),
    };
    let claims =
        verifier.verify(token).map_err(|error| unauthorized(format!("the bearer token is not valid: {error}")))?;
    let principal = Principal { name: Some(claims.sub), roles: claims.roles };
    if !principal.has(needed) {
        return Err(Refusal {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: format!("{method} {path} needs the `{needed}` role; the token has {:?}", principal.roles),
        });
    }
    Ok(principal)
}

/// 415 for a POST, PUT or PATCH that does not say it sends JSON. A POST must always say so, body
/// or not: a browser may send a POST across sites without asking, but never one with a JSON
/// Content-Type. PUT and PATCH are never sent across sites unasked, so only a body's type counts.
fn content_type_refusal(request: &Request) -> Option<Refusal> {
    let method = request.method();
    if ![Method::POST, Method::PUT, Method::PATCH].contains(method) {
        return None;
    }
    let given = request.headers().get(header::CONTENT_TYPE).map(|value| value.to_str().unwrap_or("?"));
    let media_type = given.map(|value| value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    match media_type {
        Some(media)
            if media == "application/json" || (media.starts_with("application/") && media.ends_with("+json")) =>
        {
            None
        }
        None if method != Method::POST => None,
        given => Some(Refusal {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            message: match given {
                Some(media) => format!("Content-Type `{media}` is not accepted: send `Content-Type: application/json`"),
                None => "a POST must send `Content-Type: application/json`".to_string(),
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest_as_documented() {
        assert!(Role::Admin.grants(Role::Peer));
        assert!(Role::Operator.grants(Role::Deploy) && Role::Operator.grants(Role::Read));
        assert!(Role::Deploy.grants(Role::Read) && !Role::Deploy.grants(Role::Operator));
        assert!(!Role::Read.grants(Role::Deploy));
        assert!(!Role::Agent.grants(Role::Read) && !Role::Peer.grants(Role::Agent));
    }

    #[test]
    fn a_token_verifies_only_with_its_secret_and_before_it_expires() {
        let dir = tempfile::tempdir().unwrap();
        let (secret, other) = (dir.path().join("secret"), dir.path().join("other"));
        std::fs::write(&secret, "s3cret\n").unwrap();
        std::fs::write(&other, "different").unwrap();
        let now = unix_seconds();
        let token = Issuer::from_secret_file(&secret)
            .unwrap()
            .issue("ops", &[Role::Deploy], now, Duration::from_secs(60))
            .unwrap();
        let claims = Verifier::from_secret_file(&secret).unwrap().verify(&token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.roles), ("ops", vec![Role::Deploy]));
        assert!(Verifier::from_secret_file(&other).unwrap().verify(&token).is_err());
        let expired = Issuer::from_secret_file(&secret)
            .unwrap()
            .issue("ops", &[Role::Deploy], now - 3600, Duration::ZERO)
            .unwrap();
        assert!(Verifier::from_secret_file(&secret).unwrap().verify(&expired).is_err());
    }

    fn request(method: Method, content_type: Option<&str>) -> Request {
        let mut builder = Request::builder().method(method).uri("/v2/apps");
        if let Some(content_type) = content_type {
            builder = builder.header(header::CONTENT_TYPE, content_type);
        }
        builder.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn only_json_may_change_state() {
        let status =
            |method: Method, content_type| content_type_refusal(&request(method, content_type)).map(|r| r.status);
        assert_eq!(status(Method::POST, Some("application/json; charset=utf-8")), None);
        assert_eq!(status(Method::POST, Some("application/merge-patch+json")), None);
        for form in ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"] {
            assert_eq!(status(Method::POST, Some(form)), Some(StatusCode::UNSUPPORTED_MEDIA_TYPE), "{form}");
            assert_eq!(status(Method::PUT, Some(form)), Some(StatusCode::UNSUPPORTED_MEDIA_TYPE), "{form}");
        }
        assert_eq!(status(Method::POST, None), Some(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        assert_eq!(status(Method::PUT, None), None);
        assert_eq!(status(Method::GET, Some("text/plain")), None);
        assert_eq!(status(Method::DELETE, None), None);
    }
}
