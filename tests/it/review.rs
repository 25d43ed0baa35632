//! Pull-request review output that needs no cloud: the markdown comment stays under
//! GitHub's limit by dropping details, never the summary; sensitive values stay out of it;
//! `mlform check` on a plan without findings exits 0. Real consumers: Checkov reads the plan
//! JSON; the plan JSON and SARIF validate against their JSON Schemas.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::support::Workdir;

#[test]
fn markdown_comment_truncates_details_but_keeps_the_summary() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        r#"
variable "token" {
  type      = string
  sensitive = true
  default   = "hunter2-secret"
}

resource "terraform_data" "shard" {
  count = 400
  input = {
    index   = count.index
    padding = join(",", [for i in range(40) : "feature-${i}"])
  }
}

resource "terraform_data" "secret" {
  input = var.token
}
"#,
    );
    let r = w.ok(&["plan", "-no-color", "-markdown=comment.md"]);
    assert!(r.stdout.contains("Plan: 401 to add"), "{}", r.stdout);
    let md = std::fs::read_to_string(w.path().join("comment.md")).unwrap();
    assert!(
        md.chars().count() <= 65_536,
        "{} characters",
        md.chars().count()
    );
    assert!(md.contains("**Plan: 401 to add, 0 to change, 0 to destroy.**"));
    assert!(md.contains("| `+` | `terraform_data.shard[399]` | create |"));
    assert!(
        md.contains("left out to stay under GitHub's comment limit"),
        "{md}"
    );
    assert!(!md.contains("hunter2"));
    assert!(md.contains("(sensitive value)"));

    let r = w.run(&["check", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout.trim(), "Checks: 0 finding(s).");
}

const CHECKOV_VERSION: &str = "3.3.30";

/// A cached venv with Checkov (which brings jsonschema), installed by the harness itself.
fn review_tools() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let venv = PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()))
            .join(format!(".cache/mlform/venv-checkov-{CHECKOV_VERSION}"));
        if !venv.join("bin/checkov").exists() {
            let ok = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "python3 -m venv failed");
            let ok = Command::new(venv.join("bin/python"))
                .args(["-m", "pip", "install", "-q"])
                .arg(format!("checkov=={CHECKOV_VERSION}"))
                .status()
                .is_ok_and(|s| s.success());
            assert!(
                ok && venv.join("bin/checkov").exists(),
                "pip install checkov failed"
            );
        }
        venv
    })
    .clone()
}

/// Checkov's failed checks as (check ID, resource address) pairs.
fn checkov_failures(args: &[&str]) -> BTreeSet<(String, String)> {
    let out = Command::new(review_tools().join("bin/checkov"))
        .args(args)
        .args(["-o", "json", "--quiet", "--compact", "--skip-download"])
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
        .stderr(Stdio::null())
        .output()
        .expect("run checkov");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov JSON: {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let reports = match v {
        serde_json::Value::Array(a) => a,
        other => vec![other],
    };
    reports
        .iter()
        .flat_map(|r| {
            r["results"]["failed_checks"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|f| {
            (
                f["check_id"].as_str().unwrap_or_default().to_string(),
                f["resource"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Validates JSON files against a JSON Schema with the `jsonschema` package.
fn validate(schema: &Path, documents: &[&Path]) {
    let script = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
v = cls(schema, format_checker=cls.FORMAT_CHECKER)
bad = [f"{p}: {'/'.join(map(str, e.path))}: {e.message[:300]}" for p in sys.argv[2:] for e in v.iter_errors(json.load(open(p)))]
print("\n".join(bad))
sys.exit(1 if bad else 0)
"#;
    let out = Command::new(review_tools().join("bin/python"))
        .arg("-c")
        .arg(script)
        .arg(schema)
        .args(documents)
        .output()
        .expect("run jsonschema");
    assert!(
        out.status.success(),
        "{} rejects:\n{}{}",
        schema.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The SARIF 2.1.0 JSON Schema as shipped in the serde-sarif crate's sources.
fn sarif_schema() -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--manifest-path",
        ])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .output()
        .expect("cargo metadata");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let manifest = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("serde-sarif in the dependency graph");
    Path::new(manifest)
        .parent()
        .unwrap()
        .join("src/schema.json")
}

/// Checkov reads mlform's plan JSON unchanged and fails the same checks on it as on the
/// `.tf` files; the plan JSON matches docs/plan-json.schema.json and the SARIF from
/// `mlform check` matches the SARIF 2.1.0 schema.
#[test]
fn checkov_reads_the_plan_json_and_outputs_match_their_schemas() {
    let moto = crate::aws::Moto::start();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let w = Workdir::new();
    crate::support::copy_dir(&root.join("examples/sagemaker-endpoint"), w.path());
    // A bucket with nothing around it: no encryption, versioning or public access block.
    let mut main = std::fs::read_to_string(w.path().join("main.tf")).unwrap();
    main.push_str("\nresource \"aws_s3_bucket\" \"scratch\" {\n  bucket = \"scratch-open\"\n}\n");
    w.write("main.tf", &main);
    let var = format!("aws_endpoint={}", moto.url);
    let r = w.run(&["plan", "-no-color", "-out=review.plan", "-var", &var]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let json = w.ok(&["show", "-json", "review.plan"]);
    let plan_json = w.path().join("plan.json");
    std::fs::write(&plan_json, &json.stdout).unwrap();
    let sarif = w.run(&["check", "-format=sarif", "review.plan"]);
    assert_eq!(sarif.code, 2, "{}", sarif.stderr);
    let sarif_file = w.path().join("mlform.sarif");
    std::fs::write(&sarif_file, &sarif.stdout).unwrap();

    validate(&root.join("docs/plan-json.schema.json"), &[&plan_json]);
    validate(&sarif_schema(), &[&sarif_file]);
    let typed: serde_sarif::sarif::Sarif =
        serde_json::from_str(&sarif.stdout).expect("SARIF as serde-sarif reads it");
    assert_eq!(typed.runs.len(), 1);

    let from_plan = checkov_failures(&[
        "-f",
        plan_json.to_str().unwrap(),
        "--framework",
        "terraform_plan",
    ]);
    let from_files =
        checkov_failures(&["-d", w.path().to_str().unwrap(), "--framework", "terraform"]);
    for expected in [
        ("CKV2_AWS_6", "aws_s3_bucket.scratch"),
        ("CKV_AWS_145", "aws_s3_bucket.scratch"),
        ("CKV_AWS_21", "aws_s3_bucket.scratch"),
    ] {
        assert!(
            from_plan.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} missing from {from_plan:?}"
        );
    }
    assert!(
        !from_plan.contains(&("CKV2_AWS_6".to_string(), "aws_s3_bucket.models".to_string())),
        "the models bucket has its public access block: {from_plan:?}"
    );
    assert_eq!(from_plan, from_files);
}
