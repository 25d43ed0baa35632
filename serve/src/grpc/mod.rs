//! KServe's V2 gRPC protocol (`inference.GRPCInferenceService`, what Triton's clients and
//! tools speak by default) on tonic: health, metadata and inference, through the same model
//! queues, batching, limits and metrics as HTTP. Tensor data comes as `raw_input_contents`
//! (Triton's default) or typed `contents`; outputs go back as `raw_output_contents`.

pub mod messages;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use tonic::codegen::http;
use tonic::server::UnaryService;
use tonic::{Request, Response, Status};

use crate::binary;
use crate::http::AppState;
use crate::runtime::ServeError;
use crate::tensor::{
    check_requested_outputs, check_shape, element_count, finish_inputs, input_spec, BadRequest,
    DType, Data, Tensor,
};
use messages::*;

/// The gRPC service's name, as clients address it.
pub const SERVICE: &str = "inference.GRPCInferenceService";

/// The tower service answering every method of the inference service.
#[derive(Clone)]
pub struct GrpcService {
    state: Arc<AppState>,
}

impl GrpcService {
    pub fn new(state: Arc<AppState>) -> GrpcService {
        GrpcService { state }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A unary method as a closure.
struct Unary<F>(F);

impl<Req, Resp, F, Fut> UnaryService<Req> for Unary<F>
where
    F: FnMut(Request<Req>) -> Fut,
    Fut: Future<Output = Result<Response<Resp>, Status>>,
{
    type Response = Resp;
    type Future = Fut;

    fn call(&mut self, request: Request<Req>) -> Fut {
        (self.0)(request)
    }
}

async fn unary<Req, Resp, F, Fut, B>(
    state: &AppState,
    req: http::Request<B>,
    f: F,
) -> http::Response<tonic::body::Body>
where
    Req: prost::Message + Default + Send + 'static,
    Resp: prost::Message + Send + 'static,
    F: FnMut(Request<Req>) -> Fut,
    Fut: Future<Output = Result<Response<Resp>, Status>>,
    B: tonic::codegen::Body + Send + 'static,
    B::Error: Into<BoxError> + Send,
{
    let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::<Resp, Req>::default())
        .max_decoding_message_size(state.max_body)
        .max_encoding_message_size(usize::MAX);
    grpc.unary(Unary(f), req).await
}

/// The HTTP status a gRPC code is counted under in `mlform_serve_requests_total`.
fn metric_status(code: i32) -> u16 {
    match tonic::Code::from_i32(code) {
        tonic::Code::Ok => 200,
        tonic::Code::InvalidArgument | tonic::Code::OutOfRange => 400,
        tonic::Code::NotFound | tonic::Code::Unimplemented => 404,
        tonic::Code::ResourceExhausted => 429,
        tonic::Code::Unavailable | tonic::Code::DeadlineExceeded => 503,
        _ => 500,
    }
}

impl<B> tonic::codegen::Service<http::Request<B>> for GrpcService
where
    B: tonic::codegen::Body + Send + 'static,
    B::Error: Into<BoxError> + Send,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let state = self.state.clone();
        Box::pin(async move {
            let started = Instant::now();
            let path = req.uri().path().to_string();
            let method = path
                .strip_prefix(&format!("/{SERVICE}/"))
                .unwrap_or("")
                .to_string();
            let s = state.clone();
            let response = match method.as_str() {
                "ServerLive" => {
                    unary(&state, req, |_: Request<ServerLiveRequest>| async {
                        Ok(Response::new(ServerLiveResponse { live: true }))
                    })
                    .await
                }
                "ServerReady" => {
                    unary(&state, req, move |_: Request<ServerReadyRequest>| {
                        let ready = crate::http::all_ready(&s);
                        async move { Ok(Response::new(ServerReadyResponse { ready })) }
                    })
                    .await
                }
                "ModelReady" => {
                    unary(&state, req, move |r: Request<ModelReadyRequest>| {
                        let result = find(&s, &r.get_ref().name).map(|m| {
                            Response::new(ModelReadyResponse {
                                ready: m.ready.load(Ordering::SeqCst),
                            })
                        });
                        async move { result }
                    })
                    .await
                }
                "ServerMetadata" => {
                    unary(&state, req, |_: Request<ServerMetadataRequest>| async {
                        Ok(Response::new(ServerMetadataResponse {
                            name: "mlform-serve".into(),
                            version: env!("CARGO_PKG_VERSION").into(),
                            extensions: vec![],
                        }))
                    })
                    .await
                }
                "ModelMetadata" => {
                    unary(&state, req, move |r: Request<ModelMetadataRequest>| {
                        let result = find(&s, &r.get_ref().name).map(|m| {
                            let meta = |specs: &[crate::tensor::IoSpec]| {
                                specs
                                    .iter()
                                    .map(|x| TensorMetadata {
                                        name: x.name.clone(),
                                        datatype: x.dtype.v2_name().into(),
                                        shape: x.shape.clone(),
                                    })
                                    .collect()
                            };
                            Response::new(ModelMetadataResponse {
                                name: m.name.clone(),
                                versions: vec!["1".into()],
                                platform: "onnxruntime_onnx".into(),
                                inputs: meta(&m.inputs),
                                outputs: meta(&m.outputs),
                            })
                        });
                        async move { result }
                    })
                    .await
                }
                "ModelInfer" => {
                    unary(&state, req, move |r: Request<ModelInferRequest>| {
                        infer(s.clone(), r.into_inner())
                    })
                    .await
                }
                _ => Status::unimplemented(format!(
                    "mlform-serve does not implement {path}; it answers ServerLive, ServerReady, ModelReady, ServerMetadata, ModelMetadata and ModelInfer of {SERVICE}"
                ))
                .into_http(),
            };
            let code = response
                .headers()
                .get("grpc-status")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            state
                .metrics
                .request(&path, metric_status(code), started.elapsed());
            Ok(response)
        })
    }
}

