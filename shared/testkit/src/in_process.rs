//! An axum router served in the test's own process on a free loopback port, for tests that stand
//! in for another service (a leader to forward to, a fake coordinator) without starting a binary.

use std::net::SocketAddr;

/// Serves `router` on `127.0.0.1:<free port>` until the test's runtime ends; handlers may extract
/// `ConnectInfo<SocketAddr>`. Returns the address.
pub async fn serve_in_process(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free loopback port");
    let address = listener.local_addr().expect("a bound listener has an address");
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.expect("the in-process server runs") });
    address
}
