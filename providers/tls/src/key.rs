//! `tls_private_key`: a key pair made on this machine and kept in state, in the encodings
//! hashicorp/tls gives it (PEM as OpenSSL writes each kind, PKCS#8, OpenSSH, public PEM and
//! OpenSSH, MD5 and SHA256 fingerprints). RSA keys come from aws-lc-rs through rcgen; the
//! RustCrypto crates re-encode them.

use mlform_provider::{
    plan_by_schema, Attribute, PlanRequest, Planned, ProviderError, Resource, Schema, Type, Value,
    ValueMap,
};
use rcgen::{KeyPair, RsaKeySize};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use sha1::Digest;
use ssh_key::private::{EcdsaKeypair, Ed25519Keypair, KeypairData, RsaKeypair};
use ssh_key::{HashAlg, LineEnding};

use crate::invalid;

/// What a key was made from: its algorithm and the PKCS#8 DER rcgen holds.
pub struct Generated {
    pub algorithm: &'static str,
    pub key: KeyPair,
}

/// The private key in the PEM encoding OpenSSL (and hashicorp/tls) uses for its kind, and
/// its OpenSSH key data.
fn encodings(g: &Generated) -> Result<(String, KeypairData), ProviderError> {
    let der = g.key.serialize_der();
    let pem_err = |e: &dyn std::fmt::Display| invalid(format!("encoding the private key: {e}"));
    match g.algorithm {
        "RSA" => {
            let k = rsa::RsaPrivateKey::from_pkcs8_der(&der).map_err(|e| pem_err(&e))?;
            let pem = k
                .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
                .map_err(|e| pem_err(&e))?
                .to_string();
            let ssh = RsaKeypair::try_from(&k).map_err(|e| pem_err(&e))?;
            Ok((pem, KeypairData::from(ssh)))
        }
        "ED25519" => {
            let k = ed25519_dalek::SigningKey::from_pkcs8_der(&der).map_err(|e| pem_err(&e))?;
            Ok((
                ed25519_pkcs8_v1(&k.to_bytes())?,
                KeypairData::from(Ed25519Keypair::from(&k)),
            ))
        }
        _ => {
            let curve = g.key.algorithm();
            if curve == &rcgen::PKCS_ECDSA_P256_SHA256 {
                let k = p256::SecretKey::from_pkcs8_der(&der).map_err(|e| pem_err(&e))?;
                let pem = sec1_pem(
                    &k.to_bytes(),
                    &k.public_key().to_sec1_bytes(),
                    "1.2.840.10045.3.1.7",
                )?;
                let ssh = EcdsaKeypair::NistP256 {
                    public: k.public_key().into(),
                    private: k.into(),
                };
                Ok((pem, KeypairData::from(ssh)))
            } else if curve == &rcgen::PKCS_ECDSA_P384_SHA384 {
                let k = p384::SecretKey::from_pkcs8_der(&der).map_err(|e| pem_err(&e))?;
                let pem = sec1_pem(
                    &k.to_bytes(),
                    &k.public_key().to_sec1_bytes(),
                    "1.3.132.0.34",
                )?;
                let ssh = EcdsaKeypair::NistP384 {
                    public: k.public_key().into(),
                    private: k.into(),
                };
                Ok((pem, KeypairData::from(ssh)))
            } else {
                let k = p521::SecretKey::from_pkcs8_der(&der).map_err(|e| pem_err(&e))?;
                let pem = sec1_pem(
                    &k.to_bytes(),
                    &k.public_key().to_sec1_bytes(),
                    "1.3.132.0.35",
                )?;
                let ssh = EcdsaKeypair::NistP521 {
                    public: k.public_key().into(),
                    private: k.into(),
                };
                Ok((pem, KeypairData::from(ssh)))
            }
        }
    }
}

/// An Ed25519 private key as PKCS#8 version 1 (RFC 8410's 48 bytes, no public key), the
/// form Go and OpenSSL write and every OpenSSL reads; aws-lc-rs writes version 2.
fn ed25519_pkcs8_v1(seed: &[u8; 32]) -> Result<String, ProviderError> {
    const PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let mut der = PREFIX.to_vec();
    der.extend_from_slice(seed);
    sec1::der::pem::encode_string("PRIVATE KEY", sec1::der::pem::LineEnding::LF, &der)
        .map_err(|e| invalid(format!("encoding the private key: {e}")))
}

