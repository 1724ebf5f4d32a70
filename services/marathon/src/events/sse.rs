//! `GET /v2/events`: the bus as Server-Sent Events, the way Marathon streams them.
//!
//! - The client must send `Accept: text/event-stream`. Marathon's Jetty `EventSourceServlet`
//!   otherwise falls through to the servlet default, `405 HTTP method GET is not supported by this
//!   URL` (documented in Marathon's `events.raml`); we answer that status with a JSON body.
//! - Each event is `event: <eventType>\ndata: <json>\n\n`. `?event_type=a&event_type=b` keeps only
//!   those types; none means every type.
//! - Attaching publishes `event_stream_attached` and leaving (the response body dropped, whatever
//!   the reason) publishes `event_stream_detached`, both with the client's address. The stream
//!   subscribes before it publishes, so a client sees its own `event_stream_attached` first.
//! - A stream quiet for the heartbeat interval gets an empty line, as Jetty's `EventSourceServlet`
//!   writes (`\r\n` every 10 s there). The SSE parsing rules dispatch nothing for a blank line
//!   between events, and line-based clients such as marathon-lb skip empty lines.
//! - A consumer that falls more than the bus capacity behind is disconnected (Marathon: "If the
//!   consumer does not read the messages fast enough the connection will be dropped"). The body is
//!   only polled when the connection can take more, so a slow reader only lags its own receiver
//!   and nobody else waits for it.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use corral_wire::marathon::{ErrorBody, Event, EventKind};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::broadcast::{self, WeakSender};
use tokio::time::Instant;

use super::EventBus;

/// What a quiet stream is sent every heartbeat interval: an empty line.
pub const HEARTBEAT: &[u8] = b"\n";

/// Events already waiting are written together, up to this many per chunk.
const EVENTS_PER_CHUNK: usize = 64;

const EVENT_STREAM: &str = "text/event-stream";

/// Which event types a stream sends: the `event_type` values of its query, or every type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Empty means every type.
    types: BTreeSet<String>,
}

impl EventFilter {
    /// Every event type.
    pub fn everything() -> EventFilter {
        EventFilter::default()
    }

    /// Only these event types (every type if there are none).
    pub fn of_types<S: Into<String>>(types: impl IntoIterator<Item = S>) -> EventFilter {
        EventFilter { types: types.into_iter().map(Into::into).filter(|t: &String| !t.is_empty()).collect() }
    }

    /// The repeated `event_type=` values of a raw query string (`a=1&event_type=x&event_type=y`),
    /// percent-decoded. Other parameters are ignored, and so are empty values.
    pub fn from_query(query: Option<&str>) -> EventFilter {
        let pairs = query.unwrap_or_default().split('&').filter_map(|pair| pair.split_once('='));
        EventFilter::of_types(pairs.filter(|(key, _)| decode(key) == "event_type").map(|(_, value)| decode(value)))
    }

    pub fn accepts(&self, event_type: &str) -> bool {
        self.types.is_empty() || self.types.contains(event_type)
    }
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; malformed escapes
/// are kept as they are.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'%').then(|| text.get(at + 1..at + 3)).flatten();
        match (bytes[at], escaped.and_then(|hex| u8::from_str_radix(hex, 16).ok())) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                at += 3;
                continue;
            }
            (b'+', _) => decoded.push(b' '),
            (byte, _) => decoded.push(byte),
        }
        at += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// True when the request's `Accept` headers name `text/event-stream` (parameters and case
/// ignored). Like Marathon, a wildcard such as `*/*` is not enough.
pub fn accepts_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|media_range| media_range.split(';').next().unwrap_or_default().trim())
        .any(|media_type| media_type.eq_ignore_ascii_case(EVENT_STREAM))
}

/// The answer to `GET /v2/events` without `Accept: text/event-stream`: Marathon's 405, as JSON.
pub fn event_stream_not_accepted() -> Response {
    let message = "HTTP method GET is not supported by this URL without the header Accept: text/event-stream";
    (StatusCode::METHOD_NOT_ALLOWED, axum::Json(ErrorBody::message(message))).into_response()
}

