//! The built-in `http` provider (source `registry.terraform.io/hashicorp/http`): `data "http"`
//! makes one HTTP request and exposes the answer, as hashicorp/http 3.x does. Any status is a
//! result, not an error (a postcondition on `status_code` decides what is healthy); only a
//! request that gets no answer fails, after the `retry` block's attempts. Retries follow
//! hashicorp/http's client: connection errors, 429 and 5xx other than 501 are retried with
//! exponential backoff between `min_delay_ms` and `max_delay_ms`.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use mlform_provider::{
    error_chain, Attribute, DataSource, NestedBlock, Nesting, Provider, ProviderError, Schema,
    Type, Value, ValueMap,
};

use crate::table::Table;

/// The largest response body read: 16 MiB.
pub const MAX_BODY: usize = 16 << 20;
/// A request with no `request_timeout_ms` gives up after 60 s.
const DEFAULT_TIMEOUT_MS: u64 = 60_000;
/// At most this many retries, whatever `retry.attempts` says.
const MAX_ATTEMPTS: u64 = 100;

/// The `http` provider.
pub struct HttpProvider;

impl HttpProvider {
    pub fn new() -> Arc<dyn Provider> {
        Arc::new(Table {
            name: "http",
            source: "registry.terraform.io/hashicorp/http",
            resources: &[],
            data_sources: &["http"],
            resource: |_| None,
            data_source: |t| (t == "http").then(|| Arc::new(HttpData) as Arc<dyn DataSource>),
        })
    }
}

struct HttpData;

fn retry_schema() -> Schema {
    Schema::new()
        .attr("attempts", Attribute::optional(Type::Number))
        .attr("min_delay_ms", Attribute::optional(Type::Number))
        .attr("max_delay_ms", Attribute::optional(Type::Number))
}

fn invalid(msg: impl Into<String>) -> ProviderError {
    ProviderError::InvalidConfig(msg.into())
}

/// The retry policy of the `retry` block.
struct Retry {
    attempts: u64,
    min_delay: Duration,
    max_delay: Duration,
}

impl Retry {
    fn of(config: &Value) -> Result<Retry, ProviderError> {
        let block = config.get_attr("retry");
        let number = |name: &str, default: u64| -> Result<u64, ProviderError> {
            match block.get_attr(name).as_f64() {
                None => Ok(default),
                Some(n) if n >= 0.0 && n.fract() == 0.0 => Ok(n as u64),
                Some(n) => Err(invalid(format!(
                    "retry.{name} must be a whole number of at least 0, not {n}"
                ))),
            }
        };
        let attempts = number("attempts", 0)?;
        if attempts > MAX_ATTEMPTS {
            return Err(invalid(format!(
                "retry.attempts is {attempts}; at most {MAX_ATTEMPTS} retries are made"
            )));
        }
        let min_delay = number("min_delay_ms", 0)?;
        let max_delay = number("max_delay_ms", min_delay.max(1000))?;
        if max_delay < min_delay {
            return Err(invalid(format!(
                "retry.max_delay_ms ({max_delay}) is less than retry.min_delay_ms ({min_delay})"
            )));
        }
        Ok(Retry {
            attempts,
            min_delay: Duration::from_millis(min_delay),
            max_delay: Duration::from_millis(max_delay),
        })
    }

    fn delay(&self, attempt: u32) -> Duration {
        let grown = self
            .min_delay
            .max(Duration::from_millis(1))
            .saturating_mul(1u32 << attempt.min(20));
        grown.clamp(self.min_delay, self.max_delay)
    }
}

fn retryable(status: u16) -> bool {
    status == 429 || (500..600).contains(&status) && status != 501
}

struct Answer {
    status: u16,
    headers: ValueMap,
    body: Vec<u8>,
}

