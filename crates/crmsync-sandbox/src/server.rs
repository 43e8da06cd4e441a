//! Serving an axum router on loopback with per-connection control (fault-injected drops) and graceful shutdown.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::SandboxError;

/// Paths under this prefix are the emulators' own control routes: never rate limited, never faulted.
pub const CONTROL_PREFIX: &str = "/sandbox/";

/// How long shutdown waits for in-flight requests before closing their connections.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The address of the client that sent a request; every request carries it as an extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// Lets a request handler or layer close its own connection without answering (a "dropped connection").
/// Every request carries it as an extension.
#[derive(Debug, Clone, Default)]
pub struct ConnectionControl {
    drop_now: Arc<Notify>,
}

impl ConnectionControl {
    /// Closes the connection that carried the request as soon as possible; nothing more is written to it.
    pub fn drop_connection(&self) {
        self.drop_now.notify_one();
    }
}

/// `127.0.0.1:0`: the loopback address with a free port.
pub fn loopback_any_port() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)
}

/// Binds a listener on `addr`.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, SandboxError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| SandboxError::Bind { addr, source })
}

/// A running server: its address, and a way to stop it.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl ServerHandle {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish for up to [`SHUTDOWN_GRACE`], then closes everything.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::warn!(%error, "sandbox server task ended abnormally");
        }
    }

    /// Waits until the server stops (after [`shutdown`](Self::shutdown) from elsewhere, or forever).
    pub async fn wait(self) {
        if let Err(error) = self.task.await {
            tracing::warn!(%error, "sandbox server task ended abnormally");
        }
    }

    /// A sender that stops the server when `true` is sent; for callers that keep the handle elsewhere.
    pub fn stopper(&self) -> watch::Sender<bool> {
        self.stop.clone()
    }
}

/// Serves `router` on `listener` until the returned handle is shut down.
pub fn serve(router: Router, listener: TcpListener) -> Result<ServerHandle, SandboxError> {
    let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
        addr: loopback_any_port(),
        source,
    })?;
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(accept_loop(router, listener, stopped));
    Ok(ServerHandle { addr, stop, task })
}

async fn accept_loop(router: Router, listener: TcpListener, stopped: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    let connection_stop = stopped.clone();
    loop {
        tokio::select! {
            () = until_stopped(stopped.clone()) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve_connection(router.clone(), stream, peer, connection_stop.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}

async fn serve_connection(
    router: Router,
    stream: TcpStream,
    peer: SocketAddr,
    stopped: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let control = ConnectionControl::default();
    let drop_now = Arc::clone(&control.drop_now);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(PeerAddr(peer));
        request.extensions_mut().insert(control.clone());
        let router = router.clone();
        async move {
            let request: Request = request.map(Body::new);
            let response = router.oneshot(request).await;
            Ok::<_, Infallible>(match response {
                Ok(response) => response,
                Err(never) => match never {},
            })
        }
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut closing = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            () = drop_now.notified() => return,
            () = until_stopped(stopped.clone()), if !closing => {
                closing = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Completes once `true` is sent, or when the sender is gone.
async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    loop {
        if *stopped.borrow_and_update() {
            return;
        }
        if stopped.changed().await.is_err() {
            return;
        }
    }
}
