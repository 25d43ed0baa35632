//! `data "tls_certificate"`: the certificates of a TLS endpoint (`url = "https://host"`,
//! `tls://host:port`) or of PEM `content`, as hashicorp/tls describes them: root first, each
//! with Go's names for its subject, issuer and algorithms and its SHA-1 fingerprint (what
//! an IAM OpenID Connect provider's `thumbprint_list` takes). With `verify_chain` (the
//! default) the endpoint's chain must verify against this machine's trusted roots.

use std::sync::Arc;
use std::time::Duration;

use mlform_provider::{Attribute, DataSource, ProviderError, Schema, Type, Value};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha1::{Digest, Sha1};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::invalid;

/// How long connecting and the TLS handshake may take together.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);

pub struct CertificateData;

fn certificate_type() -> Type {
    let fields = [
        ("cert_pem", Type::String),
        ("is_ca", Type::Bool),
        ("issuer", Type::String),
        ("not_after", Type::String),
        ("not_before", Type::String),
        ("public_key_algorithm", Type::String),
        ("serial_number", Type::String),
        ("sha1_fingerprint", Type::String),
        ("signature_algorithm", Type::String),
        ("subject", Type::String),
        ("version", Type::Number),
    ];
    Type::Object(
        fields
            .into_iter()
            .map(|(k, t)| (k.to_string(), t))
            .collect(),
    )
}

#[async_trait::async_trait]
impl DataSource for CertificateData {
    fn schema(&self) -> Schema {
        Schema::new()
            .attr("url", Attribute::optional(Type::String))
            .attr("content", Attribute::optional(Type::String))
            .attr("verify_chain", Attribute::optional(Type::Bool))
            .attr("id", Attribute::computed(Type::String))
            .attr(
                "certificates",
                Attribute::computed(Type::list(certificate_type())),
            )
    }

    async fn read(&self, config: &Value) -> Result<Value, ProviderError> {
        let url = config.get_attr("url").as_str().map(str::to_string);
        let content = config.get_attr("content").as_str().map(str::to_string);
        let verify = config.get_attr("verify_chain").as_bool().unwrap_or(true);
        let ders = match (&url, &content) {
            (Some(url), None) => fetch_chain(url, verify).await?,
            (None, Some(pem)) => {
                if config.get_attr("verify_chain").as_bool().is_some() {
                    return Err(invalid("tls_certificate: verify_chain applies to url only"));
                }
                first_pem_block(pem)?
            }
            _ => {
                return Err(invalid(
                    "tls_certificate takes exactly one of url and content",
                ))
            }
        };
        // hashicorp/tls lists the chain root first.
        let certs = ders
            .iter()
            .rev()
            .map(|der| describe(der))
            .collect::<Result<Vec<_>, _>>()?;
        let mut hasher = Sha1::new();
        for c in &certs {
            hasher.update(c.get_attr("cert_pem").as_str().unwrap_or_default());
        }
        Ok(Value::object([
            ("url", url.map(Value::from).unwrap_or(Value::Null)),
            ("content", content.map(Value::from).unwrap_or(Value::Null)),
            ("verify_chain", config.get_attr("verify_chain").clone()),
            ("id", Value::from(hex(&hasher.finalize()))),
            ("certificates", Value::List(certs)),
        ]))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The certificates of the first PEM block of `pem` (hashicorp/tls reads that one).
fn first_pem_block(pem: &str) -> Result<Vec<Vec<u8>>, ProviderError> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).map_err(|e| {
        invalid(format!(
            "tls_certificate: content is not a PEM certificate: {e}"
        ))
    })?;
    if block.label != "CERTIFICATE" {
        return Err(invalid(format!(
            "tls_certificate: content holds a {} block, not a CERTIFICATE",
            block.label
        )));
    }
    Ok(vec![block.contents])
}

