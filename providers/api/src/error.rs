//! The error a provider returns, classified so the engine can decide whether to retry.

/// An error returned by a provider operation.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The configuration given to the provider or a resource is invalid.
    #[error("{0}")]
    InvalidConfig(String),
    /// The remote API refused the call for lack of permission; the message names the action.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// A transient failure (throttling, timeout, 5xx); the engine may retry.
    #[error("transient error: {0}")]
    Transient(String),
    /// The operation did not finish within its configured timeout.
    #[error("timed out after {seconds}s waiting for {what}")]
    Timeout { what: String, seconds: u64 },
    /// Any other failure reported by the remote API.
    #[error("{0}")]
    Api(String),
    /// The resource type, attribute or import ID is not supported.
    #[error("{0}")]
    Unsupported(String),
}

/// An error and its sources, joined with `: ` (what a user needs: the cause is usually in
/// the last source).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
