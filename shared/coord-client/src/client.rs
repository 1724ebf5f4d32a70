//! `CoordClient`: the cheap-to-clone handle on a coordinator ensemble, with its configuration, the
//! address it currently talks to and the highest zxid it has seen.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::CoordAddresses;

/// How patient a `CoordClient` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoordClientConfig {
    /// How long one call may keep trying servers before it fails with `Unavailable`.
    pub deadline: Duration,
    /// How long one attempt against one server may take.
    pub request_timeout: Duration,
    /// The first pause after every server has failed once; it doubles up to `backoff_max`.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// How long the server holds a watch long-poll open when nothing happens.
    pub watch_poll: Duration,
}

impl Default for CoordClientConfig {
    fn default() -> Self {
        CoordClientConfig {
            deadline: Duration::from_secs(10),
            request_timeout: Duration::from_secs(5),
            backoff_min: Duration::from_millis(50),
            backoff_max: Duration::from_millis(500),
            watch_poll: Duration::from_secs(25),
        }
    }
}

/// An async client of the coordinator's HTTP API that fails over between the servers of an
/// ensemble. Clones share the connection pool, the current server and the highest zxid seen.
#[derive(Clone)]
pub struct CoordClient {
    inner: Arc<Shared>,
}

struct Shared {
    http: reqwest::Client,
    addresses: CoordAddresses,
    config: CoordClientConfig,
    /// Index into `addresses` of the server calls go to first.
    current: AtomicUsize,
    /// The highest zxid any answer has shown; reads ask for at least this state.
    seen_zxid: AtomicU64,
}

impl CoordClient {
    /// A client with the default configuration.
    pub fn new(addresses: CoordAddresses) -> Self {
        Self::with_config(addresses, CoordClientConfig::default())
    }

    pub fn with_config(addresses: CoordAddresses, config: CoordClientConfig) -> Self {
        Self::with_http_client(addresses, config, corral_kit::http_client())
    }

    /// A client that calls as `security` says: with this process's TLS trust and identity, and
    /// its bearer token.
    pub fn with_security(addresses: CoordAddresses, security: &corral_kit::ClientSecurity) -> Self {
        Self::with_http_client(addresses, CoordClientConfig::default(), security.http_client())
    }

    /// A client that sends its requests through `http`, e.g. to share one connection pool.
    pub fn with_http_client(addresses: CoordAddresses, config: CoordClientConfig, http: reqwest::Client) -> Self {
        let shared = Shared { http, addresses, config, current: AtomicUsize::new(0), seen_zxid: AtomicU64::new(0) };
        CoordClient { inner: Arc::new(shared) }
    }

    pub fn addresses(&self) -> &CoordAddresses {
        &self.inner.addresses
    }

    pub fn config(&self) -> &CoordClientConfig {
        &self.inner.config
    }

    /// The base URL of the server calls go to first.
    pub fn current_address(&self) -> &str {
        &self.inner.addresses.base_urls()[self.current_index()]
    }

    /// The highest zxid this client has seen in any answer.
    pub fn seen_zxid(&self) -> u64 {
        self.inner.seen_zxid.load(Ordering::Acquire)
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) fn observe_zxid(&self, zxid: u64) {
        self.inner.seen_zxid.fetch_max(zxid, Ordering::AcqRel);
    }

    pub(crate) fn current_index(&self) -> usize {
        self.inner.current.load(Ordering::Acquire) % self.inner.addresses.len()
    }

    /// Moves on to the server after `failed`, unless another call has already moved on from it.
    pub(crate) fn move_past(&self, failed: usize) {
        let next = (failed + 1) % self.inner.addresses.len();
        let _ = self.inner.current.compare_exchange(failed, next, Ordering::AcqRel, Ordering::Acquire);
    }
}

impl fmt::Debug for CoordClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoordClient")
            .field("addresses", &self.inner.addresses.base_urls())
            .field("current", &self.current_address())
            .field("seen_zxid", &self.seen_zxid())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(list: &str) -> CoordClient {
        CoordClient::new(list.parse().unwrap())
    }

    #[test]
    fn moves_past_a_failed_server_once() {
        let client = client("a:1,b:2,c:3");
        assert_eq!(client.current_address(), "http://a:1");
        client.move_past(0);
        client.move_past(0);
        assert_eq!(client.current_address(), "http://b:2");
        client.move_past(1);
        client.move_past(2);
        assert_eq!(client.current_address(), "http://a:1");
    }

    #[test]
    fn keeps_the_highest_zxid() {
        let client = client("a:1");
        client.observe_zxid(5);
        client.observe_zxid(3);
        assert_eq!(client.clone().seen_zxid(), 5);
    }
}
