//! `tls_self_signed_cert`, `tls_cert_request` and `tls_locally_signed_cert`, as
//! hashicorp/tls makes them (rcgen builds and signs): a subject block, SANs, allowed uses
//! as key usages and extended key usages, a random 128-bit serial as the `id`, and
//! `ready_for_renewal` once the certificate is within `early_renewal_hours` of its end,
//! which replaces it on the next plan.

use std::net::IpAddr;

use mlform_provider::{
    plan_by_schema, Attribute, NestedBlock, Nesting, PathStep, PlanRequest, Planned, ProviderError,
    Resource, Schema, Type, Value, ValueMap,
};
use rand::RngCore;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose, SanType, SerialNumber,
};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::invalid;
use crate::key::{algorithm_name, hex, parse};

fn strings(v: &Value, name: &str) -> Vec<String> {
    v.get_attr(name)
        .as_list()
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn subject_schema() -> NestedBlock {
    let text = || Attribute::optional(Type::String).force_new();
    NestedBlock {
        nesting: Nesting::List,
        block: Schema::new()
            .attr("common_name", text())
            .attr("organization", text())
            .attr("organizational_unit", text())
            .attr(
                "street_address",
                Attribute::optional(Type::list(Type::String)).force_new(),
            )
            .attr("locality", text())
            .attr("province", text())
            .attr("country", text())
            .attr("postal_code", text())
            .attr("serial_number", text()),
        min_items: 0,
        max_items: Some(1),
        force_new: true,
    }
}

fn subject(v: &Value) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    let Some(s) = v.get_attr("subject").as_list().and_then(|l| l.first()) else {
        return dn;
    };
    let one = |n: &str| s.get_attr(n).as_str().map(str::to_string);
    // In the order Go's crypto/x509 (and so hashicorp/tls) writes them.
    let mut push = |ty: DnType, v: String| dn.push(ty, v);
    for (ty, name) in [
        (DnType::CountryName, "country"),
        (DnType::OrganizationName, "organization"),
        (DnType::OrganizationalUnitName, "organizational_unit"),
        (DnType::LocalityName, "locality"),
        (DnType::StateOrProvinceName, "province"),
    ] {
        if let Some(x) = one(name) {
            push(ty, x);
        }
    }
    // streetAddress, postalCode and serialNumber, by OID.
    for street in strings(s, "street_address") {
        push(DnType::CustomDnType(vec![2, 5, 4, 9]), street);
    }
    if let Some(x) = one("postal_code") {
        push(DnType::CustomDnType(vec![2, 5, 4, 17]), x);
    }
    if let Some(x) = one("serial_number") {
        push(DnType::CustomDnType(vec![2, 5, 4, 5]), x);
    }
    if let Some(x) = one("common_name") {
        push(DnType::CommonName, x);
    }
    dn
}

fn sans(v: &Value) -> Result<Vec<SanType>, ProviderError> {
    let mut out = Vec::new();
    for d in strings(v, "dns_names") {
        out.push(SanType::DnsName(d.as_str().try_into().map_err(|_| {
            invalid(format!("dns_names: {d:?} is not a DNS name"))
        })?));
    }
    for ip in strings(v, "ip_addresses") {
        let addr: IpAddr = ip
            .parse()
            .map_err(|_| invalid(format!("ip_addresses: {ip:?} is not an IP address")))?;
        out.push(SanType::IpAddress(addr));
    }
    for u in strings(v, "uris") {
        out.push(SanType::URI(
            u.as_str()
                .try_into()
                .map_err(|_| invalid(format!("uris: {u:?} is not a URI")))?,
        ));
    }
    Ok(out)
}

