//! The one way Corral builds an HTTP client: keep-alive connections, bounded connect time.

use std::time::Duration;

/// A plain client: for calls that carry no credentials, such as health checks of tasks. Calls
/// to other Corral services go through `ClientSecurity::http_client`, which adds TLS and the
/// bearer token to this. Per-request timeouts are set by the caller, since a long-poll and a
/// heartbeat need very different ones.
pub fn http_client() -> reqwest::Client {
    builder().build().expect("the HTTP client configuration is valid")
}

pub(crate) fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
}
