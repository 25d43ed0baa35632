//! The built-in utility providers (`random`, `null`, `time`) through the real CLI, as
//! configurations written for hashicorp's use them: create plan, apply, re-plan clean, keepers forcing a new
//! value, sensitive passwords, import by hashicorp/random's IDs, time offsets updated in
//! place and rotations that bring a resource back.

use crate::support::Workdir;

const CONFIG: &str = r#"
terraform {
  required_providers {
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

variable "team" {
  type    = string
  default = "vision"
}

resource "random_id" "bucket" {
  byte_length = 4
  keepers     = { team = var.team }
}

resource "random_password" "db" {
  length      = 20
  special     = false
  min_numeric = 2
}

resource "random_pet" "endpoint" {
  prefix = "model"
}

resource "null_resource" "deploy" {
  triggers = { bucket = random_id.bucket.hex }
}

resource "random_shuffle" "az" {
  input        = ["a", "b", "c"]
  result_count = 2
}

output "bucket" {
  value = "ml-data-${random_id.bucket.hex}"
}

output "password" {
  value     = random_password.db.result
  sensitive = true
}

output "endpoint" {
  value = random_pet.endpoint.id
}

output "zones" {
  value = random_shuffle.az.result
}
"#;

#[test]
fn random_values_are_stable_until_keepers_change() {
    let w = Workdir::new();
    w.write("main.tf", CONFIG);
    let plan = w.run(&["plan", "-no-color"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    insta::assert_snapshot!("random_create_plan", plan.snapshot());

    let apply = w.ok(&["apply", "-auto-approve"]);
    assert!(
        apply.stdout.contains("Resources: 5 added"),
        "{}",
        apply.stdout
    );
    let bucket = w.ok(&["output", "-raw", "bucket"]).stdout;
    assert!(bucket.starts_with("ml-data-") && bucket.len() == "ml-data-".len() + 8);
    let endpoint = w.ok(&["output", "-raw", "endpoint"]).stdout;
    assert!(endpoint.starts_with("model-") && endpoint.split('-').count() == 3);

    let password = w.ok(&["output", "-raw", "password"]).stdout;
    assert_eq!(password.len(), 20);
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(password.chars().filter(char::is_ascii_digit).count() >= 2);
    let shown = w.ok(&["show"]).stdout;
    assert!(!shown.contains(&password), "the password leaked into show");

    let again = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);

    let replaced = w.run(&["plan", "-no-color", "-var", "team=nlp"]);
    assert_eq!(replaced.code, 0, "{}", replaced.stderr);
    assert!(replaced
        .stdout
        .contains("# random_id.bucket must be replaced"));
    assert!(replaced.stdout.contains("# forces replacement"));
    assert!(replaced
        .stdout
        .contains("# null_resource.deploy must be replaced"));
    assert!(replaced
        .stdout
        .contains("Plan: 2 to add, 0 to change, 2 to destroy."));
    w.ok(&["apply", "-auto-approve", "-var", "team=nlp"]);
    assert_ne!(w.ok(&["output", "-raw", "bucket"]).stdout, bucket);
    assert_eq!(w.ok(&["output", "-raw", "password"]).stdout, password);
}

#[test]
fn random_resources_import_by_their_ids() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        r#"
import {
  to = random_integer.port
  id = "8042,8000,8999"
}

resource "random_integer" "port" {
  min = 8000
  max = 8999
}

resource "random_string" "suffix" {
  length  = 6
  special = false
  upper   = false
}

output "port" {
  value = random_integer.port.result
}
"#,
    );
    let apply = w.ok(&["apply", "-auto-approve"]);
    assert!(apply.stdout.contains("1 imported"), "{}", apply.stdout);
    assert_eq!(w.ok(&["output", "-raw", "port"]).stdout, "8042");
    let again = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);

    w.ok(&["state", "rm", "random_string.suffix"]);
    w.ok(&["import", "random_string.suffix", "x7k2qp"]);
    let state = w.state();
    let attrs = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "random_string")
        .map(|r| r["instances"][0]["attributes"].clone())
        .unwrap();
    assert_eq!(attrs["result"], "x7k2qp");
    assert_eq!(attrs["length"], 6);
    let bad = w.run(&["import", "random_pet.none", "x"]);
    assert_ne!(bad.code, 0);
}

#[test]
fn time_resources_plan_apply_and_rotate() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        r#"
resource "time_static" "created" {}

resource "time_offset" "expiry" {
  base_rfc3339 = "2024-01-31T10:00:00Z"
  offset_days  = var.days
}

resource "time_rotating" "key" {
  rfc3339       = "2020-01-01T00:00:00Z"
  rotation_days = 30
}

resource "time_sleep" "settle" {
  create_duration = "1s"
}

variable "days" {
  type    = number
  default = 1
}

output "expiry" {
  value = time_offset.expiry.rfc3339
}
"#,
    );
    let apply = w.ok(&["apply", "-auto-approve"]);
    assert!(
        apply.stdout.contains("Resources: 4 added"),
        "{}",
        apply.stdout
    );
    assert_eq!(
        w.ok(&["output", "-raw", "expiry"]).stdout,
        "2024-02-01T10:00:00Z"
    );

    // The rotation time (2020-01-31) has passed: the key is created again on every plan.
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout.contains("# time_rotating.key will be created"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );

    let offset = w.run(&["plan", "-no-color", "-var", "days=2"]);
    assert!(
        offset
            .stdout
            .contains("# time_offset.expiry will be updated in-place"),
        "{}",
        offset.stdout
    );
    w.ok(&["apply", "-auto-approve", "-var", "days=2"]);
    assert_eq!(
        w.ok(&["output", "-raw", "expiry"]).stdout,
        "2024-02-02T10:00:00Z"
    );
}

#[test]
fn local_files_are_written_read_and_rewritten_when_changed_outside() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        r#"
resource "local_file" "config" {
  filename        = "${path.module}/out/serving.json"
  content         = jsonencode({ model = "resnet", replicas = 2 })
  file_permission = "0640"
}

resource "local_sensitive_file" "token" {
  filename = "${path.module}/out/token"
  content  = "s3cr3t-token"
}

data "local_file" "greeting" {
  filename = "${path.module}/greeting.txt"
}

output "greeting" {
  value = data.local_file.greeting.content
}

output "config_sha" {
  value = local_file.config.content_sha256
}
"#,
    );
    w.write("greeting.txt", "hello\n");
    let plan = w.ok(&["plan", "-no-color"]);
    assert!(!plan.stdout.contains("s3cr3t-token"), "{}", plan.stdout);
    w.ok(&["apply", "-auto-approve"]);
    let written = std::fs::read_to_string(w.path().join("out/serving.json")).unwrap();
    assert_eq!(written, r#"{"model":"resnet","replicas":2}"#);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(w.path().join("out/token"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    assert_eq!(w.ok(&["output", "-raw", "greeting"]).stdout, "hello\n");
    let again = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);

    std::fs::write(w.path().join("out/serving.json"), "edited by hand").unwrap();
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout.contains("# local_file.config will be created"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    let written = std::fs::read_to_string(w.path().join("out/serving.json")).unwrap();
    assert!(written.contains("resnet"));
    w.ok(&["destroy", "-auto-approve"]);
    assert!(!w.path().join("out/serving.json").exists());
}
