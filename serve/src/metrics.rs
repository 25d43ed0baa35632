//! Prometheus metrics of the model server (`GET /metrics`): requests by route and status,
//! request latency, queue depth, batch size, inference time.

use std::sync::atomic::AtomicI64;
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
        Metrics {
            registry,
            requests,
            latency,
            queue,
            batch_size,
            inference,
            queue_wait,
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

    pub fn queue_depth(&self, model: &str, depth: i64) {
        self.queue
            .get_or_create(&ModelLabel {
                model: model.to_string(),
            })
            .set(depth.max(0));
    }

    pub fn batch(&self, model: &str, rows: usize, inference: Duration, waited: Duration) {
        let label = ModelLabel {
            model: model.to_string(),
        };
        self.batch_size.get_or_create(&label).observe(rows as f64);
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
