//! The built-in `tls` provider: keys in every algorithm and encoding hashicorp/tls gives,
//! a CA, a certificate request and a certificate it signs, checked with OpenSSL; secrets
//! stay out of plans; a certificate due for renewal is replaced.

use std::process::Command;

use crate::support::{squash, Workdir};

const CONFIG: &str = r#"
terraform {
  required_providers {
    tls = { source = "hashicorp/tls" }
  }
}

resource "tls_private_key" "ca" {
  algorithm   = "ECDSA"
  ecdsa_curve = "P384"
}

resource "tls_private_key" "server" {
  algorithm = "RSA"
}

resource "tls_private_key" "deploy" {
  algorithm = "ED25519"
}

resource "tls_self_signed_cert" "ca" {
  private_key_pem = tls_private_key.ca.private_key_pem
  subject {
    common_name  = "ML platform CA"
    organization = "Example ML"
  }
  validity_period_hours = 8760
  is_ca_certificate     = true
  set_authority_key_id  = true
  allowed_uses          = ["cert_signing", "crl_signing", "digital_signature"]
}

resource "tls_cert_request" "server" {
  private_key_pem = tls_private_key.server.private_key_pem
  subject {
    common_name = "scorer.serving.svc"
  }
  dns_names    = ["scorer.serving.svc", "scorer.serving.svc.cluster.local"]
  ip_addresses = ["127.0.0.1"]
}

resource "tls_locally_signed_cert" "server" {
  cert_request_pem      = tls_cert_request.server.cert_request_pem
  ca_private_key_pem    = tls_private_key.ca.private_key_pem
  ca_cert_pem           = tls_self_signed_cert.ca.cert_pem
  validity_period_hours = 720
  allowed_uses          = ["digital_signature", "key_encipherment", "server_auth"]
}

resource "local_file" "ca" {
  filename = "${path.module}/ca.pem"
  content  = tls_self_signed_cert.ca.cert_pem
}

resource "local_file" "server" {
  filename = "${path.module}/server.pem"
  content  = tls_locally_signed_cert.server.cert_pem
}

resource "local_sensitive_file" "keys" {
  for_each = {
    ca     = tls_private_key.ca.private_key_pem
    server = tls_private_key.server.private_key_pem
    deploy = tls_private_key.deploy.private_key_pem
    pkcs8  = tls_private_key.server.private_key_pem_pkcs8
    ssh    = tls_private_key.deploy.private_key_openssh
  }
  filename = "${path.module}/${each.key}.key"
  content  = each.value
}

output "fingerprint" {
  value = tls_private_key.deploy.public_key_fingerprint_sha256
}

output "openssh" {
  value = tls_private_key.deploy.public_key_openssh
}

output "algorithm" {
  value = tls_locally_signed_cert.server.ca_key_algorithm
}
"#;

fn openssl(w: &Workdir, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(w.path())
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn keys_a_ca_and_a_signed_certificate_that_openssl_accepts() {
    let w = Workdir::new();
    w.write("main.tf", CONFIG);
    let plan = w.ok(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("+ private_key_pem               = (sensitive value)"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("BEGIN"), "{}", plan.stdout);
    let apply = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(!apply.stdout.contains("PRIVATE KEY"), "{}", apply.stdout);

    // OpenSSL reads every key in the encoding hashicorp/tls writes, and the chain verifies.
    let head = |f: &str| {
        std::fs::read_to_string(w.path().join(f))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(head("server.key"), "-----BEGIN RSA PRIVATE KEY-----");
    assert_eq!(head("ca.key"), "-----BEGIN EC PRIVATE KEY-----");
    assert_eq!(head("deploy.key"), "-----BEGIN PRIVATE KEY-----");
    assert_eq!(head("pkcs8.key"), "-----BEGIN PRIVATE KEY-----");
    assert_eq!(head("ssh.key"), "-----BEGIN OPENSSH PRIVATE KEY-----");
    openssl(&w, &["rsa", "-in", "server.key", "-check", "-noout"]);
    openssl(&w, &["ec", "-in", "ca.key", "-check", "-noout"]);
    openssl(&w, &["pkey", "-in", "deploy.key", "-noout"]);
    openssl(&w, &["pkey", "-in", "pkcs8.key", "-noout"]);
    let ssh = std::process::Command::new("ssh-keygen")
        .args(["-y", "-f", "ssh.key"])
        .current_dir(w.path())
        .output();
    if let Ok(out) = ssh {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("ssh-ed25519 "));
    }
    let verified = openssl(&w, &["verify", "-CAfile", "ca.pem", "server.pem"]);
    assert_eq!(verified.trim(), "server.pem: OK");
    let text = openssl(&w, &["x509", "-in", "server.pem", "-noout", "-text"]);
    for needed in [
        "DNS:scorer.serving.svc",
        "DNS:scorer.serving.svc.cluster.local",
        "IP Address:127.0.0.1",
        "TLS Web Server Authentication",
        "Issuer: O = Example ML, CN = ML platform CA",
    ] {
        assert!(text.contains(needed), "{needed} missing:\n{text}");
    }
    let ca = openssl(&w, &["x509", "-in", "ca.pem", "-noout", "-text"]);
    assert!(ca.contains("CA:TRUE"), "{ca}");
    assert!(ca.contains("X509v3 Authority Key Identifier"), "{ca}");

    let fp = w.ok(&["output", "-raw", "fingerprint"]).stdout;
    assert!(fp.starts_with("SHA256:"), "{fp}");
    let ssh = w.ok(&["output", "-raw", "openssh"]).stdout;
    assert!(
        ssh.starts_with("ssh-ed25519 ") && ssh.ends_with('\n'),
        "{ssh}"
    );
    assert_eq!(w.ok(&["output", "-raw", "algorithm"]).stdout, "ECDSA");

    // Nothing changes on a re-plan; a new validity replaces the certificate only.
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);
    w.write(
        "main.tf",
        &CONFIG.replace(
            "validity_period_hours = 720",
            "validity_period_hours = 1440",
        ),
    );
    let plan = w.ok(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# tls_locally_signed_cert.server must be replaced"),
        "{}",
        plan.stdout
    );
    w.ok(&["destroy", "-auto-approve"]);
}

#[test]
fn certificates_due_for_renewal_are_replaced_and_bad_keys_are_refused() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        r#"
resource "tls_private_key" "k" {
  algorithm = "ED25519"
}

resource "tls_self_signed_cert" "soon" {
  private_key_pem       = tls_private_key.k.private_key_pem
  validity_period_hours = 1
  early_renewal_hours   = 2
  allowed_uses          = ["server_auth"]
  subject {
    common_name = "soon"
  }
}
"#,
    );
    w.ok(&["apply", "-auto-approve"]);
    let plan = w.ok(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# tls_self_signed_cert.soon must be replaced"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{}",
        plan.stdout
    );

    w.write(
        "main.tf",
        "resource \"tls_private_key\" \"k\" {\n  algorithm = \"ECDSA\"\n}\n",
    );
    let bad = w.run(&["plan", "-no-color"]);
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
    assert!(bad.stderr.contains("ecdsa_curve P224"), "{}", bad.stderr);
}

