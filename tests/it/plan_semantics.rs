//! Terraform's plan semantics on terraform_data through the real CLI: sensitive marks kept
//! by path, equality with unknown parts, `-minimal-refresh`, deposed objects and their
//! dependents, taint, null outputs, modules that read each other's outputs.

use crate::support::Workdir;

#[test]
fn sensitive_marks_are_kept_by_path() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        r#"
variable "dsn" {
  type      = string
  sensitive = true
  default   = "postgres://s3cr3t@db"
}
resource "terraform_data" "x" {
  input = { dsn = var.dsn, image = "trainer:1.4" }
}
output "image" {
  value = terraform_data.x.output.image
}
output "dsn" {
  value     = terraform_data.x.output.dsn
  sensitive = true
}
"#,
    );
    let applied = w.ok(&["apply", "-auto-approve"]);
    assert!(
        applied.stdout.contains("image = \"trainer:1.4\""),
        "{}",
        applied.stdout
    );
    assert!(
        applied.stdout.contains("dsn = <sensitive>"),
        "{}",
        applied.stdout
    );
    for args in [
        &["show"][..],
        &["show", "-json"],
        &["output"],
        &["state", "show", "terraform_data.x"],
    ] {
        let r = w.ok(args);
        assert!(
            !r.stdout.contains("s3cr3t"),
            "{args:?} leaked:\n{}",
            r.stdout
        );
    }
    let shown = w.ok(&["state", "show", "terraform_data.x"]);
    assert!(shown.stdout.contains("trainer:1.4"), "{}", shown.stdout);
}

/// Equality with values not known until apply is decided where Terraform (cty) decides it:
/// an object holding an unknown attribute is not null, a one-element list is not a
/// two-element one, objects with other attributes differ. So a count fed by a resource
/// through an object is known at plan. Terraform 1.11 plans this as 2 to add with
/// `cmp = [true, false, false]`.
#[test]
fn equality_with_unknown_parts_is_decided_where_terraform_decides_it() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        r#"
resource "terraform_data" "a" {
  input = "x"
}

locals {
  settings = { id = terraform_data.a.id, n = 1 }
}

resource "terraform_data" "b" {
  count = local.settings == null ? 0 : 1
}

output "cmp" {
  value = [local.settings != null, [terraform_data.a.id] == [1, 2], local.settings == { id = "x" }]
}

output "undecided" {
  value = [terraform_data.a.id] == ["x"]
}
"#,
    );
    let plan = w.ok(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("Plan: 2 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("  + cmp       = [\n      + true,\n      + false,\n      + false,\n    ]"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("  + undecided = (known after apply)"),
        "{}",
        plan.stdout
    );
}

/// `-minimal-refresh` reads only what the configuration changes: an unchanged file deleted
/// outside mlform goes unnoticed (a full plan sees it), a changed one is refreshed first.
#[test]
fn minimal_refresh_reads_only_what_the_configuration_changes() {
    let w = Workdir::new();
    let config = |b: &str| {
        format!(
            r#"
resource "local_file" "a" {{
  filename = "${{path.module}}/a.txt"
  content  = "a"
}}

resource "local_file" "b" {{
  filename = "${{path.module}}/b.txt"
  content  = "{b}"
}}
"#
        )
    };
    w.write("main.tf", &config("b1"));
    w.ok(&["apply", "-auto-approve"]);
    std::fs::remove_file(w.path().join("a.txt")).unwrap();
    let full = w.run(&["plan", "-no-color"]);
    assert!(
        full.stdout
            .contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{}",
        full.stdout
    );
    let minimal = w.run(&[
        "plan",
        "-no-color",
        "-minimal-refresh",
        "-detailed-exitcode",
    ]);
    assert_eq!(minimal.code, 0, "{}{}", minimal.stdout, minimal.stderr);
    assert!(
        !minimal.stdout.contains("Refreshing state"),
        "{}",
        minimal.stdout
    );

    w.write("main.tf", &config("b2"));
    let minimal = w.run(&["plan", "-no-color", "-minimal-refresh"]);
    let refreshed: Vec<&str> = minimal
        .stdout
        .lines()
        .filter(|l| l.contains("Refreshing state"))
        .collect();
    assert_eq!(refreshed.len(), 1, "{}", minimal.stdout);
    assert!(
        refreshed[0].starts_with("local_file.b:"),
        "{}",
        minimal.stdout
    );
    assert!(
        minimal
            .stdout
            .contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{}",
        minimal.stdout
    );
    let bad = w.run(&["plan", "-minimal-refresh", "-refresh-only"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("Incompatible refresh options"),
        "{}",
        bad.stderr
    );
}

/// As Terraform (its apply graph has `a (destroy deposed)` depend on `c`): the old object
/// of a create_before_destroy replacement waits for every resource that depends on it,
/// directly or not. When a transitive dependent fails, the old object is kept, deposed.
#[test]
fn deposed_objects_wait_for_transitive_dependents() {
    let w = Workdir::new();
    let config = |v: &str, file: &str| {
        format!(
            r#"
resource "terraform_data" "a" {{
  triggers_replace = "{v}"
  lifecycle {{
    create_before_destroy = true
  }}
}}

resource "terraform_data" "b" {{
  input = terraform_data.a.id
}}

resource "local_file" "c" {{
  filename = "{file}"
  content  = terraform_data.b.output
}}
"#
        )
    };
    w.write("main.tf", &config("v1", "${path.module}/c.txt"));
    w.ok(&["apply", "-auto-approve"]);
    w.write("main.tf", &config("v2", "/proc/mlform-no-such-dir/c.txt"));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        !r.stdout
            .contains("terraform_data.a (deposed object): Destroying"),
        "{}",
        r.stdout
    );
    let deposed = w.state()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["name"] == "a")
        .flat_map(|r| r["instances"].as_array().unwrap().clone())
        .filter(|i| i.get("deposed").is_some())
        .count();
    assert_eq!(deposed, 1, "{}", w.state());
}

