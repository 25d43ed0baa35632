//! The HTTP front: KServe Open Inference Protocol v2 REST, SageMaker's container contract
//! (`/ping`, `/invocations`), and Prometheus `/metrics`, on axum. Client mistakes are 4xx
//! with a JSON body saying what was expected; overload is 429 with `Retry-After`.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value as J};

use super::metrics::Metrics;
use super::runtime::{Model, ServeError};
use super::tensor::{parse_rows, parse_v2_request, BadRequest};

pub struct AppState {
    pub models: BTreeMap<String, Arc<Model>>,
    /// The model `/invocations` serves.
    pub default_model: String,
    pub metrics: Arc<Metrics>,
    pub request_timeout: Duration,
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

pub fn router(state: Shared, max_body: usize) -> Router {
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
        .route("/ping", get(ping))
        .route("/invocations", post(invocations))
        .route("/metrics", get(metrics))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "no such route; see /v2/models/{name}/infer, /invocations, /ping, /metrics",
            )
        })
        .layer(DefaultBodyLimit::max(max_body))
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

fn all_ready(state: &AppState) -> bool {
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
    json_ok(json!({"name": "mlform-serve", "version": env!("CARGO_PKG_VERSION"), "extensions": []}))
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

async fn model_metadata(State(state): State<Shared>, Path(name): Path<String>) -> Response {
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

async fn model_ready(State(state): State<Shared>, Path(name): Path<String>) -> Response {
    match find(&state, &name) {
        Ok(m) if m.ready.load(Ordering::SeqCst) => json_ok(json!({"name": name, "ready": true})),
        Ok(_) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("model \"{name}\" is still loading"),
        ),
        Err(r) => r,
    }
}

fn parse_json(
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<J, Response> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is larger than the server's limit (--max-body-bytes)",
            )
        } else {
            error(e.status(), e.body_text())
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!("the request body is not valid JSON: {e}"),
        )
    })
}

async fn infer_v2(
    State(state): State<Shared>,
    Path(name): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let model = match find(&state, &name) {
        Ok(m) => m.clone(),
        Err(r) => return r,
    };
    let body = match parse_json(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (inputs, wanted, id) = match parse_v2_request(&body, &model.inputs) {
        Ok(x) => x,
        Err(e) => return ServeError::BadRequest(e).into_response(),
    };
    if let Some(w) = &wanted {
        if let Some(bad) = w
            .iter()
            .find(|n| !model.outputs.iter().any(|o| &o.name == *n))
        {
            return ServeError::BadRequest(BadRequest(format!(
                "the model has no output named \"{bad}\"; its outputs are: {}",
                model
                    .outputs
                    .iter()
                    .map(|o| o.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
            .into_response();
        }
    }
    match model.infer(inputs, state.request_timeout).await {
        Ok(outputs) => {
            let outs: Vec<J> = outputs
                .iter()
                .filter(|o| wanted.as_ref().is_none_or(|w| w.contains(&o.name)))
                .map(|o| o.to_v2())
                .collect();
            let mut resp = json!({"model_name": model.name, "model_version": "1", "outputs": outs});
            if let Some(id) = id {
                resp["id"] = J::String(id);
            }
            json_ok(resp)
        }
        Err(e) => e.into_response(),
    }
}

async fn invocations(
    State(state): State<Shared>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let model = state.models[&state.default_model].clone();
    let body = match parse_json(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (inputs, rows_form) = match &body {
        J::Object(o) if o.contains_key("inputs") => match parse_v2_request(&body, &model.inputs) {
            Ok((t, _, _)) => (t, false),
            Err(e) => return ServeError::BadRequest(e).into_response(),
        },
        J::Object(o) if o.contains_key("instances") => match parse_rows(&o["instances"], &model.inputs) {
            Ok(t) => (t, true),
            Err(e) => return ServeError::BadRequest(e).into_response(),
        },
        J::Array(_) => match parse_rows(&body, &model.inputs) {
            Ok(t) => (t, true),
            Err(e) => return ServeError::BadRequest(e).into_response(),
        },
        _ => return error(StatusCode::BAD_REQUEST, "send {\"instances\": [[...], ...]} rows, a bare array of rows, or {\"inputs\": [...]} V2 tensors"),
    };
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