/// The `200 text/event-stream` response of one client, `remote_address` being its IP as Marathon
/// reports it (`127.0.0.1`). Publishes `event_stream_attached` now and `event_stream_detached`
/// when the body ends or is dropped.
pub fn event_stream(bus: &EventBus, filter: EventFilter, remote_address: String, heartbeat: Duration) -> Response {
    let receiver = bus.subscribe();
    bus.publish(EventKind::EventStreamAttached { remote_address: remote_address.clone() });
    let stream = Stream {
        receiver,
        filter,
        heartbeat,
        ended: false,
        detach: DetachOnDrop { bus: bus.downgrade(), remote_address },
    };
    let chunks = futures::stream::unfold(stream, |mut stream| async move {
        let chunk = stream.next_chunk().await?;
        Some((Ok::<_, Infallible>(chunk), stream))
    });
    let headers = [(header::CONTENT_TYPE, EVENT_STREAM), (header::CACHE_CONTROL, "no-cache")];
    (StatusCode::OK, headers, Body::from_stream(chunks)).into_response()
}

/// One client's end of the bus.
struct Stream {
    receiver: broadcast::Receiver<Arc<Event>>,
    filter: EventFilter,
    heartbeat: Duration,
    /// Set when the last chunk has been taken (the client lagged or the bus is gone).
    ended: bool,
    detach: DetachOnDrop,
}