/// The private key as PKCS#8 PEM (`private_key_pem_pkcs8`).
fn pkcs8_pem(g: &Generated) -> Result<String, ProviderError> {
    if g.algorithm == "ED25519" {
        let k = ed25519_dalek::SigningKey::from_pkcs8_der(&g.key.serialize_der())
            .map_err(|e| invalid(format!("encoding the private key: {e}")))?;
        return ed25519_pkcs8_v1(&k.to_bytes());
    }
    Ok(g.key.serialize_pem())
}

/// An EC private key as OpenSSL writes it ("EC PRIVATE KEY", SEC1 with the curve's OID
/// and the public key), which OpenSSL needs to read it back.
fn sec1_pem(secret: &[u8], public: &[u8], curve_oid: &str) -> Result<String, ProviderError> {
    use sec1::der::Encode;
    let oid = sec1::der::asn1::ObjectIdentifier::new(curve_oid)
        .map_err(|e| invalid(format!("curve OID: {e}")))?;
    let der = sec1::EcPrivateKey {
        private_key: secret,
        parameters: Some(sec1::EcParameters::NamedCurve(oid)),
        public_key: Some(public),
    }
    .to_der()
    .map_err(|e| invalid(format!("encoding the EC private key: {e}")))?;
    sec1::der::pem::encode_string("EC PRIVATE KEY", sec1::der::pem::LineEnding::LF, &der)
        .map_err(|e| invalid(format!("encoding the EC private key: {e}")))
}

/// A new key pair of `algorithm` (`RSA` with `rsa_bits`, `ECDSA` on `ecdsa_curve`,
/// `ED25519`).
pub fn generate(algorithm: &str, rsa_bits: i64, curve: &str) -> Result<Generated, ProviderError> {
    let failed = |e: rcgen::Error| invalid(format!("generating the key: {e}"));
    let (algorithm, key) = match algorithm {
        "RSA" => {
            let size = match rsa_bits {
                2048 => RsaKeySize::_2048,
                3072 => RsaKeySize::_3072,
                4096 => RsaKeySize::_4096,
                other => {
                    return Err(invalid(format!(
                        "rsa_bits {other} is not supported: mlform makes RSA keys of 2048, 3072 or 4096 bits"
                    )))
                }
            };
            (
                "RSA",
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size).map_err(failed)?,
            )
        }
        "ECDSA" => {
            let alg = match curve {
                "P256" => &rcgen::PKCS_ECDSA_P256_SHA256,
                "P384" => &rcgen::PKCS_ECDSA_P384_SHA384,
                "P521" => &rcgen::PKCS_ECDSA_P521_SHA512,
                "P224" => {
                    return Err(invalid(
                        "ecdsa_curve P224 (hashicorp/tls's default) is not supported: set ecdsa_curve to P256, P384 or P521",
                    ))
                }
                other => {
                    return Err(invalid(format!(
                        "ecdsa_curve {other:?} must be one of P224, P256, P384, P521"
                    )))
                }
            };
            ("ECDSA", KeyPair::generate_for(alg).map_err(failed)?)
        }
        "ED25519" => (
            "ED25519",
            KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(failed)?,
        ),
        other => {
            return Err(invalid(format!(
                "algorithm {other:?} must be one of RSA, ECDSA, ED25519"
            )))
        }
    };
    Ok(Generated { algorithm, key })
}

/// `RSA`, `ECDSA` or `ED25519`, as hashicorp/tls names a key's algorithm.
pub fn algorithm_name(key: &KeyPair) -> &'static str {
    let alg = key.algorithm();
    if alg == &rcgen::PKCS_ED25519 {
        "ED25519"
    } else if alg == &rcgen::PKCS_ECDSA_P256_SHA256
        || alg == &rcgen::PKCS_ECDSA_P384_SHA384
        || alg == &rcgen::PKCS_ECDSA_P521_SHA512
    {
        "ECDSA"
    } else {
        "RSA"
    }
}