async fn request_once(
    client: &reqwest::Client,
    method: &reqwest::Method,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
) -> Result<Answer, String> {
    let mut request = client.request(method.clone(), url);
    for (k, v) in headers {
        request = request.header(k, v);
    }
    if let Some(b) = body {
        request = request.body(b.to_string());
    }
    let mut response = request.send().await.map_err(|e| error_chain(&e))?;
    let status = response.status().as_u16();
    let mut headers = ValueMap::default();
    for (name, value) in response.headers() {
        // Repeated headers are joined with ", ", as hashicorp/http does.
        let name = canonical_header(name.as_str());
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let joined = match headers.get(&name).and_then(Value::as_str) {
            Some(prior) => format!("{prior}, {value}"),
            None => value,
        };
        headers.insert(name, Value::string(joined));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| error_chain(&e))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!(
                "the response body is larger than {} MiB, the limit of data \"http\"",
                MAX_BODY >> 20
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// `content-type` → `Content-Type`, as Go's net/http names response headers.
fn canonical_header(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[async_trait::async_trait]
impl DataSource for HttpData {
    fn schema(&self) -> Schema {
        Schema::new()
            .attr("url", Attribute::required(Type::String))
            .attr("method", Attribute::optional(Type::String))
            .attr(
                "request_headers",
                Attribute::optional(Type::map(Type::String)),
            )
            .attr("request_body", Attribute::optional(Type::String))
            .attr("request_timeout_ms", Attribute::optional(Type::Number))
            .attr("insecure", Attribute::optional(Type::Bool))
            .attr("ca_cert_pem", Attribute::optional(Type::String))
            .attr("id", Attribute::computed(Type::String))
            .attr("status_code", Attribute::computed(Type::Number))
            .attr("response_body", Attribute::computed(Type::String))
            .attr("response_body_base64", Attribute::computed(Type::String))
            .attr("body", Attribute::computed(Type::String))
            .attr(
                "response_headers",
                Attribute::computed(Type::map(Type::String)),
            )
            .block(
                "retry",
                NestedBlock {
                    nesting: Nesting::Single,
                    block: retry_schema(),
                    min_items: 0,
                    max_items: Some(1),
                    force_new: false,
                },
            )
    }

    async fn read(&self, configured: &Value) -> Result<Value, ProviderError> {
        let config = configured.strip_marks();
        let url = config
            .get_attr("url")
            .as_str()
            .unwrap_or_default()
            .to_string();
        let parsed = reqwest::Url::parse(&url)
            .map_err(|e| invalid(format!("url \"{url}\" is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid(format!(
                "url \"{url}\": the scheme must be http or https"
            )));
        }
        let method = match config.get_attr("method").as_str().unwrap_or("GET") {
            "GET" => reqwest::Method::GET,
            "POST" => reqwest::Method::POST,
            "HEAD" => reqwest::Method::HEAD,
            other => {
                return Err(invalid(format!(
                    "method \"{other}\" is not supported; use GET, POST or HEAD (as hashicorp/http)"
                )))
            }
        };
        let body = config.get_attr("request_body").as_str();
        let headers: Vec<(String, String)> = config
            .get_attr("request_headers")
            .as_map()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let timeout = match config.get_attr("request_timeout_ms").as_f64() {
            None => DEFAULT_TIMEOUT_MS,
            Some(ms) if ms > 0.0 => ms as u64,
            Some(ms) => {
                return Err(invalid(format!(
                    "request_timeout_ms must be above 0, not {ms}"
                )))
            }
        };
        let retry = Retry::of(&config)?;
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_millis(timeout))
            .danger_accept_invalid_certs(config.get_attr("insecure").as_bool() == Some(true));
        if let Some(pem) = config.get_attr("ca_cert_pem").as_str() {
            let cert = reqwest::Certificate::from_pem(pem.as_bytes())
                .map_err(|e| invalid(format!("ca_cert_pem is not a PEM certificate: {e}")))?;
            builder = builder.add_root_certificate(cert);
        }
        let client = builder
            .build()
            .map_err(|e| ProviderError::Api(format!("cannot make an HTTP client: {e}")))?;
        let mut attempt = 0u32;
        let answer = loop {
            let result = request_once(&client, &method, &url, &headers, body).await;
            let again = match &result {
                Ok(a) => retryable(a.status),
                Err(_) => true,
            };
            if !again || u64::from(attempt) >= retry.attempts {
                break result;
            }
            tokio::time::sleep(retry.delay(attempt)).await;
            attempt += 1;
        };
        let answer = answer.map_err(|e| {
            let tries = match attempt {
                0 => String::new(),
                n => format!(" (after {n} retries)"),
            };
            ProviderError::Api(format!("Error making request{tries}: {e}"))
        })?;
        let text = String::from_utf8_lossy(&answer.body).into_owned();
        let mut m: ValueMap = configured.as_map().cloned().unwrap_or_default();
        m.insert("id".into(), Value::string(url.clone()));
        m.insert("status_code".into(), Value::from(i64::from(answer.status)));
        m.insert("response_body".into(), Value::string(text.clone()));
        m.insert("body".into(), Value::string(text));
        m.insert(
            "response_body_base64".into(),
            Value::string(base64::engine::general_purpose::STANDARD.encode(&answer.body)),
        );
        m.insert("response_headers".into(), Value::Map(answer.headers));
        Ok(Value::Map(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_canonical() {
        assert_eq!(canonical_header("content-type"), "Content-Type");
        assert_eq!(canonical_header("x-request-id"), "X-Request-Id");
    }

    #[test]
    fn retries_grow_within_bounds() {
        let r = Retry {
            attempts: 5,
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        };
        let delays: Vec<u128> = (0..4).map(|a| r.delay(a).as_millis()).collect();
        assert_eq!(delays, vec![10, 20, 40, 50]);
        assert!(retryable(503) && retryable(429) && !retryable(501) && !retryable(404));
    }
}