impl Stream {
    /// The next bytes to send: the events that pass the filter, or a heartbeat after a quiet
    /// interval; `None` ends the response.
    async fn next_chunk(&mut self) -> Option<Bytes> {
        if self.ended {
            return None;
        }
        let quiet_until = Instant::now() + self.heartbeat;
        loop {
            let received = tokio::select! {
                received = self.receiver.recv() => received,
                _ = tokio::time::sleep_until(quiet_until) => return Some(Bytes::from_static(HEARTBEAT)),
            };
            match received {
                Ok(event) if self.filter.accepts(event.event_type()) => return Some(self.chunk_from(&event)),
                Ok(_) => continue,
                Err(RecvError::Lagged(missed)) => {
                    self.disconnect_slow_consumer(missed);
                    return None;
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// `first` and the events already waiting behind it, as one chunk.
    fn chunk_from(&mut self, first: &Event) -> Bytes {
        let mut chunk = first.to_sse();
        for _ in 1..EVENTS_PER_CHUNK {
            match self.receiver.try_recv() {
                Ok(event) if self.filter.accepts(event.event_type()) => chunk.push_str(&event.to_sse()),
                Ok(_) => {}
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Lagged(missed)) => {
                    self.disconnect_slow_consumer(missed);
                    break;
                }
                Err(TryRecvError::Closed) => {
                    self.ended = true;
                    break;
                }
            }
        }
        Bytes::from(chunk)
    }

    fn disconnect_slow_consumer(&mut self, missed: u64) {
        self.ended = true;
        let remote_address = &self.detach.remote_address;
        tracing::warn!(message = "Closing the event stream of a slow consumer.", %remote_address, missed);
    }
}

/// Publishes `event_stream_detached` when the stream goes, without keeping the bus alive.
struct DetachOnDrop {
    bus: WeakSender<Arc<Event>>,
    remote_address: String,
}

impl Drop for DetachOnDrop {
    fn drop(&mut self) {
        if let Some(sender) = self.bus.upgrade() {
            let remote_address = std::mem::take(&mut self.remote_address);
            EventBus { sender }.publish(EventKind::EventStreamDetached { remote_address });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::BodyDataStream;
    use axum::http::HeaderValue;
    use futures::StreamExt;
    use serde_json::Value;

    const PATIENCE: Duration = Duration::from_secs(5);
    /// Long enough that no heartbeat shows up in tests that are not about heartbeats.
    const NO_HEARTBEAT: Duration = Duration::from_secs(3600);

    /// An attached client reading its response body.
    struct Client {
        body: BodyDataStream,
        unread: String,
    }

    impl Client {
        fn attach(bus: &EventBus, filter: EventFilter, address: &str, heartbeat: Duration) -> Client {
            let response = event_stream(bus, filter, address.to_string(), heartbeat);
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(response.headers()[header::CONTENT_TYPE], "text/event-stream");
            Client { body: response.into_body().into_data_stream(), unread: String::new() }
        }

        /// The next chunk of the body, `None` once it has ended.
        async fn chunk(&mut self) -> Option<String> {
            let chunk = tokio::time::timeout(PATIENCE, self.body.next()).await.expect("the stream stalled")?;
            Some(String::from_utf8(chunk.expect("a body chunk").to_vec()).expect("UTF-8"))
        }

        /// The next event, heartbeats skipped, as `"<eventType> <the id it is about>"`.
        async fn next_event(&mut self) -> String {
            loop {
                self.unread = self.unread.trim_start_matches('\n').to_string();
                if let Some(end) = self.unread.find("\n\n") {
                    let message: String = self.unread.drain(..end + 2).collect();
                    return summary(&message);
                }
                let chunk = self.chunk().await.expect("the stream ended while an event was expected");
                self.unread.push_str(&chunk);
            }
        }

        async fn has_ended(&mut self) -> bool {
            self.unread.trim_start_matches('\n').is_empty() && self.chunk().await.is_none()
        }
    }

    /// Checks one SSE message and names its event.
    fn summary(message: &str) -> String {
        let (event_line, data_line) = message.trim_end().split_once('\n').expect("an event line and a data line");
        let event_type = event_line.strip_prefix("event: ").expect("an event line");
        let data: Value = serde_json::from_str(data_line.strip_prefix("data: ").expect("a data line")).unwrap();
        assert_eq!(data["eventType"], event_type, "{message}");
        assert!(data["timestamp"].is_string(), "{message}");
        let about = ["remoteAddress", "appId", "groupId"].iter().find_map(|key| data[key].as_str()).unwrap_or("");
        format!("{event_type} {about}")
    }

    fn terminated(app_id: &str) -> EventKind {
        EventKind::AppTerminatedEvent { app_id: app_id.to_string() }
    }

    fn group_changed(group_id: &str) -> EventKind {
        let version = corral_wire::marathon::Timestamp::from_millis(0);
        EventKind::GroupChangeSuccess { group_id: group_id.to_string(), version }
    }

    #[tokio::test]
    async fn attaches_first_filters_and_detaches() {
        let bus = EventBus::new(16);
        let mut everything = Client::attach(&bus, EventFilter::everything(), "10.0.0.1", NO_HEARTBEAT);
        let query = "event_type=app_terminated_event&event_type=event_stream_detached";
        let mut some = Client::attach(&bus, EventFilter::from_query(Some(query)), "10.0.0.2", NO_HEARTBEAT);
        bus.publish(group_changed("/prod"));
        bus.publish(terminated("/prod/web"));
        let brief = event_stream(&bus, EventFilter::everything(), "10.0.0.3".to_string(), NO_HEARTBEAT);
        assert_eq!(bus.subscriber_count(), 3);
        drop(brief);
        assert_eq!(bus.subscriber_count(), 2);

        for expected in [
            "event_stream_attached 10.0.0.1",
            "event_stream_attached 10.0.0.2",
            "group_change_success /prod",
            "app_terminated_event /prod/web",
            "event_stream_attached 10.0.0.3",
            "event_stream_detached 10.0.0.3",
        ] {
            assert_eq!(everything.next_event().await, expected);
        }
        for expected in ["app_terminated_event /prod/web", "event_stream_detached 10.0.0.3"] {
            assert_eq!(some.next_event().await, expected);
        }
    }

    #[tokio::test]
    async fn a_quiet_stream_gets_heartbeats() {
        let bus = EventBus::new(16);
        let filter = EventFilter::of_types(["event_stream_attached", "app_terminated_event"]);
        let mut client = Client::attach(&bus, filter, "10.0.0.1", Duration::from_millis(30));
        assert_eq!(client.next_event().await, "event_stream_attached 10.0.0.1");
        // Events the filter drops do not count as traffic.
        bus.publish(group_changed("/prod"));
        assert_eq!(client.chunk().await.as_deref(), Some("\n"));
        assert_eq!(client.chunk().await.as_deref(), Some("\n"));
        bus.publish(terminated("/prod/web"));
        assert_eq!(client.next_event().await, "app_terminated_event /prod/web");
    }

    #[tokio::test]
    async fn a_slow_consumer_is_disconnected_and_the_others_miss_nothing() {
        let bus = EventBus::new(4);
        let mut slow = Client::attach(&bus, EventFilter::everything(), "10.0.0.1", NO_HEARTBEAT);
        let mut fast = Client::attach(&bus, EventFilter::everything(), "10.0.0.2", NO_HEARTBEAT);
        for expected in ["event_stream_attached 10.0.0.1", "event_stream_attached 10.0.0.2"] {
            assert_eq!(slow.next_event().await, expected);
        }
        assert_eq!(fast.next_event().await, "event_stream_attached 10.0.0.2");

        // The slow client reads nothing more while more than the bus holds is published.
        for n in 0..10 {
            bus.publish(terminated(&format!("/app-{n}")));
            assert_eq!(fast.next_event().await, format!("app_terminated_event /app-{n}"));
        }
        assert!(slow.has_ended().await, "the slow stream is closed");
        drop(slow);
        assert_eq!(fast.next_event().await, "event_stream_detached 10.0.0.1");
        assert_eq!(bus.subscriber_count(), 1);
    }

    #[tokio::test]
    async fn dropping_the_bus_ends_every_stream() {
        let bus = EventBus::new(4);
        let mut client = Client::attach(&bus, EventFilter::everything(), "10.0.0.1", NO_HEARTBEAT);
        assert_eq!(client.next_event().await, "event_stream_attached 10.0.0.1");
        drop(bus);
        assert!(client.has_ended().await);
    }

    /// Whether a request with these `Accept` headers gets the stream.
    fn check_accept(accept: &[&str], expected: bool) {
        let mut headers = HeaderMap::new();
        for value in accept {
            headers.append(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        }
        assert_eq!(accepts_event_stream(&headers), expected, "Accept: {accept:?}");
    }

    #[test]
    fn needs_accept_text_event_stream() {
        check_accept(&["text/event-stream"], true);
        check_accept(&["Text/Event-Stream; charset=utf-8"], true);
        check_accept(&["application/json, text/event-stream;q=0.9"], true);
        check_accept(&["application/json", "text/event-stream"], true);
        check_accept(&[], false);
        check_accept(&["*/*"], false);
        check_accept(&["text/*"], false);
        check_accept(&["application/json"], false);
    }

    #[tokio::test]
    async fn without_the_accept_header_the_answer_is_405_json() {
        let response = event_stream_not_accepted();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert!(body["message"].as_str().unwrap().contains("Accept: text/event-stream"), "{body}");
    }

    /// The filter read from `query` lets exactly `passing` through, of the types tried.
    fn check_filter(query: Option<&str>, passing: &[&str]) {
        let filter = EventFilter::from_query(query);
        for event_type in ["status_update_event", "app_terminated_event", "a b", "embed", "x"] {
            let expected = passing.contains(&"*") || passing.contains(&event_type);
            assert_eq!(filter.accepts(event_type), expected, "{query:?} and {event_type}");
        }
    }

    #[test]
    fn reads_event_types_from_the_query() {
        check_filter(None, &["*"]);
        check_filter(Some(""), &["*"]);
        check_filter(Some("event_type=status_update_event"), &["status_update_event"]);
        check_filter(
            Some("embed=x&event_type=status_update_event&event_type=app_terminated_event"),
            &["status_update_event", "app_terminated_event"],
        );
        check_filter(Some("event_type=status%5Fupdate%5fevent&event%5Ftype=a+b"), &["status_update_event", "a b"]);
        check_filter(Some("event_type=&event_type"), &["*"]);
        check_filter(Some("x=event_type"), &["*"]);
        check_filter(Some("event_type=%zz"), &[]);
    }
}