/// Reads a private key in any PEM encoding hashicorp/tls accepts (PKCS#1, SEC1, PKCS#8).
pub fn parse(pem: &str, what: &str) -> Result<KeyPair, ProviderError> {
    KeyPair::from_pem(pem).map_err(|e| {
        invalid(format!(
            "{what} is not a private key in PEM (PKCS#1, SEC1 or PKCS#8): {e}"
        ))
    })
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The computed attributes of a key pair.
fn key_values(g: &Generated) -> Result<Vec<(&'static str, Value)>, ProviderError> {
    let (private_pem, ssh_data) = encodings(g)?;
    let ssh = ssh_key::PrivateKey::new(ssh_data, "")
        .map_err(|e| invalid(format!("encoding the OpenSSH key: {e}")))?;
    let ssh_private = ssh
        .to_openssh(LineEnding::LF)
        .map_err(|e| invalid(format!("encoding the OpenSSH key: {e}")))?
        .to_string();
    let public = ssh.public_key();
    let public_openssh = public
        .to_openssh()
        .map_err(|e| invalid(format!("encoding the OpenSSH public key: {e}")))?;
    let wire = public
        .to_bytes()
        .map_err(|e| invalid(format!("encoding the OpenSSH public key: {e}")))?;
    let md5: Vec<String> = md5::Md5::digest(&wire)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(vec![
        (
            "id",
            Value::from(hex(&sha1::Sha1::digest(g.key.public_key_der())).as_str()),
        ),
        (
            "private_key_pem",
            Value::string(private_pem).mark_sensitive_if(true),
        ),
        (
            "private_key_pem_pkcs8",
            Value::string(pkcs8_pem(g)?).mark_sensitive_if(true),
        ),
        (
            "private_key_openssh",
            Value::string(ssh_private).mark_sensitive_if(true),
        ),
        ("public_key_pem", Value::string(g.key.public_key_pem())),
        (
            "public_key_openssh",
            Value::string(format!("{public_openssh}\n")),
        ),
        ("public_key_fingerprint_md5", Value::string(md5.join(":"))),
        (
            "public_key_fingerprint_sha256",
            Value::string(public.fingerprint(HashAlg::Sha256).to_string()),
        ),
    ])
}

pub struct PrivateKey;

#[async_trait::async_trait]
impl Resource for PrivateKey {
    fn schema(&self) -> Schema {
        let secret = || Attribute::computed(Type::String).sensitive();
        Schema::new()
            .attr("algorithm", Attribute::required(Type::String).force_new())
            .attr(
                "rsa_bits",
                Attribute::optional(Type::Number)
                    .force_new()
                    .default(2048i64),
            )
            .attr(
                "ecdsa_curve",
                Attribute::optional(Type::String)
                    .force_new()
                    .default("P224"),
            )
            .attr("id", Attribute::computed(Type::String))
            .attr("private_key_pem", secret())
            .attr("private_key_pem_pkcs8", secret())
            .attr("private_key_openssh", secret())
            .attr("public_key_pem", Attribute::computed(Type::String))
            .attr("public_key_openssh", Attribute::computed(Type::String))
            .attr(
                "public_key_fingerprint_md5",
                Attribute::computed(Type::String),
            )
            .attr(
                "public_key_fingerprint_sha256",
                Attribute::computed(Type::String),
            )
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let config = request.config;
        let algorithm = config.get_attr("algorithm").as_str();
        let curve = config.get_attr("ecdsa_curve").as_str().unwrap_or("P224");
        // Refused at plan what would fail at apply.
        match algorithm {
            Some("ECDSA") if curve == "P224" => {
                return Err(invalid(
                    "ecdsa_curve P224 (hashicorp/tls's default) is not supported: set ecdsa_curve to P256, P384 or P521",
                ))
            }
            Some("RSA" | "ECDSA" | "ED25519") | None => {}
            Some(other) => {
                return Err(invalid(format!(
                    "algorithm {other:?} must be one of RSA, ECDSA, ED25519"
                )))
            }
        }
        plan_by_schema(&self.schema(), request)
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(Some(prior.clone()))
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let g = generate(
            planned.get_attr("algorithm").as_str().unwrap_or_default(),
            planned.get_attr("rsa_bits").as_f64().unwrap_or(2048.0) as i64,
            planned.get_attr("ecdsa_curve").as_str().unwrap_or("P224"),
        )?;
        let mut m: ValueMap = planned.as_map().cloned().unwrap_or_default();
        for (k, v) in key_values(&g)? {
            m.insert(k.into(), v);
        }
        Ok(Value::Map(m))
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        Ok(planned.clone())
    }

    async fn delete(&self, _prior: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn import(&self, _id: &str) -> Result<Option<Value>, ProviderError> {
        Err(ProviderError::Unsupported(
            "tls_private_key cannot be imported: it is made on this machine and exists only in state".into(),
        ))
    }
}
