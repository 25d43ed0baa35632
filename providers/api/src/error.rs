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
    /// A create or update failed after it had changed the remote object: `state` is the
    /// object as it now exists (created but never ready, updated but its rollout not
    /// finished). The engine keeps it in state so nothing applied is lost; a created object
    /// is kept tainted, so the next plan replaces it.
    #[error("{error}")]
    Incomplete {
        state: Box<crate::Value>,
        error: Box<ProviderError>,
    },
}

impl ProviderError {
    /// `error`, after the remote object was left as `state`.
    pub fn incomplete(state: crate::Value, error: ProviderError) -> ProviderError {
        match error {
            // The latest state wins when a wrapped call already reported one.
            ProviderError::Incomplete { error, .. } => ProviderError::Incomplete {
                state: Box::new(state),
                error,
            },
            error => ProviderError::Incomplete {
                state: Box::new(state),
                error: Box::new(error),
            },
        }
    }

    /// The error with `f` applied to the object an [`Incomplete`](Self::Incomplete) carries
    /// (a wrapper resource adding its attributes to what the wrapped one reports).
    pub fn map_state(self, f: impl FnOnce(crate::Value) -> crate::Value) -> ProviderError {
        match self {
            ProviderError::Incomplete { state, error } => ProviderError::Incomplete {
                state: Box::new(f(*state)),
                error,
            },
            other => other,
        }
    }
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