/// `allowed_uses`, as key usages and extended key usages (hashicorp/tls's names).
fn uses(v: &Value) -> Result<(Vec<KeyUsagePurpose>, Vec<ExtendedKeyUsagePurpose>), ProviderError> {
    let (mut ku, mut eku) = (Vec::new(), Vec::new());
    for u in strings(v, "allowed_uses") {
        match u.as_str() {
            "digital_signature" => ku.push(KeyUsagePurpose::DigitalSignature),
            "content_commitment" => ku.push(KeyUsagePurpose::ContentCommitment),
            "key_encipherment" => ku.push(KeyUsagePurpose::KeyEncipherment),
            "data_encipherment" => ku.push(KeyUsagePurpose::DataEncipherment),
            "key_agreement" => ku.push(KeyUsagePurpose::KeyAgreement),
            "cert_signing" => ku.push(KeyUsagePurpose::KeyCertSign),
            "crl_signing" => ku.push(KeyUsagePurpose::CrlSign),
            "encipher_only" => ku.push(KeyUsagePurpose::EncipherOnly),
            "decipher_only" => ku.push(KeyUsagePurpose::DecipherOnly),
            "any_extended" => eku.push(ExtendedKeyUsagePurpose::Any),
            "server_auth" => eku.push(ExtendedKeyUsagePurpose::ServerAuth),
            "client_auth" => eku.push(ExtendedKeyUsagePurpose::ClientAuth),
            "code_signing" => eku.push(ExtendedKeyUsagePurpose::CodeSigning),
            "email_protection" => eku.push(ExtendedKeyUsagePurpose::EmailProtection),
            "ipsec_end_system" => eku.push(ExtendedKeyUsagePurpose::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 5])),
            "ipsec_tunnel" => eku.push(ExtendedKeyUsagePurpose::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 6])),
            "ipsec_user" => eku.push(ExtendedKeyUsagePurpose::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 7])),
            "timestamping" => eku.push(ExtendedKeyUsagePurpose::TimeStamping),
            "ocsp_signing" => eku.push(ExtendedKeyUsagePurpose::OcspSigning),
            "microsoft_server_gated_crypto" => eku.push(ExtendedKeyUsagePurpose::Other(vec![1, 3, 6, 1, 4, 1, 311, 10, 3, 3])),
            "netscape_server_gated_crypto" => eku.push(ExtendedKeyUsagePurpose::Other(vec![2, 16, 840, 1, 113730, 4, 1])),
            other => return Err(invalid(format!("allowed_uses: {other:?} is not a key usage hashicorp/tls knows (digital_signature, key_encipherment, cert_signing, server_auth, client_auth, ...)"))),
        }
    }
    Ok((ku, eku))
}

/// Validity, serial and usages of a certificate to issue; returns the params and the id.
fn issue_params(
    planned: &Value,
    mut params: CertificateParams,
) -> Result<(CertificateParams, String, OffsetDateTime, OffsetDateTime), ProviderError> {
    let hours = planned
        .get_attr("validity_period_hours")
        .as_f64()
        .unwrap_or(0.0) as i64;
    if hours < 0 {
        return Err(invalid("validity_period_hours must not be negative"));
    }
    let start = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    let end = start + Duration::hours(hours);
    params.not_before = start;
    params.not_after = end;
    let (ku, eku) = uses(planned)?;
    params.key_usages = ku;
    params.extended_key_usages = eku;
    params.is_ca = if planned.get_attr("is_ca_certificate").as_bool() == Some(true) {
        IsCa::Ca(BasicConstraints::Unconstrained)
    } else {
        IsCa::ExplicitNoCa
    };
    let mut serial = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut serial);
    serial[0] &= 0x7f;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let id = mlform_provider::BigUint::from_bytes_be(&serial).to_string();
    Ok((params, id, start, end))
}

