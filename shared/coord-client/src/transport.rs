//! One call to the coordinator with fail-over: which failures are retried on the next server, and
//! how an answer becomes a decoded value or a `CoordError`.
//!
//! The rules: a request that never reached a server (connect refused, unreachable) and a 503 (the
//! server did not apply it) are retried on the next server, cycling, with a doubling pause after
//! each full round, until the call's deadline. Reads are also retried after a timeout, a broken
//! connection or a 504; writes are not, since they may have been applied: they fail with
//! `OutcomeUnknown`.

use std::error::Error as _;
use std::time::Duration;

use corral_wire::coordinator::{MIN_ZXID_HEADER, ZXID_HEADER};
use corral_wire::ErrorBody;
use reqwest::header::CONTENT_TYPE;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::time::Instant;

use crate::backoff::Backoff;
use crate::{CoordClient, CoordError};

/// How a call may be retried, and whether it reads state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// A read of the tree: retried after any transport error; asks for at least the seen zxid.
    Read,
    /// A change that is not safe to repeat: retried only when it surely was not applied.
    Write,
    /// A request that is safe to repeat and is not a read of the tree (keepalive, watch, status).
    Idempotent,
}

impl CallKind {
    fn retries_after_sending(self) -> bool {
        !matches!(self, CallKind::Write)
    }

    fn sends_min_zxid(self) -> bool {
        matches!(self, CallKind::Read)
    }
}

/// A request to send to whichever server answers.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    method: Method,
    /// The path and query, such as `/v1/znodes/a?consistent=true`.
    route: String,
    body: Option<Vec<u8>>,
    kind: CallKind,
    attempt_timeout: Option<Duration>,
    deadline: Option<Instant>,
}

impl Call {
    pub(crate) fn new(method: Method, route: String, kind: CallKind) -> Self {
        Call { method, route, body: None, kind, attempt_timeout: None, deadline: None }
    }

    /// Sends `body` as JSON.
    pub(crate) fn json(mut self, body: &impl Serialize) -> Self {
        let encoded = serde_json::to_vec(body).expect("wire types always serialize to JSON");
        self.body = Some(encoded);
        self
    }

    /// Overrides the configured time one attempt may take.
    pub(crate) fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Overrides the configured deadline after which no further attempt starts.
    pub(crate) fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }
}

/// A server's answer other than 503.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    /// The server's applied zxid, from the `x-corral-zxid` header.
    pub(crate) zxid: Option<u64>,
    body: Vec<u8>,
}

impl Reply {
    /// The decoded body of a 2xx answer, or the `CoordError::Api` of any other.
    pub(crate) fn decode<T: DeserializeOwned>(self) -> Result<T, CoordError> {
        if !(200..300).contains(&self.status) {
            return Err(self.into_error());
        }
        serde_json::from_slice(&self.body)
            .map_err(|error| CoordError::Decode(format!("{error} in {:?}", String::from_utf8_lossy(&self.body))))
    }

    fn into_error(self) -> CoordError {
        let mut body = serde_json::from_slice::<ErrorBody>(&self.body).unwrap_or_else(|_| {
            let text = String::from_utf8_lossy(&self.body).trim().to_owned();
            let message = if text.is_empty() { format!("HTTP {}", self.status) } else { text };
            ErrorBody { message, code: None, zxid: None }
        });
        body.zxid = body.zxid.or(self.zxid);
        CoordError::Api { status: self.status, body }
    }
}

/// What one attempt against one server came to.
enum Attempt {
    Answered(Reply),
    /// Nothing was applied, or the call is safe to repeat: try the next server.
    Retry(String),
    /// A write whose outcome cannot be known.
    Lost(String),
}

