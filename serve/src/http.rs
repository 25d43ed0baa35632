//! The HTTP front: KServe Open Inference Protocol v2 REST, SageMaker's container contract
//! (`/ping`, `/invocations`), and Prometheus `/metrics`, on axum. Client mistakes are 4xx
//! with a JSON body saying what was expected; overload is 429 with `Retry-After`.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value as J};

use crate::binary;
use crate::metrics::Metrics;
use crate::runtime::{Model, ServeError};
use crate::tensor::{check_requested_outputs, parse_rows, parse_v2_request};
use crate::wire;

pub struct AppState {
    pub models: BTreeMap<String, Arc<Model>>,
    /// The model `/invocations` serves.
    pub default_model: String,
    pub metrics: Arc<Metrics>,
    pub request_timeout: Duration,
    /// Request bodies are read within this time.
    pub header_timeout: Duration,
    pub max_body: usize,
}

type Shared = Arc<AppState>;

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"error": message.into()}).to_string(),
    )
        .into_response()
}

impl IntoResponse for ServeError {
    fn into_response(self) -> Response {
        let msg = self.to_string();
        match self {
            ServeError::BadRequest(_) => error(StatusCode::BAD_REQUEST, msg),
            ServeError::Overloaded { .. } => {
                let mut r = error(StatusCode::TOO_MANY_REQUESTS, msg);
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                r
            }
            ServeError::Timeout(_) | ServeError::ShuttingDown => {
                let mut r = error(StatusCode::SERVICE_UNAVAILABLE, msg);
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                r
            }
            ServeError::Inference(_) => {
                // ONNX Runtime's message names internals; it goes to the log, not the client.
                eprintln!("mlform-serve: {msg}");
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "inference failed; the server's log has the details",
                )
            }
            _ => error(StatusCode::INTERNAL_SERVER_ERROR, msg),
        }
    }
}

fn json_ok(v: J) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

pub fn router(state: Shared) -> Router {
    Router::new()
        .route(
            "/v2/health/live",
            get(|| async { json_ok(json!({"live": true})) }),
        )
        .route("/v2/health/ready", get(ready))
        .route("/v2", get(server_metadata))
        .route("/v2/models/{name}", get(model_metadata))
        .route("/v2/models/{name}/ready", get(model_ready))
        .route("/v2/models/{name}/infer", post(infer_v2))
        .route("/v2/models/{name}/versions/{version}", get(model_metadata))
        .route(
            "/v2/models/{name}/versions/{version}/ready",
            get(model_ready),
        )
        .route("/v2/models/{name}/versions/{version}/infer", post(infer_v2))
        .route("/ping", get(ping))
        .route("/invocations", post(invocations))
        .route("/metrics", get(metrics))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "no such route; see /v2/models/{name}/infer, /invocations, /ping, /metrics",
            )
        })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            declared_length,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

async fn track(State(state): State<Shared>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let started = Instant::now();
    let response = next.run(req).await;
    state
        .metrics
        .request(&route, response.status().as_u16(), started.elapsed());
    response
}

pub(crate) fn all_ready(state: &AppState) -> bool {
    state
        .models
        .values()
        .all(|m| m.ready.load(Ordering::SeqCst))
}

async fn ready(State(state): State<Shared>) -> Response {
    if all_ready(&state) {
        json_ok(json!({"ready": true}))
    } else {
        error(StatusCode::SERVICE_UNAVAILABLE, "models are still loading")
    }
}

async fn ping(State(state): State<Shared>) -> Response {
    if all_ready(&state) {
        (StatusCode::OK, "").into_response()
    } else {
        error(StatusCode::SERVICE_UNAVAILABLE, "models are still loading")
    }
}

async fn server_metadata() -> Response {
    json_ok(
        json!({"name": "mlform-serve", "version": env!("CARGO_PKG_VERSION"), "extensions": ["binary_tensor_data"]}),
    )
}

fn find<'a>(state: &'a AppState, name: &str) -> Result<&'a Arc<Model>, Response> {
    state.models.get(name).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            format!(
                "no model named \"{name}\"; models served: {}",
                state.models.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        )
    })
}