/// Host, port and server name of `https://host[:port][/...]` or `tls://host:port`.
fn endpoint(url: &str) -> Result<(String, u16), ProviderError> {
    let (rest, default_port) = if let Some(r) = url.strip_prefix("https://") {
        (r, Some(443))
    } else if let Some(r) = url.strip_prefix("tls://") {
        (r, None)
    } else {
        return Err(invalid(format!(
            "tls_certificate: url {url:?} must start with https:// or tls://"
        )));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
            let port = p
                .parse::<u16>()
                .map_err(|_| invalid(format!("tls_certificate: {p:?} in {url:?} is not a port")))?;
            (
                h.trim_start_matches('[').trim_end_matches(']').to_string(),
                port,
            )
        }
        _ => match default_port {
            Some(p) => (authority.to_string(), p),
            None => {
                return Err(invalid(format!(
                    "tls_certificate: a tls:// url needs a port, as in tls://{authority}:443"
                )))
            }
        },
    };
    if host.is_empty() {
        return Err(invalid(format!(
            "tls_certificate: url {url:?} names no host"
        )));
    }
    Ok((host, port))
}

async fn fetch_chain(url: &str, verify: bool) -> Result<Vec<Vec<u8>>, ProviderError> {
    let (host, port) = endpoint(url)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ProviderError::Api(format!("tls_certificate: {e}")))?;
    let config = if verify {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
            .with_no_client_auth()
    };
    let name = ServerName::try_from(host.clone())
        .map_err(|e| invalid(format!("tls_certificate: {host:?} is not a host name: {e}")))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = async {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        connector.connect(name, tcp).await
    };
    let stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake)
        .await
        .map_err(|_| {
            ProviderError::Transient(format!(
                "tls_certificate: no TLS handshake with {host}:{port} within {}s",
                HANDSHAKE_TIMEOUT.as_secs()
            ))
        })?
        .map_err(|e| {
            let hint = if verify {
                "; set verify_chain = false to read a chain this machine does not trust"
            } else {
                ""
            };
            ProviderError::Api(format!(
                "tls_certificate: TLS with {host}:{port} failed: {e}{hint}"
            ))
        })?;
    let (_, session) = stream.get_ref();
    let chain = session
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .map(|c| c.as_ref().to_vec())
        .collect::<Vec<_>>();
    if chain.is_empty() {
        return Err(ProviderError::Api(format!(
            "tls_certificate: {host}:{port} presented no certificate"
        )));
    }
    Ok(chain)
}

/// Reads whatever chain the server presents (`verify_chain = false`). Nothing is sent over
/// the connection and the certificates are only read, so neither the chain nor the
/// handshake signature is checked: a certificate rustls cannot parse for signature checks
/// (an X.509 v1 certificate, say) is still read, as Go's TLS client reads it.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn pem_of(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// One certificate as hashicorp/tls describes it.
fn describe(der: &[u8]) -> Result<Value, ProviderError> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| invalid(format!("tls_certificate: unreadable certificate: {e}")))?;
    let time = |t: x509_parser::time::ASN1Time| {
        t.to_datetime()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let is_ca = cert
        .basic_constraints()
        .ok()
        .flatten()
        .is_some_and(|b| b.value.ca);
    Ok(Value::object([
        ("cert_pem", Value::from(pem_of(der))),
        ("is_ca", Value::Bool(is_ca)),
        ("issuer", Value::from(go_name(cert.issuer()))),
        ("subject", Value::from(go_name(cert.subject()))),
        ("not_before", Value::from(time(cert.validity().not_before))),
        ("not_after", Value::from(time(cert.validity().not_after))),
        (
            "public_key_algorithm",
            Value::from(public_key_algorithm(&cert)),
        ),
        ("serial_number", Value::from(cert.serial.to_str_radix(10))),
        ("sha1_fingerprint", Value::from(hex(&Sha1::digest(der)))),
        (
            "signature_algorithm",
            Value::from(signature_algorithm(&cert)),
        ),
        ("version", Value::from(f64::from(cert.version().0 + 1))),
    ]))
}

