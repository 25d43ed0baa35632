//! AWS SDK errors mapped onto the provider contract: throttling and 5xx are transient,
//! access denials name the missing action, "not found" is recognized by each resource.

use aws_sdk_s3::error::ProvideErrorMetadata;
use mlform_provider::ProviderError;

/// Classifies an SDK error for `action` (for example `s3:CreateBucket`).
pub fn classify<E>(
    action: &str,
    err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_s3::error::SdkError;
    let code = err.code().unwrap_or_default().to_string();
    let message = err.message().unwrap_or_default().to_string();
    let status = match err {
        SdkError::ServiceError(e) => Some(e.raw().status().as_u16()),
        _ => None,
    };
    let text = if code.is_empty() && message.is_empty() {
        format!(
            "{} (HTTP {})",
            mlform_provider::error_chain(err),
            status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "no response".into())
        )
    } else {
        format!("{code}: {message}")
    };
    match (code.as_str(), status) {
        ("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation", _)
        | (_, Some(403)) => ProviderError::PermissionDenied(format!(
            "{action} was denied ({text}); grant {action} to the caller"
        )),
        (
            "Throttling"
            | "ThrottlingException"
            | "SlowDown"
            | "RequestLimitExceeded"
            | "TooManyRequestsException"
            | "ServiceUnavailable"
            | "InternalError",
            _,
        ) => ProviderError::Transient(format!("{action}: {text}")),
        (_, Some(s)) if s >= 500 => ProviderError::Transient(format!("{action}: {text}")),
        _ if matches!(
            err,
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)
        ) =>
        {
            ProviderError::Transient(format!("{action}: {}", mlform_provider::error_chain(err)))
        }
        _ => ProviderError::Api(format!("{action}: {text}")),
    }
}

/// The service error code, if any.
pub fn code<E: ProvideErrorMetadata>(
    err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> String {
    err.code().unwrap_or_default().to_string()
}

/// The HTTP status of a service error.
pub fn status<E>(
    err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> Option<u16> {
    match err {
        aws_sdk_s3::error::SdkError::ServiceError(e) => Some(e.raw().status().as_u16()),
        _ => None,
    }
}
