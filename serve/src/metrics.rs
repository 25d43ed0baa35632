//! Prometheus metrics of the model server (`GET /metrics`): requests by route and status,
//! request latency, queue depth, batch size, inference time, and the leading indicators that
//! rise before latency does: queue utilisation, requests in flight, shed and timed-out
//! requests, batch fill.

use std::sync::atomic::{AtomicI64, AtomicU64};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Route {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ModelLabel {
    pub model: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RouteLabels, Counter>,
    latency: Family<Route, Histogram>,
    queue: Family<ModelLabel, Gauge<i64, AtomicI64>>,
    batch_size: Family<ModelLabel, Histogram>,
    inference: Family<ModelLabel, Histogram>,
    queue_wait: Family<ModelLabel, Histogram>,
    utilization: Family<ModelLabel, Gauge<f64, AtomicU64>>,
    in_flight: Family<ModelLabel, Gauge<i64, AtomicI64>>,
    shed: Family<ModelLabel, Counter>,
    timed_out: Family<ModelLabel, Counter>,
    batch_fill: Family<ModelLabel, Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("mlform_serve");
        let requests = Family::<RouteLabels, Counter>::default();
        let latency = Family::<Route, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0001, 2.0, 18))
        });
        let queue = Family::<ModelLabel, Gauge<i64, AtomicI64>>::default();
        let batch_size = Family::<ModelLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(1.0, 2.0, 10))
        });
        let inference = Family::<ModelLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.00005, 2.0, 18))
        });
        let queue_wait = Family::<ModelLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.00005, 2.0, 18))
        });
        registry.register(
            "requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register(
            "queue_depth",
            "Requests waiting for a batch, by model",
            queue.clone(),
        );
        registry.register(
            "batch_size",
            "Rows per inference run, by model",
            batch_size.clone(),
        );
        registry.register(
            "inference_duration_seconds",
            "Time of one inference run, by model",
            inference.clone(),
        );
        registry.register(
            "queue_wait_seconds",
            "Longest wait of a request in a batch before it ran, by model",
            queue_wait.clone(),
        );
        let utilization = Family::<ModelLabel, Gauge<f64, AtomicU64>>::default();
        let in_flight = Family::<ModelLabel, Gauge<i64, AtomicI64>>::default();
        let shed = Family::<ModelLabel, Counter>::default();
        let timed_out = Family::<ModelLabel, Counter>::default();
        let batch_fill = Family::<ModelLabel, Histogram>::new_with_constructor(|| {
            Histogram::new([0.125, 0.25, 0.5, 0.75, 1.0].into_iter())
        });
        registry.register(
            "queue_utilization_ratio",
            "Waiting requests over the queue's capacity (--max-queue), by model; 1 means the next request is shed",
            utilization.clone(),
        );
        registry.register(
            "in_flight_requests",
            "Requests admitted and not yet answered (queued or running), by model",
            in_flight.clone(),
        );
        registry.register(
            "shed_requests",
            "Requests refused because the model's queue was full (HTTP 429, gRPC RESOURCE_EXHAUSTED), by model",
            shed.clone(),
        );
        registry.register(
            "timed_out_requests",
            "Requests that waited past the request timeout (HTTP 503), by model",
            timed_out.clone(),
        );
        registry.register(
            "batch_fill_ratio",
            "Rows per inference run over the largest batch (--max-batch-size), by model",
            batch_fill.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            queue,
            batch_size,
            inference,
            queue_wait,
            utilization,
            in_flight,
            shed,
            timed_out,
            batch_fill,
        }
    }

    pub fn request(&self, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RouteLabels {
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&Route {
                route: route.to_string(),
            })
            .observe(elapsed.as_secs_f64());
    }

    pub fn queue_depth(&self, model: &str, depth: i64, capacity: usize) {
        let label = ModelLabel {
            model: model.to_string(),
        };
        let depth = depth.max(0);
        self.queue.get_or_create(&label).set(depth);
        self.utilization
            .get_or_create(&label)
            .set(depth as f64 / capacity.max(1) as f64);
    }

    /// A request admitted (`+1`) or answered (`-1`).
    pub fn in_flight(&self, model: &str, delta: i64) {
        self.in_flight
            .get_or_create(&ModelLabel {
                model: model.to_string(),
            })
            .inc_by(delta);
    }

    pub fn shed(&self, model: &str) {
        self.shed
            .get_or_create(&ModelLabel {
                model: model.to_string(),
            })
            .inc();
    }

    pub fn timed_out(&self, model: &str) {
        self.timed_out
            .get_or_create(&ModelLabel {
                model: model.to_string(),
            })
            .inc();
    }

    pub fn batch(
        &self,
        model: &str,
        rows: usize,
        max_rows: usize,
        inference: Duration,
        waited: Duration,
    ) {
        let label = ModelLabel {
            model: model.to_string(),
        };
        self.batch_size.get_or_create(&label).observe(rows as f64);
        self.batch_fill
            .get_or_create(&label)
            .observe((rows as f64 / max_rows.max(1) as f64).min(1.0));
        self.inference
            .get_or_create(&label)
            .observe(inference.as_secs_f64());
        self.queue_wait
            .get_or_create(&label)
            .observe(waited.as_secs_f64());
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