fn find<'a>(state: &'a AppState, name: &str) -> Result<&'a Arc<crate::runtime::Model>, Status> {
    state.models.get(name).ok_or_else(|| {
        Status::not_found(format!(
            "no model named \"{name}\"; models served: {}",
            state.models.keys().cloned().collect::<Vec<_>>().join(", ")
        ))
    })
}

fn invalid(e: BadRequest) -> Status {
    Status::invalid_argument(e.0)
}

fn status_of(e: ServeError) -> Status {
    match e {
        ServeError::BadRequest(b) => invalid(b),
        ServeError::Overloaded { .. } | ServeError::ShuttingDown => {
            Status::unavailable(e.to_string())
        }
        ServeError::Timeout(_) => Status::deadline_exceeded(e.to_string()),
        ServeError::Inference(_) => {
            eprintln!("mlform-serve: {e}");
            Status::internal("inference failed; the server's log has the details")
        }
        other => Status::internal(other.to_string()),
    }
}

/// Typed `contents` of `count` elements for `dtype`.
fn typed_contents(
    dtype: DType,
    contents: Option<&InferTensorContents>,
    count: usize,
    name: &str,
) -> Result<Data, BadRequest> {
    let empty = InferTensorContents::default();
    let c = contents.unwrap_or(&empty);
    let narrow = |values: &[i32], what: &str, ok: &dyn Fn(i32) -> bool| {
        values.iter().position(|v| !ok(*v)).map(|i| {
            BadRequest(format!(
                "input \"{name}\": element {i} is {}, outside {what}",
                values[i]
            ))
        })
    };
    let data = match dtype {
        DType::F32 => Data::F32(c.fp32_contents.clone()),
        DType::F64 => Data::F64(c.fp64_contents.clone()),
        DType::I32 => Data::I32(c.int_contents.clone()),
        DType::I64 => Data::I64(c.int64_contents.clone()),
        DType::I8 => {
            if let Some(e) = narrow(&c.int_contents, "INT8 (-128 to 127)", &|v| {
                i8::try_from(v).is_ok()
            }) {
                return Err(e);
            }
            Data::I8(c.int_contents.iter().map(|v| *v as i8).collect())
        }
        DType::U8 => {
            if let Some(i) = c.uint_contents.iter().position(|v| *v > 255) {
                return Err(BadRequest(format!(
                    "input \"{name}\": element {i} is {}, outside UINT8 (0 to 255)",
                    c.uint_contents[i]
                )));
            }
            Data::U8(c.uint_contents.iter().map(|v| *v as u8).collect())
        }
        DType::Bool => Data::Bool(c.bool_contents.clone()),
    };
    if data.len() != count {
        return Err(BadRequest(format!(
            "input \"{name}\" has {} elements in its {} contents, but its shape needs {count}",
            data.len(),
            dtype.v2_name()
        )));
    }
    Ok(data)
}

async fn infer(
    state: Arc<AppState>,
    req: ModelInferRequest,
) -> Result<Response<ModelInferResponse>, Status> {
    let model = find(&state, &req.model_name)?.clone();
    if !req.raw_input_contents.is_empty() && req.raw_input_contents.len() != req.inputs.len() {
        return Err(Status::invalid_argument(format!(
            "raw_input_contents has {} entries for {} inputs; give one per input, in order",
            req.raw_input_contents.len(),
            req.inputs.len()
        )));
    }
    let mut tensors: Vec<Tensor> = Vec::with_capacity(req.inputs.len());
    for (i, t) in req.inputs.iter().enumerate() {
        let spec = input_spec(&model.inputs, &tensors, &t.name, &t.datatype).map_err(invalid)?;
        check_shape(spec, &t.shape).map_err(invalid)?;
        let count = element_count(&t.name, &t.shape).map_err(invalid)?;
        let data = match req.raw_input_contents.get(i) {
            Some(raw) => binary::decode(spec.dtype, raw, count, &t.name),
            None => typed_contents(spec.dtype, t.contents.as_ref(), count, &t.name),
        }
        .map_err(invalid)?;
        tensors.push(Tensor {
            name: t.name.clone(),
            shape: t.shape.clone(),
            data,
        });
    }
    let tensors = finish_inputs(tensors, &model.inputs).map_err(invalid)?;
    check_requested_outputs(req.outputs.iter().map(|o| o.name.as_str()), &model.outputs)
        .map_err(invalid)?;
    let outputs = model
        .infer(tensors, state.request_timeout)
        .await
        .map_err(status_of)?;
    let mut response = ModelInferResponse {
        model_name: model.name.clone(),
        model_version: "1".into(),
        id: req.id,
        ..Default::default()
    };
    for o in outputs {
        if !req.outputs.is_empty() && !req.outputs.iter().any(|r| r.name == o.name) {
            continue;
        }
        let mut raw = Vec::with_capacity(o.data.len() * 4);
        binary::encode(&o.data, &mut raw);
        response.outputs.push(InferOutputTensor {
            datatype: o.dtype().v2_name().into(),
            name: o.name,
            shape: o.shape,
            ..Default::default()
        });
        response.raw_output_contents.push(raw);
    }
    Ok(Response::new(response))
}
