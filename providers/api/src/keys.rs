//! The key service a state encryption key provider may stand on (`aws_kms`): it makes data
//! keys and unwraps them, so that only the wrapped form is stored with what a key seals.

/// A key management service.
///
/// The contract: `generate` returns a fresh 256-bit data key and its wrapped form;
/// `unwrap` of that wrapped form, by anyone allowed to use the service's key, returns the
/// same data key. Neither logs or returns the plaintext key anywhere else.
#[async_trait::async_trait]
pub trait KeyService: Send + Sync {
    /// Names the service's key in messages (`arn:aws:kms:…:key/…`), never key material.
    fn describe(&self) -> String;
    async fn generate(&self) -> Result<([u8; 32], Vec<u8>), String>;
    async fn unwrap(&self, wrapped: &[u8]) -> Result<[u8; 32], String>;
}
