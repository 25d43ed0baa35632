//! SDK call results mapped onto the provider contract in one place: classified errors,
//! "not found" recognized once for every service, deletes of vanished objects succeed.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use mlform_provider::ProviderError;

use crate::error::{classify, code, status};

/// Error codes that mean "no such object", across the services mlform calls.
const NOT_FOUND_CODES: &[&str] = &[
    "NoSuchEntity",
    "NotFoundException",
    "NotFound",
    "ResourceNotFoundException",
    "ResourceNotFound",
    "NoSuchBucket",
    "NoSuchKey",
    "RepositoryNotFoundException",
    "LifecyclePolicyNotFoundException",
    "RepositoryPolicyNotFoundException",
    "OwnershipControlsNotFoundError",
    "NoSuchCORSConfiguration",
    "NoSuchWebsiteConfiguration",
    "NoSuchPublicAccessBlockConfiguration",
    "NoSuchBucketPolicy",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchLifecycleConfiguration",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "ObjectNotFoundException",
];

/// Whether an SDK error says the object does not exist.
pub fn is_not_found<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    NOT_FOUND_CODES.contains(&code(err).as_str()) || status(err) == Some(404)
}

/// What every SDK call result becomes.
pub trait SdkResult<T> {
    /// The output, or the error classified for `action` (`kms:CreateKey`).
    fn call(self, action: &str) -> Result<T, ProviderError>;
    /// `None` when the object does not exist.
    fn found(self, action: &str) -> Result<Option<T>, ProviderError>;
    /// Success also when the object is already gone (deletes, detaches).
    fn gone_ok(self, action: &str) -> Result<(), ProviderError>;
}

impl<T, E> SdkResult<T> for Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    fn call(self, action: &str) -> Result<T, ProviderError> {
        self.map_err(|e| classify(action, &e))
    }

    fn found(self, action: &str) -> Result<Option<T>, ProviderError> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(classify(action, &e)),
        }
    }

    fn gone_ok(self, action: &str) -> Result<(), ProviderError> {
        self.found(action).map(|_| ())
    }
}