async fn model_metadata(
    State(state): State<Shared>,
    Path(params): Path<BTreeMap<String, String>>,
) -> Response {
    let name = params.get("name").cloned().unwrap_or_default();
    match find(&state, &name) {
        Ok(m) => json_ok(json!({
            "name": m.name,
            "versions": ["1"],
            "platform": "onnxruntime_onnx",
            "inputs": m.inputs.iter().map(|s| s.to_json()).collect::<Vec<_>>(),
            "outputs": m.outputs.iter().map(|s| s.to_json()).collect::<Vec<_>>(),
        })),
        Err(r) => r,
    }
}

async fn model_ready(
    State(state): State<Shared>,
    Path(params): Path<BTreeMap<String, String>>,
) -> Response {
    let name = params.get("name").cloned().unwrap_or_default();
    match find(&state, &name) {
        Ok(m) if m.ready.load(Ordering::SeqCst) => json_ok(json!({"name": name, "ready": true})),
        Ok(_) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("model \"{name}\" is still loading"),
        ),
        Err(r) => r,
    }
}

/// Reads a request body up to the body limit and within the header timeout.
async fn read_body(state: &AppState, body: Body) -> Result<Bytes, Response> {
    match tokio::time::timeout(
        state.header_timeout,
        axum::body::to_bytes(body, state.max_body),
    )
    .await
    {
        Err(_) => Err(error(
            StatusCode::REQUEST_TIMEOUT,
            "the request body did not arrive within the header timeout (--header-timeout-ms)",
        )),
        Ok(Err(_)) => Err(too_large()),
        Ok(Ok(b)) => Ok(b),
    }
}

fn too_large() -> Response {
    let mut r = error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "the request body is larger than the server's limit (--max-body-bytes)",
    );
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// Refuses a request whose declared Content-Length is over the limit before reading any of
/// its body.
async fn declared_length(State(state): State<Shared>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.max_body as u64) {
        return too_large();
    }
    next.run(req).await
}

fn parse_json(bytes: &[u8]) -> Result<J, Response> {
    serde_json::from_slice(bytes).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!("the request body is not valid JSON: {e}"),
        )
    })
}

/// Splits off the binary tensor data when the request uses the binary extension.
fn json_and_binary<'a>(
    headers: &axum::http::HeaderMap,
    body: &'a [u8],
) -> Result<(&'a [u8], Option<&'a [u8]>), Response> {
    match headers.get(binary::HEADER_LENGTH) {
        None => Ok((body, None)),
        Some(len) => {
            let len = len.to_str().unwrap_or("");
            let (head, rest) =
                binary::split(body, len).map_err(|e| ServeError::BadRequest(e).into_response())?;
            Ok((head, Some(rest)))
        }
    }
}

