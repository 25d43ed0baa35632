//! The connection layer under the protocols: accepts TCP connections up to a cap, serves
//! each with HTTP/1.1 (the REST routes) or HTTP/2 (gRPC) under a header/idle timeout, and
//! drains them on shutdown. A client that opens connections and sends nothing holds each
//! for at most the header timeout; beyond the cap, new connections are refused at once (a
//! 503 on HTTP/1.1), so file descriptors never run out.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

/// Limits on connections, whatever they carry.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Longest wait for a request's headers; the idle wait between requests on a kept-alive
    /// connection counts too (hyper starts the timer whenever it waits for a head). Request
    /// bodies are read under the same limit.
    pub header_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
}

fn over_capacity() -> Vec<u8> {
    let body =
        r#"{"error":"the server has too many open connections (--max-connections); retry later"}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Raises the soft limit on open files to the hard limit, so the connection cap, not the
/// process's descriptor limit, is what refuses connections.
fn raise_file_limit() {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// What a listener serves.
#[derive(Clone)]
pub enum Protocol {
    /// HTTP/1.1: KServe V2 REST, SageMaker, metrics.
    Http(Router),
    /// HTTP/2: KServe V2 gRPC.
    Grpc(crate::grpc::GrpcService),
}

/// Serves `protocol` on `listener` until `shutdown` resolves, then lets each connection
/// finish its request in progress (at most `drain` long) and returns.
pub async fn run(
    listener: TcpListener,
    protocol: Protocol,
    limits: ConnectionLimits,
    drain: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    raise_file_limit();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    let mut accept_errors_logged = false;
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            a = listener.accept() => a,
        };
        let (stream, _) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Out of descriptors (EMFILE) and the like pass; try again shortly.
                if !accept_errors_logged {
                    eprintln!("mlform-serve: cannot accept a connection: {e}");
                    accept_errors_logged = true;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        match slots.clone().try_acquire_owned() {
            Ok(permit) => {
                let protocol = protocol.clone();
                let stop = stop_rx.clone();
                tokio::spawn(async move {
                    match protocol {
                        Protocol::Http(app) => serve_connection(stream, app, limits, stop).await,
                        Protocol::Grpc(service) => {
                            serve_grpc_connection(stream, service, limits, stop).await
                        }
                    }
                    drop(permit);
                });
            }
            Err(_) if matches!(protocol, Protocol::Http(_)) => {
                tokio::spawn(refuse(stream));
            }
            // An HTTP/2 client sees the connection close and backs off.
            Err(_) => drop(stream),
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(drain, slots.acquire_many(all)).await;
}

async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&over_capacity())).await;
    let _ = stream.shutdown().await;
}

async fn serve_connection(
    stream: TcpStream,
    app: Router,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) {
    let service = TowerToHyperService::new(app);
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = async { let _ = stop.wait_for(|s| *s).await; } => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Serves one gRPC connection. The client must start within the header timeout; after that
/// HTTP/2 keep-alive pings find peers that went away.
async fn serve_grpc_connection(
    stream: TcpStream,
    service: crate::grpc::GrpcService,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) {
    let mut first = [0u8; 1];
    match tokio::time::timeout(limits.header_timeout, stream.peek(&mut first)).await {
        Ok(Ok(n)) if n > 0 => {}
        _ => return,
    }
    let conn = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(20))
        .max_concurrent_streams(1024)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = async { let _ = stop.wait_for(|s| *s).await; } => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
