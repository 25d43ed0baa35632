//! The cryptographic functions: `bcrypt` (Go's x/crypto/bcrypt: version 2a, cost 4 to 31,
//! a cost below 4 taken as 10, at most 72 bytes) and `rsadecrypt` (PKCS #1 v1.5 with a PEM
//! private key in PKCS #1 or PKCS #8 form).

use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;

const DEFAULT_COST: i64 = 10;

pub(super) fn bcrypt(password: &str, cost: Option<i64>) -> Result<String, String> {
    let mut cost = cost.unwrap_or(DEFAULT_COST);
    if cost < 4 {
        cost = DEFAULT_COST;
    }
    if cost > 31 {
        return Err(format!(
            "error occurred generating password crypto/bcrypt: cost {cost} is outside allowed range (4,31)"
        ));
    }
    if password.len() > 72 {
        return Err(
            "error occurred generating password bcrypt: password length exceeds 72 bytes".into(),
        );
    }
    ::bcrypt::hash_with_result(password, cost as u32)
        .map(|h| h.format_for_version(::bcrypt::Version::TwoA))
        .map_err(|e| format!("error occurred generating password {e}"))
}

pub(super) fn rsadecrypt(ciphertext: &str, key_pem: &str) -> Result<String, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(ciphertext)
        .map_err(|_| {
            format!("failed to decode input {ciphertext:?}: cipher text must be base64-encoded")
        })?;
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(key_pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(key_pem))
        .map_err(|e| format!("invalid private key: {e}"))?;
    let plain = key
        .decrypt(rsa::Pkcs1v15Encrypt, &bytes)
        .map_err(|e| format!("failed to decrypt: {e}"))?;
    String::from_utf8(plain).map_err(|_| "failed to decrypt: the plaintext is not UTF-8".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn bcrypt_hashes_verify_and_costs_follow_go() {
        let h = super::bcrypt("hello world", Some(4)).unwrap();
        assert!(h.starts_with("$2a$04$") && h.len() == 60);
        assert!(::bcrypt::verify("hello world", &h).unwrap());
        assert!(super::bcrypt("x", Some(3)).unwrap().starts_with("$2a$10$"));
        assert!(super::bcrypt("x", Some(32)).is_err());
        assert!(super::bcrypt(&"x".repeat(73), Some(4)).is_err());
    }

    #[test]
    fn rsadecrypt_rejects_bad_input_with_terraform_messages() {
        let e = super::rsadecrypt("%%%", "key").unwrap_err();
        assert!(e.contains("cipher text must be base64-encoded"), "{e}");
        let e = super::rsadecrypt("aGVsbG8=", "not a key").unwrap_err();
        assert!(e.starts_with("invalid private key"), "{e}");
    }
}
