//! The one way Corral builds an HTTP client: keep-alive connections, bounded connect time.

use std::time::Duration;

/// A client for service-to-service calls. Per-request timeouts are set by the caller, since a
/// long-poll and a heartbeat need very different ones.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        .build()
        .expect("the HTTP client configuration is valid")
}
