//! The one server bootstrap: bind (failing with the address in the message), serve a router
//! over plain HTTP or TLS until Ctrl-C or SIGTERM, then drain in-flight requests. Every listener
//! has the same limits, so no client can hold a service open by being slow or many: a request's
//! head must arrive within [`HEADER_TIMEOUT`] and its body within [`BODY_TIMEOUT`], a TLS
//! handshake within [`HANDSHAKE_TIMEOUT`], and at most [`connection_cap`] connections are open at
//! once (the next waits in the kernel's backlog). Answers may take as long as they take: long
//! polls and event streams are answers.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::tls::ServerTls;

/// Binds a listener, naming the address when that fails.
pub async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|error| io::Error::new(error.kind(), format!("cannot listen on {addr}: {error}")))
}

/// How long a client has to finish its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client has to send a request's head (its line and headers).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client has to send a request's body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// The most connections a listener keeps open, whatever the limit on open files.
const MAX_CONNECTIONS: usize = 32_768;
/// Open files kept free for everything else a service opens (its database, its own calls).
const FILES_KEPT_FREE: u64 = 512;

/// How many connections a listener keeps open: [`MAX_CONNECTIONS`], or fewer when the process may
/// open fewer files than that (with [`FILES_KEPT_FREE`] left for the rest), so that the server
/// never runs out of descriptors.
pub fn connection_cap() -> usize {
    let files =
        nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).map_or(1024, |(soft, _)| soft);
    let usable = files.saturating_sub(FILES_KEPT_FREE).max(16);
    usize::try_from(usable).unwrap_or(MAX_CONNECTIONS).min(MAX_CONNECTIONS)
}

/// Serves `router` on `listener`, over TLS when `tls` is given, until `shutdown` resolves; then
/// waits for the open connections to finish. HTTP/1.1 and HTTP/2 (ALPN, or prior knowledge on
/// plain connections) both work; every request carries the client's address (`ConnectInfo`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<ServerTls>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
    builder.http2().timer(TokioTimer::new());
    let router = router.layer(RequestBodyTimeoutLayer::new(BODY_TIMEOUT));
    let open = Arc::new(Semaphore::new(connection_cap()));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was taken:
                    // neither ends the server.
                    tracing::warn!(message = "Could not accept a connection.", %error);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Answers are small and latency matters: never hold a segment back for Nagle.
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(remote));
            router.clone().oneshot(request)
        });
        let (builder, watcher, tls) = (builder.clone(), graceful.watcher(), tls.clone());
        tokio::spawn(async move {
            // Held as long as the connection is open.
            let _permit = permit;
            let served = match tls {
                None => {
                    watcher
                        .watch(builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned())
                        .await
                }
                Some(_) if !starts_with_tls(&stream).await => {
                    refuse_plain_http(stream).await;
                    return;
                }
                Some(tls) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.acceptor().accept(stream)).await {
                    Ok(Ok(stream)) => {
                        watcher
                            .watch(builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned())
                            .await
                    }
                    Ok(Err(error)) => {
                        tracing::debug!(message = "TLS handshake failed.", %remote, %error);
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(message = "TLS handshake timed out.", %remote);
                        return;
                    }
                },
            };
            if let Err(error) = served {
                tracing::debug!(message = "Connection ended with an error.", %remote, %error);
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Whether the client's first byte opens a TLS handshake (a record of type 22).
async fn starts_with_tls(stream: &tokio::net::TcpStream) -> bool {
    let mut first = [0u8; 1];
    matches!(tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.peek(&mut first)).await, Ok(Ok(1)) if first[0] == 0x16)
}

/// Tells a plain-HTTP client on a TLS port what went wrong, instead of only closing on it.
async fn refuse_plain_http(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let body = r#"{"message":"this port serves HTTPS: use https://","code":"tls_required"}"#;
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!(message = "Shutting down.");
}

/// A server running in the background until Ctrl-C or SIGTERM.
pub struct RunningServer {
    task: tokio::task::JoinHandle<io::Result<()>>,
    signalled: tokio::sync::watch::Receiver<bool>,
}

/// Serves `router` on `listener` (over TLS when `tls` is given) in the background until Ctrl-C
/// or SIGTERM.
pub fn spawn_server(listener: TcpListener, router: Router, tls: Option<ServerTls>) -> RunningServer {
    let (signal, signalled) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        signal.send_replace(true);
    });
    let mut until = signalled.clone();
    let stop = async move {
        let _ = until.wait_for(|signalled| *signalled).await;
    };
    RunningServer { task: tokio::spawn(serve(listener, router, tls, stop)), signalled }
}

impl RunningServer {
    /// Resolves when Ctrl-C or SIGTERM has come.
    pub async fn signalled(&self) {
        let mut signalled = self.signalled.clone();
        let _ = signalled.wait_for(|signalled| *signalled).await;
    }

    /// Resolves once the server has stopped after the signal: when its requests are done, or
    /// `limit` after the signal, since long-polls and event streams never end on their own (the
    /// process's exit ends them).
    pub async fn stopped(self, limit: std::time::Duration) -> io::Result<()> {
        let mut signalled = self.signalled;
        let deadline = async move {
            let _ = signalled.wait_for(|signalled| *signalled).await;
            tokio::time::sleep(limit).await;
        };
        tokio::select! {
            served = self.task => served.unwrap_or_else(|error| Err(io::Error::other(error))),
            () = deadline => {
                tracing::info!(message = "Stopping with requests still open (long-polls, event streams).");
                Ok(())
            }
        }
    }
}
