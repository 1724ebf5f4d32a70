//! The one server bootstrap: bind (failing with the address in the message), serve a router
//! until Ctrl-C or SIGTERM, then drain in-flight requests.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

/// Binds a listener, naming the address when that fails.
pub async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|error| io::Error::new(error.kind(), format!("cannot listen on {addr}: {error}")))
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        // Answers are small and latency matters: never hold a segment back for Nagle.
        .tcp_nodelay(true)
        .with_graceful_shutdown(shutdown)
        .await
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

/// Serves `router` on `listener` in the background until Ctrl-C or SIGTERM.
pub fn spawn_server(listener: TcpListener, router: Router) -> RunningServer {
    let (signal, signalled) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        signal.send_replace(true);
    });
    let mut until = signalled.clone();
    let stop = async move {
        let _ = until.wait_for(|signalled| *signalled).await;
    };
    RunningServer { task: tokio::spawn(serve(listener, router, stop)), signalled }
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