fn public_key_algorithm(cert: &X509Certificate<'_>) -> &'static str {
    match cert
        .public_key()
        .algorithm
        .algorithm
        .to_id_string()
        .as_str()
    {
        "1.2.840.113549.1.1.1" => "RSA",
        "1.2.840.10045.2.1" => "ECDSA",
        "1.3.101.112" => "Ed25519",
        "1.2.840.10040.4.1" => "DSA",
        _ => "UnknownPublicKeyAlgorithm",
    }
}

/// Go's `x509.SignatureAlgorithm.String()` names.
fn signature_algorithm(cert: &X509Certificate<'_>) -> &'static str {
    match cert.signature_algorithm.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.4" => "MD5-RSA",
        "1.2.840.113549.1.1.5" => "SHA1-RSA",
        "1.2.840.113549.1.1.11" => "SHA256-RSA",
        "1.2.840.113549.1.1.12" => "SHA384-RSA",
        "1.2.840.113549.1.1.13" => "SHA512-RSA",
        "1.2.840.113549.1.1.10" => "SHA256-RSAPSS",
        "1.2.840.10045.4.1" => "ECDSA-SHA1",
        "1.2.840.10045.4.3.2" => "ECDSA-SHA256",
        "1.2.840.10045.4.3.3" => "ECDSA-SHA384",
        "1.2.840.10045.4.3.4" => "ECDSA-SHA512",
        "1.3.101.112" => "Ed25519",
        _ => "0",
    }
}

/// Go's `pkix.Name.String()`: the attributes in Go's fixed order (C, ST, L, STREET,
/// POSTALCODE, O, OU, CN, SERIALNUMBER), printed last to first, RFC 2253 escaped.
fn go_name(name: &x509_parser::x509::X509Name<'_>) -> String {
    const ORDER: &[(&str, &str)] = &[
        ("2.5.4.6", "C"),
        ("2.5.4.8", "ST"),
        ("2.5.4.7", "L"),
        ("2.5.4.9", "STREET"),
        ("2.5.4.17", "POSTALCODE"),
        ("2.5.4.10", "O"),
        ("2.5.4.11", "OU"),
        ("2.5.4.3", "CN"),
        ("2.5.4.5", "SERIALNUMBER"),
    ];
    let attrs: Vec<(String, String)> = name
        .iter_attributes()
        .map(|a| {
            (
                a.attr_type().to_id_string(),
                a.as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let mut parts = Vec::new();
    for (oid, short) in ORDER {
        for (_, value) in attrs.iter().filter(|(o, _)| o == oid) {
            parts.push(format!("{short}={}", escape(value)));
        }
    }
    for (oid, value) in attrs
        .iter()
        .filter(|(o, _)| !ORDER.iter().any(|(known, _)| known == o))
    {
        parts.push(format!("{oid}={}", escape(value)));
    }
    parts.reverse();
    parts.join(",")
}

fn escape(value: &str) -> String {
    let mut out = String::new();
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == ' ' || c == '#'))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_host_and_port() {
        assert_eq!(
            endpoint("https://token.actions.githubusercontent.com").unwrap(),
            ("token.actions.githubusercontent.com".into(), 443)
        );
        assert_eq!(
            endpoint("https://oidc.example.com:8443/path").unwrap(),
            ("oidc.example.com".into(), 8443)
        );
        assert_eq!(
            endpoint("tls://127.0.0.1:9000").unwrap(),
            ("127.0.0.1".into(), 9000)
        );
        assert!(endpoint("tls://host").is_err());
        assert!(endpoint("http://host").is_err());
    }

    #[test]
    fn names_escape_as_go_does() {
        assert_eq!(escape("a,b"), "a\\,b");
        assert_eq!(escape(" lead"), "\\ lead");
        assert_eq!(escape("#x"), "\\#x");
        assert_eq!(escape("trail "), "trail\\ ");
    }
}