/// `taint` marks an instance so the next plan replaces it; `untaint` takes the mark back.
#[test]
fn taint_and_untaint_mark_an_instance_for_replacement() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = \"x\"\n}\n",
    );
    w.ok(&["apply", "-auto-approve"]);
    let r = w.ok(&["taint", "terraform_data.a"]);
    assert_eq!(
        r.stdout,
        "Resource instance terraform_data.a has been marked as tainted.\n"
    );
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# terraform_data.a is tainted, so must be replaced"),
        "{}",
        plan.stdout
    );
    let stream = w.run(&["plan", "-json"]);
    let planned: Vec<serde_json::Value> = stream
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|m| m["type"] == "planned_change")
        .collect();
    assert_eq!(planned.len(), 1, "{}", stream.stdout);
    // As Terraform's stream: the version first, each refresh as a start and a completion.
    let types: Vec<String> = stream
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        &types[..3],
        ["version", "refresh_start", "refresh_complete"],
        "{}",
        stream.stdout
    );
    assert_eq!(planned[0]["change"]["action"], "replace");
    assert_eq!(planned[0]["change"]["reason"], "tainted");
    let r = w.ok(&["untaint", "terraform_data.a"]);
    assert_eq!(
        r.stdout,
        "Resource instance terraform_data.a has been successfully untainted.\n"
    );
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);
    let again = w.run(&["untaint", "terraform_data.a"]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("Resource instance is not tainted"),
        "{}",
        again.stderr
    );
    let missing = w.run(&["taint", "terraform_data.b"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("No such resource instance"),
        "{}",
        missing.stderr
    );
    w.ok(&["taint", "-allow-missing", "terraform_data.b"]);
    w.ok(&["taint", "terraform_data.a"]);
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(
        r.stdout
            .contains("Resources: 1 added, 0 changed, 1 destroyed."),
        "{}",
        r.stdout
    );
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);
}

/// A root output that stays null is no change, as in Terraform (which stores no null
/// outputs): `plan -detailed-exitcode` says so instead of listing `x = null` forever.
#[test]
fn null_outputs_are_not_changes() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        "output \"missing\" {\n  value = null\n}\n\noutput \"kept\" {\n  value = \"a\"\n}\n",
    );
    let first = w.run(&["plan", "-no-color"]);
    assert!(first.stdout.contains("+ kept = \"a\""), "{}", first.stdout);
    assert!(!first.stdout.contains("missing"), "{}", first.stdout);
    w.ok(&["apply", "-auto-approve"]);
    let again = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
}

/// Two module calls may read each other's outputs: each input is its own node, so
/// `module.a.id` waits only for what `id` reads, as in Terraform (no cycle).
#[test]
fn modules_may_read_each_others_outputs() {
    let w = Workdir::new();
    w.write(
        "modules/pair/main.tf",
        r#"variable "name" {}
variable "peer" {
  default = null
}
resource "terraform_data" "this" {
  input = var.name
}
resource "terraform_data" "link" {
  input = var.peer
}
output "id" {
  value = terraform_data.this.output
}
output "peer" {
  value = terraform_data.link.output
}
"#,
    );
    w.write(
        "main.tf",
        r#"module "a" {
  source = "./modules/pair"
  name   = "a"
  peer   = module.b.id
}
module "b" {
  source = "./modules/pair"
  name   = "b"
  peer   = module.a.id
}
output "a_peer" {
  value = module.a.peer
}
output "b_peer" {
  value = module.b.peer
}
"#,
    );
    w.ok(&["validate"]);
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("a_peer = \"b\"") && r.stdout.contains("b_peer = \"a\""),
        "{}",
        r.stdout
    );
    let again = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    w.ok(&["destroy", "-auto-approve"]);
}