async fn infer_v2(
    State(state): State<Shared>,
    Path(params): Path<BTreeMap<String, String>>,
    req: Request,
) -> Response {
    let name = params.get("name").cloned().unwrap_or_default();
    let model = match find(&state, &name) {
        Ok(m) => m.clone(),
        Err(r) => return r,
    };
    let (parts, body) = req.into_parts();
    let bytes = match read_body(&state, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (head, binary) = match json_and_binary(&parts.headers, &bytes) {
        Ok(x) => x,
        Err(r) => return r,
    };
    // The fast path takes well-formed requests; the general one says what is wrong.
    let fast = wire::parse_v2(head, &model.inputs, binary);
    let mut request = match fast {
        Some(r) => r,
        None => {
            let body = match parse_json(head) {
                Ok(b) => b,
                Err(r) => return r,
            };
            match parse_v2_request(&body, &model.inputs, binary) {
                Ok(x) => x,
                Err(e) => return ServeError::BadRequest(e).into_response(),
            }
        }
    };
    if let Some(w) = &request.outputs {
        if let Err(e) = check_requested_outputs(w.iter().map(|o| o.name.as_str()), &model.outputs) {
            return ServeError::BadRequest(e).into_response();
        }
    }
    let inputs = std::mem::take(&mut request.inputs);
    let outputs = match model.infer(inputs, state.request_timeout).await {
        Ok(o) => o,
        Err(e) => return e.into_response(),
    };
    let mut binary_part: Vec<u8> = Vec::new();
    let mut any_binary = false;
    let mut outs: Vec<J> = Vec::with_capacity(outputs.len());
    for o in &outputs {
        match request.wants(&o.name) {
            None => {}
            Some(false) => outs.push(o.to_v2()),
            Some(true) => {
                any_binary = true;
                let before = binary_part.len();
                binary::encode(&o.data, &mut binary_part);
                outs.push(
                    json!({"name": o.name, "shape": o.shape, "datatype": o.dtype().v2_name(),
                       "parameters": {"binary_data_size": binary_part.len() - before}}),
                );
            }
        }
    }
    let mut resp = json!({"model_name": model.name, "model_version": "1", "outputs": outs});
    if let Some(id) = request.id {
        resp["id"] = J::String(id);
    }
    if !any_binary {
        return json_ok(resp);
    }
    let head = resp.to_string();
    let mut body = Vec::with_capacity(head.len() + binary_part.len());
    body.extend_from_slice(head.as_bytes());
    body.extend_from_slice(&binary_part);
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (
                header::HeaderName::from_static(binary::HEADER_LENGTH),
                HeaderValue::from(head.len()),
            ),
        ],
        body,
    )
        .into_response()
}

async fn invocations(State(state): State<Shared>, req: Request) -> Response {
    let model = state.models[&state.default_model].clone();
    let bytes = match read_body(&state, req.into_body()).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let fast = wire::parse_rows(&bytes, &model.inputs)
        .map(|t| (t, true))
        .or_else(|| wire::parse_v2(&bytes, &model.inputs, None).map(|r| (r.inputs, false)));
    let (inputs, rows_form) = match fast {
        Some(x) => x,
        None => match general_invocation(&bytes, &model) {
            Ok(x) => x,
            Err(r) => return r,
        },
    };
    respond_invocation(&state, &model, inputs, rows_form).await
}

/// `/invocations` bodies the fast path did not take: parsed as JSON, with errors that say
/// what was expected.
fn general_invocation(
    bytes: &[u8],
    model: &Model,
) -> Result<(Vec<crate::tensor::Tensor>, bool), Response> {
    let body = parse_json(bytes)?;
    Ok(match &body {
        J::Object(o) if o.contains_key("inputs") => match parse_v2_request(&body, &model.inputs, None) {
            Ok(r) => (r.inputs, false),
            Err(e) => return Err(ServeError::BadRequest(e).into_response()),
        },
        J::Object(o) if o.contains_key("instances") => match parse_rows(&o["instances"], &model.inputs) {
            Ok(t) => (t, true),
            Err(e) => return Err(ServeError::BadRequest(e).into_response()),
        },
        J::Array(_) => match parse_rows(&body, &model.inputs) {
            Ok(t) => (t, true),
            Err(e) => return Err(ServeError::BadRequest(e).into_response()),
        },
        _ => return Err(error(StatusCode::BAD_REQUEST, "send {\"instances\": [[...], ...]} rows, a bare array of rows, or {\"inputs\": [...]} V2 tensors")),
    })
}

async fn respond_invocation(
    state: &AppState,
    model: &Arc<Model>,
    inputs: Vec<crate::tensor::Tensor>,
    rows_form: bool,
) -> Response {
    match model.infer(inputs, state.request_timeout).await {
        Ok(outputs) if rows_form => {
            let rows = outputs
                .first()
                .map(|o| o.rows_json())
                .unwrap_or_else(|| "null".into());
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                format!("{{\"predictions\":{rows}}}"),
            )
                .into_response()
        }
        Ok(outputs) => json_ok(
            json!({"model_name": model.name, "outputs": outputs.iter().map(|o| o.to_v2()).collect::<Vec<_>>()}),
        ),
        Err(e) => e.into_response(),
    }
}

async fn metrics(State(state): State<Shared>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
        .into_response()
}