/// `openssl s_server` on a loopback port with a CA-signed chain, stopped on drop.
struct TlsServer(std::process::Child);

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn tls_certificate_reads_an_endpoint_chain_and_pem_content_as_openssl_does() {
    let w = Workdir::new();
    openssl(
        &w,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/C=US/O=Example ML/CN=Test Root",
        ],
    );
    openssl(
        &w,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/O=Example ML/CN=oidc.localhost",
        ],
    );
    openssl(
        &w,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "1",
            "-sha256",
        ],
    );
    let port = crate::image::free_port();
    let server = TlsServer(
        Command::new("openssl")
            .args([
                "s_server",
                "-quiet",
                "-accept",
                &format!("127.0.0.1:{port}"),
                "-cert",
                "leaf.pem",
                "-key",
                "leaf.key",
                "-cert_chain",
                "ca.pem",
            ])
            .current_dir(w.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("openssl s_server starts"),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    w.write(
        "main.tf",
        &format!(
            r#"
data "tls_certificate" "endpoint" {{
  url          = "tls://127.0.0.1:{port}"
  verify_chain = false
}}

data "tls_certificate" "pem" {{
  content = file("leaf.pem")
}}

output "thumbprints" {{
  value = data.tls_certificate.endpoint.certificates[*].sha1_fingerprint
}}

output "subjects" {{
  value = data.tls_certificate.endpoint.certificates[*].subject
}}

output "root_is_ca" {{
  value = data.tls_certificate.endpoint.certificates[0].is_ca
}}

output "leaf" {{
  value = data.tls_certificate.pem.certificates[0]
}}
"#
        ),
    );
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let out = w.run(&["output", "-json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let fingerprint = |file: &str| {
        openssl(
            &w,
            &["x509", "-in", file, "-noout", "-fingerprint", "-sha1"],
        )
        .trim()
        .rsplit('=')
        .next()
        .unwrap()
        .replace(':', "")
        .to_lowercase()
    };
    assert_eq!(
        v["thumbprints"]["value"],
        serde_json::json!([fingerprint("ca.pem"), fingerprint("leaf.pem")])
    );
    assert_eq!(
        v["subjects"]["value"],
        serde_json::json!([
            "CN=Test Root,O=Example ML,C=US",
            "CN=oidc.localhost,O=Example ML"
        ])
    );
    assert_eq!(v["root_is_ca"]["value"], serde_json::json!(true));
    let leaf = &v["leaf"]["value"];
    assert_eq!(leaf["issuer"], "CN=Test Root,O=Example ML,C=US");
    assert_eq!(leaf["public_key_algorithm"], "RSA");
    assert_eq!(leaf["signature_algorithm"], "ECDSA-SHA256");
    // `openssl x509 -req` without extensions writes an X.509 v1 certificate.
    assert_eq!(leaf["version"], 1);
    let serial = openssl(&w, &["x509", "-in", "leaf.pem", "-noout", "-serial"]);
    let hex_serial = serial.trim().trim_start_matches("serial=");
    assert!(!hex_serial.is_empty());
    assert!(leaf["cert_pem"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----\n"));

    // The chain is not trusted here: verified, it fails and says how to read it anyway.
    w.write(
        "main.tf",
        &format!(
            "data \"tls_certificate\" \"endpoint\" {{\n  url = \"tls://127.0.0.1:{port}\"\n}}\n"
        ),
    );
    let refused = w.run(&["plan", "-no-color"]);
    assert_ne!(refused.code, 0);
    let said = squash(&refused.stderr);
    assert!(
        said.contains("set verify_chain = false"),
        "{}",
        refused.stderr
    );
    drop(server);
}