impl CoordClient {
    /// Sends `call` to the current server, failing over as the module's rules say.
    pub(crate) async fn execute(&self, call: &Call) -> Result<Reply, CoordError> {
        let config = self.config();
        let deadline = call.deadline.unwrap_or_else(|| Instant::now() + config.deadline);
        let attempt_timeout = call.attempt_timeout.unwrap_or(config.request_timeout);
        let servers = self.addresses().len();
        let mut backoff = Backoff::new(config.backoff_min, config.backoff_max);
        let mut failures = 0usize;
        let mut last_problem = String::from("no attempt started before the deadline");
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                let message = format!("{failures} attempts failed, the last one: {last_problem}");
                return Err(CoordError::Unavailable(message));
            }
            let index = self.current_index();
            let base = &self.addresses().base_urls()[index];
            match self.attempt(call, base, attempt_timeout.min(remaining)).await {
                Attempt::Answered(reply) => return Ok(reply),
                Attempt::Lost(problem) => {
                    return Err(CoordError::OutcomeUnknown(format!("{base}: {problem}")));
                }
                Attempt::Retry(problem) => {
                    tracing::debug!(message = "Coordinator call failed, trying the next server.", server = %base, route = %call.route, %problem);
                    last_problem = format!("{base}: {problem}");
                }
            }
            failures += 1;
            self.move_past(index);
            if failures.is_multiple_of(servers) {
                let pause = backoff.next_pause().min(deadline.saturating_duration_since(Instant::now()));
                tokio::time::sleep(pause).await;
            }
        }
    }

    async fn attempt(&self, call: &Call, base: &str, timeout: Duration) -> Attempt {
        let url = format!("{base}{}", call.route);
        let mut request = self.http().request(call.method.clone(), url).timeout(timeout);
        let seen = self.seen_zxid();
        if call.kind.sends_min_zxid() && seen > 0 {
            request = request.header(MIN_ZXID_HEADER, seen);
        }
        if let Some(body) = &call.body {
            request = request.header(CONTENT_TYPE, "application/json").body(body.clone());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) if error.is_connect() || call.kind.retries_after_sending() => {
                return Attempt::Retry(describe(&error));
            }
            Err(error) => return Attempt::Lost(describe(&error)),
        };
        let status = response.status().as_u16();
        let zxid = response.headers().get(ZXID_HEADER).and_then(|value| parse_zxid(value.to_str().ok()?));
        if let Some(zxid) = zxid {
            self.observe_zxid(zxid);
        }
        let body = match response.bytes().await {
            Ok(body) => body.to_vec(),
            Err(error) if status == 503 || call.kind.retries_after_sending() => {
                return Attempt::Retry(describe(&error));
            }
            Err(error) => return Attempt::Lost(describe(&error)),
        };
        let reply = Reply { status, zxid, body };
        match status {
            503 => Attempt::Retry(reply.into_error().to_string()),
            // The server lost track of a write's outcome (its leader's answer was lost).
            504 if call.kind.retries_after_sending() => Attempt::Retry(reply.into_error().to_string()),
            504 => Attempt::Lost(reply.into_error().to_string()),
            _ => Attempt::Answered(reply),
        }
    }
}

/// A zxid header value: decimal, or hexadecimal with a `0x` prefix.
fn parse_zxid(value: &str) -> Option<u64> {
    let value = value.trim();
    match value.strip_prefix("0x").or_else(|| value.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => value.parse().ok(),
    }
}

/// A transport error with its causes, which reqwest's own message leaves out.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, zxid: Option<u64>, body: &str) -> Reply {
        Reply { status, zxid, body: body.as_bytes().to_vec() }
    }

    #[test]
    fn parses_zxid_headers() {
        assert_eq!(parse_zxid("42"), Some(42));
        assert_eq!(parse_zxid(" 0x1f "), Some(31));
        assert_eq!(parse_zxid("x"), None);
    }

    #[test]
    fn decodes_errors_and_fills_the_zxid_from_the_header() {
        let error = reply(404, Some(9), r#"{"message":"no node /a","code":"no_node"}"#)
            .decode::<serde_json::Value>()
            .unwrap_err();
        assert!(error.is_no_node());
        assert_eq!(error.zxid(), Some(9));

        let error = reply(410, Some(9), r#"{"message":"gone","code":"history_cleared","zxid":12}"#)
            .decode::<serde_json::Value>()
            .unwrap_err();
        assert_eq!(error.zxid(), Some(12));

        let error = reply(502, None, "").decode::<serde_json::Value>().unwrap_err();
        assert_eq!(error.to_string(), "coordinator answered 502: HTTP 502");
    }

    #[test]
    fn decodes_success_bodies() {
        let value: serde_json::Value = reply(201, None, r#"{"a":1}"#).decode().unwrap();
        assert_eq!(value["a"], 1);
        let error = reply(200, None, "not json").decode::<serde_json::Value>().unwrap_err();
        assert!(matches!(error, CoordError::Decode(_)));
    }

    #[tokio::test]
    async fn gives_up_as_unavailable_when_nothing_listens() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let config = crate::CoordClientConfig { deadline: Duration::from_millis(300), ..Default::default() };
        let client = CoordClient::with_config(address.to_string().parse().unwrap(), config);
        let call = Call::new(Method::POST, "/v1/znodes/a".into(), CallKind::Write);
        let error = client.execute(&call).await.unwrap_err();
        assert!(error.is_unavailable(), "{error}");
    }
}
