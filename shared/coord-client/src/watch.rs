//! `WatchStream`: every change to a set of paths and prefixes, in zxid order, from a long-poll that
//! resumes where it left off — on the same server or, after a failure, on another one.

use std::collections::VecDeque;
use std::time::Duration;

use corral_wire::coordinator::{WatchEvent, WatchRequest, WatchResponse};
use reqwest::Method;
use tokio::time::Instant;

use crate::transport::{Call, CallKind};
use crate::{CoordClient, CoordError};

/// Extra time a long-poll attempt is given beyond the time the server holds it open.
const POLL_MARGIN: Duration = Duration::from_secs(5);

/// What to watch: exact paths, and prefixes that match a znode and everything below it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchSpec {
    pub paths: Vec<String>,
    pub prefixes: Vec<String>,
}

impl WatchSpec {
    /// Events on exactly `path`.
    pub fn path(path: impl Into<String>) -> Self {
        WatchSpec { paths: vec![path.into()], prefixes: Vec::new() }
    }

    /// Events on `prefix` and everything below it.
    pub fn prefix(prefix: impl Into<String>) -> Self {
        WatchSpec { paths: Vec::new(), prefixes: vec![prefix.into()] }
    }

    pub fn and_path(mut self, path: impl Into<String>) -> Self {
        self.paths.push(path.into());
        self
    }

    pub fn and_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefixes.push(prefix.into());
        self
    }
}

/// One item of a watch stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchItem {
    Event(WatchEvent),
    /// The server's history no longer reaches back to where the stream was: events were missed.
    /// The consumer must re-read the state it follows; the stream resumes after `zxid`, so events
    /// between `zxid` and the re-read may be seen again, but none is missed.
    Reset {
        zxid: u64,
    },
}

/// Events matching a `WatchSpec` with a zxid greater than where the stream started, one by one.
///
/// `next` is cancel-safe: dropping its future (e.g. in `tokio::select!`) loses no event.
#[derive(Debug)]
pub struct WatchStream {
    client: CoordClient,
    spec: WatchSpec,
    since: u64,
    pending: VecDeque<WatchEvent>,
}

impl CoordClient {
    /// Watches `spec` for every event after `since` (the zxid of the state the caller has read,
    /// such as `Observed::zxid`).
    pub fn watch(&self, spec: WatchSpec, since: u64) -> WatchStream {
        WatchStream { client: self.clone(), spec, since, pending: VecDeque::new() }
    }
}

impl WatchStream {
    /// The next event or reset. An error (`Unavailable` when no server answered in time) loses
    /// nothing: calling `next` again resumes from the same point.
    pub async fn next(&mut self) -> Result<WatchItem, CoordError> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(WatchItem::Event(event));
            }
            match self.poll().await {
                Ok(response) => self.accept(response),
                Err(error) if error.is_history_cleared() => {
                    self.since = self.since.max(error.zxid().unwrap_or(0));
                    return Ok(WatchItem::Reset { zxid: self.since });
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Every event up to this zxid has been returned (or is about to be, from the buffer).
    pub fn since(&self) -> u64 {
        self.since
    }

    pub fn spec(&self) -> &WatchSpec {
        &self.spec
    }

    async fn poll(&self) -> Result<WatchResponse, CoordError> {
        let poll = self.client.config().watch_poll;
        let request = WatchRequest {
            paths: self.spec.paths.clone(),
            prefixes: self.spec.prefixes.clone(),
            since: self.since,
            timeout_ms: Some(u64::try_from(poll.as_millis()).unwrap_or(u64::MAX)),
        };
        let attempt_timeout = poll + POLL_MARGIN;
        let deadline = Instant::now() + self.client.config().deadline + attempt_timeout;
        let call = Call::new(Method::POST, "/v1/watch".into(), CallKind::Idempotent)
            .json(&request)
            .attempt_timeout(attempt_timeout)
            .deadline(deadline);
        self.client.execute(&call).await?.decode()
    }

    fn accept(&mut self, response: WatchResponse) {
        let since = self.since;
        let newest = response.events.iter().map(|event| event.zxid).max().unwrap_or(0);
        self.pending.extend(response.events.into_iter().filter(|event| event.zxid > since));
        self.since = since.max(response.zxid).max(newest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corral_wire::coordinator::EventKind;

    fn event(zxid: u64) -> WatchEvent {
        WatchEvent { zxid, path: "/a".into(), kind: EventKind::DataChanged }
    }

    #[test]
    fn accepts_only_newer_events_and_moves_forward() {
        let client = CoordClient::new("a:1".parse().unwrap());
        let mut stream = client.watch(WatchSpec::path("/a"), 5);
        stream.accept(WatchResponse { events: vec![event(4), event(6), event(6)], zxid: 8 });
        assert_eq!(stream.since(), 8);
        assert_eq!(stream.pending, [event(6), event(6)]);
        stream.accept(WatchResponse { events: vec![], zxid: 3 });
        assert_eq!(stream.since(), 8);
    }
}