/// The subject's key and the certificate parameters its configuration names (subject,
/// SANs), shared by self-signed certificates and requests.
fn subject_params(planned: &Value) -> Result<(rcgen::KeyPair, CertificateParams), ProviderError> {
    let key = parse(
        planned
            .get_attr("private_key_pem")
            .as_str()
            .unwrap_or_default(),
        "private_key_pem",
    )?;
    let mut params = CertificateParams::default();
    params.distinguished_name = subject(planned);
    params.subject_alt_names = sans(planned)?;
    Ok((key, params))
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn issued(
    planned: &Value,
    pem: String,
    id: String,
    start: OffsetDateTime,
    end: OffsetDateTime,
    extra: (&str, &str),
) -> Value {
    let mut m: ValueMap = planned.as_map().cloned().unwrap_or_default();
    m.insert("cert_pem".into(), Value::string(pem));
    m.insert("id".into(), Value::string(id));
    m.insert("validity_start_time".into(), Value::string(rfc3339(start)));
    m.insert("validity_end_time".into(), Value::string(rfc3339(end)));
    m.insert("ready_for_renewal".into(), Value::Bool(false));
    m.insert(extra.0.into(), Value::from(extra.1));
    Value::Map(m)
}

/// Whether a certificate's end is within `early_renewal_hours` of now.
fn due(state: &Value) -> bool {
    let Some(end) = state
        .get_attr("validity_end_time")
        .as_str()
        .and_then(|e| OffsetDateTime::parse(e, &Rfc3339).ok())
    else {
        return false;
    };
    let early = state
        .get_attr("early_renewal_hours")
        .as_f64()
        .unwrap_or(0.0) as i64;
    OffsetDateTime::now_utc() >= end - Duration::hours(early)
}

/// Plans a certificate; one due for renewal is replaced (its `ready_for_renewal` turns true).
fn plan_certificate(schema: &Schema, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
    let mut planned = plan_by_schema(schema, request.clone())?;
    if let Some(prior) = request.prior {
        if due(prior) {
            planned
                .requires_replace
                .push(vec![PathStep::GetAttr("ready_for_renewal".into())]);
            planned.replace_reason = Some("the certificate is ready for renewal".into());
            planned = Planned {
                state: plan_by_schema(
                    schema,
                    PlanRequest {
                        prior: None,
                        config: request.config,
                    },
                )?
                .state,
                ..planned
            };
        }
    }
    Ok(planned)
}

fn issue_schema(base: Schema) -> Schema {
    base.attr(
        "validity_period_hours",
        Attribute::required(Type::Number).force_new(),
    )
    .attr(
        "early_renewal_hours",
        Attribute::optional(Type::Number).default(0i64),
    )
    .attr(
        "allowed_uses",
        Attribute::required(Type::list(Type::String)).force_new(),
    )
    .attr(
        "is_ca_certificate",
        Attribute::optional(Type::Bool).force_new().default(false),
    )
    .attr(
        "set_subject_key_id",
        Attribute::optional(Type::Bool).force_new().default(false),
    )
    .attr("cert_pem", Attribute::computed(Type::String))
    .attr("validity_start_time", Attribute::computed(Type::String))
    .attr("validity_end_time", Attribute::computed(Type::String))
    .attr("ready_for_renewal", Attribute::computed(Type::Bool))
    .attr("id", Attribute::computed(Type::String))
}

fn san_attrs(s: Schema) -> Schema {
    let list = || Attribute::optional(Type::list(Type::String)).force_new();
    s.attr("dns_names", list())
        .attr("ip_addresses", list())
        .attr("uris", list())
        .block("subject", subject_schema())
}

/// Reads a certificate from state: nothing remote, only whether it is due for renewal.
fn read_local(prior: &Value) -> Value {
    let mut v = prior.clone();
    if let Value::Map(m) = &mut v {
        if m.contains_key("ready_for_renewal") {
            m.insert("ready_for_renewal".into(), Value::Bool(due(prior)));
        }
    }
    v
}

fn not_importable(type_name: &str) -> ProviderError {
    ProviderError::Unsupported(format!(
        "{type_name} cannot be imported: it is made on this machine and exists only in state (as in hashicorp/tls)"
    ))
}

/// Which of hashicorp/tls's certificate types a [`Certificate`] is.
#[derive(Clone, Copy)]
pub enum Kind {
    /// `tls_self_signed_cert`
    SelfSigned,
    /// `tls_cert_request`
    Request,
    /// `tls_locally_signed_cert`
    LocallySigned,
}

/// One of the certificate types: made here, kept in state, never read from anywhere.
pub struct Certificate(pub Kind);

impl Certificate {
    fn type_name(&self) -> &'static str {
        match self.0 {
            Kind::SelfSigned => "tls_self_signed_cert",
            Kind::Request => "tls_cert_request",
            Kind::LocallySigned => "tls_locally_signed_cert",
        }
    }

    fn self_signed_schema() -> Schema {
        issue_schema(san_attrs(Schema::new().attr(
            "private_key_pem",
            Attribute::required(Type::String).force_new().sensitive(),
        )))
        .attr(
            "set_authority_key_id",
            Attribute::optional(Type::Bool).force_new().default(false),
        )
        .attr("key_algorithm", Attribute::computed(Type::String))
    }

    fn create_self_signed(planned: &Value) -> Result<Value, ProviderError> {
        let (key, mut params) = subject_params(planned)?;
        params.use_authority_key_identifier_extension =
            planned.get_attr("set_authority_key_id").as_bool() == Some(true);
        let (params, id, start, end) = issue_params(planned, params)?;
        let cert = params
            .self_signed(&key)
            .map_err(|e| invalid(format!("signing the certificate: {e}")))?;
        Ok(issued(
            planned,
            cert.pem(),
            id,
            start,
            end,
            ("key_algorithm", algorithm_name(&key)),
        ))
    }

    fn request_schema() -> Schema {
        san_attrs(Schema::new().attr(
            "private_key_pem",
            Attribute::required(Type::String).force_new().sensitive(),
        ))
        .attr("cert_request_pem", Attribute::computed(Type::String))
        .attr("key_algorithm", Attribute::computed(Type::String))
        .attr("id", Attribute::computed(Type::String))
    }

    fn create_request(planned: &Value) -> Result<Value, ProviderError> {
        let (key, params) = subject_params(planned)?;
        let csr = params
            .serialize_request(&key)
            .and_then(|c| c.pem())
            .map_err(|e| invalid(format!("signing the request: {e}")))?;
        let mut m: ValueMap = planned.as_map().cloned().unwrap_or_default();
        m.insert(
            "id".into(),
            Value::string(hex(&<sha1::Sha1 as sha1::Digest>::digest(csr.as_bytes()))),
        );
        m.insert("cert_request_pem".into(), Value::string(csr));
        m.insert("key_algorithm".into(), Value::from(algorithm_name(&key)));
        Ok(Value::Map(m))
    }

    fn locally_signed_schema() -> Schema {
        issue_schema(
            Schema::new()
                .attr(
                    "cert_request_pem",
                    Attribute::required(Type::String).force_new(),
                )
                .attr(
                    "ca_private_key_pem",
                    Attribute::required(Type::String).force_new().sensitive(),
                )
                .attr("ca_cert_pem", Attribute::required(Type::String).force_new()),
        )
        .attr("ca_key_algorithm", Attribute::computed(Type::String))
    }

    fn create_locally_signed(planned: &Value) -> Result<Value, ProviderError> {
        let ca_key = parse(
            planned
                .get_attr("ca_private_key_pem")
                .as_str()
                .unwrap_or_default(),
            "ca_private_key_pem",
        )?;
        let ca_params = CertificateParams::from_ca_cert_pem(
            planned.get_attr("ca_cert_pem").as_str().unwrap_or_default(),
        )
        .map_err(|e| invalid(format!("ca_cert_pem is not a certificate in PEM: {e}")))?;
        let ca = ca_params.self_signed(&ca_key).map_err(|e| {
            invalid(format!(
                "ca_private_key_pem does not sign for ca_cert_pem: {e}"
            ))
        })?;
        let mut csr = CertificateSigningRequestParams::from_pem(
            planned
                .get_attr("cert_request_pem")
                .as_str()
                .unwrap_or_default(),
        )
        .map_err(|e| {
            invalid(format!(
                "cert_request_pem is not a certificate request in PEM: {e}"
            ))
        })?;
        let (params, id, start, end) = issue_params(planned, csr.params)?;
        csr.params = params;
        let cert = csr
            .signed_by(&ca, &ca_key)
            .map_err(|e| invalid(format!("signing the certificate: {e}")))?;
        Ok(issued(
            planned,
            cert.pem(),
            id,
            start,
            end,
            ("ca_key_algorithm", algorithm_name(&ca_key)),
        ))
    }
}

#[async_trait::async_trait]
impl Resource for Certificate {
    fn schema(&self) -> Schema {
        match self.0 {
            Kind::SelfSigned => Self::self_signed_schema(),
            Kind::Request => Self::request_schema(),
            Kind::LocallySigned => Self::locally_signed_schema(),
        }
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        match self.0 {
            Kind::Request => plan_by_schema(&self.schema(), request),
            _ => plan_certificate(&self.schema(), request),
        }
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        match self.0 {
            Kind::SelfSigned => Self::create_self_signed(planned),
            Kind::Request => Self::create_request(planned),
            Kind::LocallySigned => Self::create_locally_signed(planned),
        }
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        Ok(Some(read_local(prior)))
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        Ok(planned.clone())
    }

    async fn delete(&self, _prior: &Value) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn import(&self, _id: &str) -> Result<Option<Value>, ProviderError> {
        Err(not_importable(self.type_name()))
    }
}
