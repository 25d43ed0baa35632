//! The ONNX model server behind `mlform serve`: one process that serves one or more ONNX
//! models over KServe's Open Inference Protocol v2 and SageMaker's container contract, with
//! dynamic batching, a bounded queue that sheds load with 429, readiness after warm-up,
//! Prometheus metrics and graceful shutdown on SIGTERM.
//!
//! This crate is the image's binary (`mlform-serve`) and the library behind `mlform serve`.
//! It depends on ONNX Runtime and the HTTP stack only: the planning engine and the cloud
//! SDKs depend on it, never the reverse, so the image carries none of them.

pub mod args;
pub mod binary;
pub mod grpc;
pub mod http;
pub mod inspect;
pub mod metrics;
pub mod runtime;
pub mod server;
pub mod tensor;
pub mod wire;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use runtime::ServeError;

/// Everything `mlform serve` needs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// (name, path) of each model.
    pub models: Vec<(String, PathBuf)>,
    pub host: String,
    pub port: u16,
    /// Port of KServe V2 gRPC, if served.
    pub grpc_port: Option<u16>,
    pub ort_library: Option<PathBuf>,
    pub model: runtime::ModelOptions,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    pub limits: server::ConnectionLimits,
}

/// Collects models from `--model` files and a `--model-dir` of `.onnx` files.
pub fn collect_models(
    model: Option<PathBuf>,
    name: Option<String>,
    dir: Option<PathBuf>,
) -> Result<Vec<(String, PathBuf)>, String> {
    let mut out = Vec::new();
    let stem = |p: &std::path::Path| {
        p.file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "model".into())
    };
    if let Some(p) = model {
        out.push((name.unwrap_or_else(|| stem(&p)), p));
    }
    if let Some(d) = dir {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
            .map_err(|e| format!("cannot read model directory {}: {e}", d.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "onnx"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(format!(
                "the model directory {} has no .onnx files",
                d.display()
            ));
        }
        for f in files {
            out.push((stem(&f), f));
        }
    }
    if out.is_empty() {
        return Err(format!(
            "no model given: use --model PATH.onnx or --model-dir DIR (or put models in {})",
            args::SAGEMAKER_MODEL_DIR
        ));
    }
    let mut names: Vec<&String> = out.iter().map(|(n, _)| n).collect();
    names.sort();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err("two models have the same name; use --name or rename the files".into());
    }
    Ok(out)
}

/// Loads the models, warms them up, and serves until SIGTERM or Ctrl-C, then drains
/// in-flight requests and returns.
pub async fn serve(
    options: ServeOptions,
    on_listening: impl FnOnce(SocketAddr, Option<SocketAddr>),
) -> Result<(), ServeError> {
    let env = runtime::init_runtime(options.ort_library.as_deref())?;
    let metrics = Arc::new(metrics::Metrics::new());
    let mut models = BTreeMap::new();
    for (name, path) in &options.models {
        let m = runtime::Model::load(env, name, path, &options.model, metrics.clone())?;
        models.insert(name.clone(), m);
    }
    let default_model = options.models[0].0.clone();
    let state = Arc::new(http::AppState {
        models: models.clone(),
        default_model,
        metrics,
        request_timeout: options.request_timeout,
        header_timeout: options.limits.header_timeout,
        max_body: options.max_body_bytes,
    });
    let app = http::router(state.clone());
    let listener = bind(&options.host, options.port).await?;
    let local = local_addr(&listener)?;
    let grpc = match options.grpc_port {
        Some(port) => {
            let l = bind(&options.host, port).await?;
            let a = local_addr(&l)?;
            Some((l, a))
        }
        None => None,
    };
    on_listening(local, grpc.as_ref().map(|(_, a)| *a));
    // Liveness answers at once; readiness waits for the warm-up inference of every model.
    for m in models.values() {
        let m = m.clone();
        tokio::spawn(async move {
            if let Err(e) = m.warm_up().await {
                eprintln!("warm-up of model {} failed: {e}", m.name);
            }
        });
    }
    let drain = options.request_timeout + Duration::from_secs(1);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let http = server::run(
        listener,
        server::Protocol::Http(app),
        options.limits,
        drain,
        stopped(),
    );
    match grpc {
        Some((l, _)) => {
            let grpc = server::run(
                l,
                server::Protocol::Grpc(grpc::GrpcService::new(state)),
                options.limits,
                drain,
                stopped(),
            );
            tokio::join!(http, grpc);
        }
        None => http.await,
    }
    Ok(())
}

async fn bind(host: &str, port: u16) -> Result<tokio::net::TcpListener, ServeError> {
    let addr: SocketAddr = format!("{host}:{port}")
        .parse()
        .map_err(|e| ServeError::Runtime {
            path: None,
            reason: format!("bad listen address {host}:{port}: {e}"),
        })?;
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| ServeError::Runtime {
            path: None,
            reason: format!("cannot listen on {addr}: {e}"),
        })
}

fn local_addr(listener: &tokio::net::TcpListener) -> Result<SocketAddr, ServeError> {
    listener.local_addr().map_err(|e| ServeError::Runtime {
        path: None,
        reason: e.to_string(),
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
