//! End to end on terraform_data through the real CLI: create, no-op, edit, destroy; saved
//! plans and stale plans; -target; lifecycle rules; modules with for_each; deferred
//! for_each; locking; state commands.

use crate::support::{squash, Workdir};

const CHAIN: &str = r#"
variable "greeting" {
  type    = string
  default = "hello"
}

resource "terraform_data" "a" {
  input = var.greeting
}

resource "terraform_data" "b" {
  input = "${terraform_data.a.output}-b"
}

output "b" {
  value = terraform_data.b.output
}
"#;

#[test]
fn plan_apply_noop_edit_destroy() {
    let w = Workdir::new();
    w.write("main.tf", CHAIN);
    let plan = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    assert!(plan
        .stdout
        .contains("Plan: 2 to add, 0 to change, 0 to destroy."));

    let apply = w.ok(&["apply", "-auto-approve"]);
    assert!(
        apply
            .stdout
            .contains("Apply complete! Resources: 2 added, 0 changed, 0 destroyed."),
        "{}",
        apply.stdout
    );
    assert!(apply.stdout.contains("b = \"hello-b\""));

    let again = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("No changes."));

    let edited = w.ok(&["apply", "-auto-approve", "-var", "greeting=hi"]);
    assert!(
        edited
            .stdout
            .contains("Apply complete! Resources: 0 added, 2 changed, 0 destroyed."),
        "{}",
        edited.stdout
    );
    assert_eq!(w.ok(&["output", "-raw", "b"]).stdout, "hi-b");

    let destroy = w.ok(&["destroy", "-auto-approve", "-var", "greeting=hi"]);
    assert!(
        destroy
            .stdout
            .contains("Destroy complete! Resources: 2 destroyed."),
        "{}",
        destroy.stdout
    );
    assert!(w.addresses().is_empty());
    let state = w.state();
    assert_eq!(state["resources"].as_array().map(Vec::len), Some(0));
    assert!(state["outputs"].as_object().is_none_or(|o| o.is_empty()));
}

#[test]
fn apply_without_terminal_requires_auto_approve() {
    let w = Workdir::new();
    w.write("main.tf", CHAIN);
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("-auto-approve"), "{}", r.stderr);
    assert!(w.addresses().is_empty());
}

#[test]
fn saved_plan_applies_exactly_and_stale_plan_is_refused() {
    let w = Workdir::new();
    w.write("main.tf", CHAIN);
    w.ok(&["plan", "-out=first.plan"]);
    w.ok(&["plan", "-out=second.plan"]);
    // The saved plan carries its configuration: editing files afterwards changes nothing.
    w.write("main.tf", &CHAIN.replace("\"hello\"", "\"changed\""));
    let applied = w.ok(&["apply", "first.plan"]);
    assert!(applied.stdout.contains("2 added"), "{}", applied.stdout);
    assert_eq!(w.ok(&["output", "-raw", "b"]).stdout, "hello-b");
    let stale = w.run(&["apply", "second.plan"]);
    assert_eq!(stale.code, 1);
    assert!(
        stale.stderr.contains("Saved plan is stale"),
        "{}",
        stale.stderr
    );
    let vars = w.run(&["apply", "-var", "greeting=x", "first.plan"]);
    assert_eq!(vars.code, 1);
}

#[test]
fn target_limits_the_plan_to_the_resource_and_its_dependencies() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        &format!("{CHAIN}\nresource \"terraform_data\" \"other\" {{\n  input = 1\n}}\n"),
    );
    let r = w.ok(&["apply", "-auto-approve", "-target=terraform_data.b"]);
    assert!(r.stdout.contains("Resource targeting is in effect"));
    assert_eq!(w.addresses(), vec!["terraform_data.a", "terraform_data.b"]);
    let rest = w.ok(&["plan"]);
    assert!(
        rest.stdout
            .contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{}",
        rest.stdout
    );
}

/// As Terraform: under -target, only the root outputs that follow from what is targeted
/// (through outputs, locals and variables, not through another resource) are evaluated;
/// the others are neither planned nor written, and keep what the state holds.
#[test]
fn target_evaluates_only_the_outputs_that_follow_from_the_targets() {
    let w = Workdir::new();
    w.write(
        "mod/main.tf",
        "variable \"names\" {\n  default = [\"a\"]\n}\nresource \"terraform_data\" \"this\" {\n  for_each = toset(var.names)\n  input    = each.value\n}\noutput \"inputs\" {\n  value = { for k, v in terraform_data.this : k => v.input }\n}\n",
    );
    let config = |constant: &str| {
        format!(
            "module \"one\" {{\n  source = \"./mod\"\n}}\nmodule \"two\" {{\n  source = \"./mod\"\n}}\nlocals {{\n  one = module.one.inputs\n}}\noutput \"one\" {{\n  value = local.one\n}}\noutput \"two\" {{\n  value = module.two.inputs\n}}\noutput \"constant\" {{\n  value = \"{constant}\"\n}}\n"
        )
    };
    w.write("main.tf", &config("c"));
    w.ok(&["init"]);
    let first = w.ok(&["apply", "-auto-approve", "-no-color", "-target=module.one"]);
    assert!(first.stdout.contains("one = {"), "{}", first.stdout);
    for absent in ["two =", "constant ="] {
        assert!(!first.stdout.contains(absent), "{}", first.stdout);
    }
    let plan = w.ok(&["plan", "-no-color", "-target=module.one"]);
    assert!(
        !plan.stdout.contains("Changes to Outputs"),
        "{}",
        plan.stdout
    );
    let listed = w.ok(&["output", "-no-color"]).stdout;
    assert!(
        listed.starts_with("one = {") && !listed.contains("two"),
        "{listed}"
    );

    // A full apply writes them all; a later targeted apply keeps the untargeted ones.
    w.ok(&["apply", "-auto-approve"]);
    w.write("main.tf", &config("d"));
    let targeted = w.ok(&["apply", "-auto-approve", "-no-color", "-target=module.two"]);
    assert!(
        targeted.stdout.contains("constant = \"c\""),
        "{}",
        targeted.stdout
    );
    let full = w.ok(&["plan", "-no-color"]);
    assert!(
        squash(&full.stdout).contains("~ constant = \"c\" -> \"d\""),
        "{}",
        full.stdout
    );
}

#[test]
fn replace_flag_and_triggers_replace() {
    let w = Workdir::new();
    w.write("main.tf", "variable \"v\" {\n  default = 1\n}\nresource \"terraform_data\" \"t\" {\n  triggers_replace = [var.v]\n  input = \"x\"\n}\n");
    w.ok(&["apply", "-auto-approve"]);
    let id1 = w.state()["resources"][0]["instances"][0]["attributes"]["id"].clone();
    let r = w.ok(&["plan", "-replace=terraform_data.t"]);
    assert!(
        r.stdout.contains("will be replaced, as requested"),
        "{}",
        r.stdout
    );
    let r = w.ok(&["apply", "-auto-approve", "-var", "v=2"]);
    assert!(r.stdout.contains("must be replaced"), "{}", r.stdout);
    assert!(
        r.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        r.stdout
    );
    assert_ne!(
        w.state()["resources"][0]["instances"][0]["attributes"]["id"],
        id1
    );
}

#[test]
fn lifecycle_rules() {
    let w = Workdir::new();
    let config = |input: &str, extra: &str| {
        format!(
            r#"
resource "terraform_data" "guarded" {{
  triggers_replace = "{input}"
  lifecycle {{
    prevent_destroy = true
  }}
}}

resource "terraform_data" "cbd" {{
  triggers_replace = "{input}"
  lifecycle {{
    create_before_destroy = true
  }}
}}

resource "terraform_data" "ignored" {{
  input = "{input}"
  lifecycle {{
    ignore_changes = [input]
  }}
}}

resource "terraform_data" "follower" {{
  input = "static"
  lifecycle {{
    replace_triggered_by = [terraform_data.cbd]
  }}
}}
{extra}
"#
        )
    };
    w.write("main.tf", &config("one", ""));
    w.ok(&["apply", "-auto-approve"]);
    // A change that would replace the guarded resource is refused.
    w.write("main.tf", &config("two", ""));
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("Instance cannot be destroyed"),
        "{}",
        r.stderr
    );
    // Without the guarded resource changing: cbd replaces create-first, ignore_changes holds,
    // replace_triggered_by follows.
    let body = config("two", "").replace(
        "triggers_replace = \"two\"\n  lifecycle {\n    prevent_destroy",
        "triggers_replace = \"one\"\n  lifecycle {\n    prevent_destroy",
    );
    w.write("main.tf", &body);
    let r = w.ok(&["plan"]);
    assert!(
        r.stdout.contains("+/- resource \"terraform_data\" \"cbd\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "terraform_data.follower will be replaced due to changes in replace_triggered_by"
        ),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("# terraform_data.ignored"),
        "{}",
        r.stdout
    );
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(
        r.stdout.contains("2 added, 0 changed, 2 destroyed"),
        "{}",
        r.stdout
    );
    let state = w.state();
    assert!(state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["instances"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i.get("deposed").is_none())));
    // Destroying the guarded resource is refused too.
    let r = w.run(&["destroy", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("prevent_destroy"), "{}", r.stderr);
}

#[test]
fn modules_with_for_each_and_count() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        r#"
variable "teams" {
  type = map(object({ size = number, tier = optional(string, "standard") }))
  default = {
    ml   = { size = 2 }
    data = { size = 1, tier = "gold" }
  }
}

module "team" {
  source   = "./modules/team"
  for_each = var.teams
  name     = each.key
  size     = each.value.size
  tier     = each.value.tier
}

output "buckets" {
  value = { for k, m in module.team : k => m.buckets }
}
"#,
    );
    w.write(
        "modules/team/main.tf",
        r#"
variable "name" {
  type = string
}
variable "size" {
  type = number
  validation {
    condition     = var.size > 0 && var.size < 10
    error_message = "size must be between 1 and 9."
  }
}
variable "tier" {
  type = string
}

resource "terraform_data" "bucket" {
  count = var.size
  input = format("%s-%s-%02d", var.name, var.tier, count.index)
}

output "buckets" {
  value = terraform_data.bucket[*].output
}
"#,
    );
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(r.stdout.contains("3 added"), "{}", r.stdout);
    assert_eq!(
        w.addresses(),
        vec![
            "module.team[\"data\"].terraform_data.bucket[0]",
            "module.team[\"ml\"].terraform_data.bucket[0]",
            "module.team[\"ml\"].terraform_data.bucket[1]"
        ]
    );
    let out = w.ok(&["output", "-json", "buckets"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"data": ["data-gold-00"], "ml": ["ml-standard-00", "ml-standard-01"]})
    );
    // Shrinking a module instance deletes its resources; the validation block guards inputs.
    let r = w.ok(&["plan", "-var", "teams={ ml = { size = 1 } }"]);
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 0 to change, 2 to destroy."),
        "{}",
        r.stdout
    );
    let bad = w.run(&["plan", "-var", "teams={ ml = { size = 12 } }"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("size must be between 1 and 9."),
        "{}",
        bad.stderr
    );
}

#[test]
fn for_each_on_unknown_is_deferred_then_planned() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        r#"
resource "terraform_data" "seed" {
  input = "s"
}

resource "terraform_data" "fanout" {
  for_each = toset([terraform_data.seed.id])
  input    = each.key
}

resource "terraform_data" "independent" {
  input = "i"
}
"#,
    );
    let first = w.ok(&["apply", "-auto-approve"]);
    assert!(
        first.stdout.contains("Deferred until a later run"),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("terraform_data.fanout"),
        "{}",
        first.stdout
    );
    assert!(first.stdout.contains("2 added"), "{}", first.stdout);
    let second = w.ok(&["apply", "-auto-approve"]);
    assert!(second.stdout.contains("1 added"), "{}", second.stdout);
    assert_eq!(w.addresses().len(), 3);
    let third = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(third.code, 0, "{}", third.stdout);
}

#[test]
fn held_lock_is_a_clear_error_naming_the_holder() {
    let w = Workdir::new();
    w.write("main.tf", CHAIN);
    let backend = mlform::state::local::LocalBackend::new(w.path().join("mlform.tfstate"));
    let _held = backend
        .lock("OperationTypeApply", std::time::Duration::ZERO)
        .unwrap();
    let r = w.run(&["plan", "-lock-timeout=200ms"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("Error acquiring the state lock"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("OperationTypeApply"), "{}", r.stderr);
    assert!(r.stderr.contains("pid"), "{}", r.stderr);
}

#[test]
fn state_commands_and_import() {
    let w = Workdir::new();
    w.write("main.tf", CHAIN);
    w.ok(&["apply", "-auto-approve"]);
    let show = w.ok(&["state", "show", "terraform_data.a"]);
    assert!(
        show.stdout.contains("input  = \"hello\""),
        "{}",
        show.stdout
    );
    // Every command takes -no-color, as Terraform strips it before any command's flags.
    let plain = w.ok(&["state", "show", "-no-color", "terraform_data.a"]);
    assert_eq!(plain.stdout, show.stdout);
    let listed = w.ok(&["state", "list", "-no-color"]);
    assert_eq!(listed.stdout, "terraform_data.a\nterraform_data.b\n");
    w.ok(&["output", "-no-color"]);
    let id = regex::Regex::new(r#"id\s+= "([^"]+)""#)
        .unwrap()
        .captures(&show.stdout)
        .expect("id")[1]
        .to_string();
    let by_id = w.ok(&["state", "list", &format!("-id={id}")]);
    assert_eq!(by_id.stdout, "terraform_data.a\n");
    assert_eq!(w.ok(&["state", "list", "-id=nothing"]).stdout, "");
    w.ok(&["state", "mv", "terraform_data.a", "terraform_data.renamed"]);
    assert_eq!(
        w.addresses(),
        vec!["terraform_data.b", "terraform_data.renamed"]
    );
    w.ok(&["state", "rm", "terraform_data.renamed"]);
    assert_eq!(w.addresses(), vec!["terraform_data.b"]);
    let r = w.ok(&[
        "import",
        "terraform_data.a",
        "11111111-2222-3333-4444-555555555555",
    ]);
    assert!(r.stdout.contains("Import successful!"), "{}", r.stdout);
    assert_eq!(w.addresses(), vec!["terraform_data.a", "terraform_data.b"]);
    let again = w.run(&["import", "terraform_data.a", "x"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already managed"), "{}", again.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(w.path().join("mlform.tfstate"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(w.path().join("mlform.tfstate.backup").exists());
}

#[test]
fn sensitive_values_never_reach_output() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        r#"
variable "token" {
  type      = string
  sensitive = true
}

resource "terraform_data" "secret" {
  input = { token = var.token, derived = upper(var.token) }
}

resource "terraform_data" "copy" {
  input = "prefix-${terraform_data.secret.output.derived}"
}

output "token" {
  value     = terraform_data.copy.output
  sensitive = true
}
"#,
    );
    let secret = "s3cr3t-value";
    let env_run = |args: &[&str]| {
        let out = std::process::Command::new(crate::support::bin())
            .args(args)
            .current_dir(w.path())
            .env("TF_VAR_token", secret)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        crate::support::Run::from(out)
    };
    // Every step must succeed: a failed step prints nothing to leak, and would pass vacuously.
    let ok = |args: &[&str]| {
        let r = env_run(args);
        assert_eq!(
            r.code, 0,
            "mlform {args:?} failed:\n{}\n{}",
            r.stdout, r.stderr
        );
        assert!(
            !r.stdout.trim().is_empty(),
            "mlform {args:?} printed nothing"
        );
        r
    };
    let applied = ok(&["apply", "-auto-approve"]);
    let saved = ok(&["plan", "-out=p.plan", "-var", "token=n3w-s3cr3t"]);
    let runs = [
        applied,
        saved,
        ok(&["plan", "-var", "token=n3w-s3cr3t"]),
        ok(&["plan", "-json", "-var", "token=n3w-s3cr3t"]),
        ok(&["show", "-json", "p.plan"]),
        ok(&["show", "p.plan"]),
        ok(&["show"]),
        ok(&["output"]),
        ok(&["state", "show", "terraform_data.copy"]),
    ];
    for r in &runs {
        for t in [&r.stdout, &r.stderr] {
            for s in ["s3cr3t", "S3CR3T"] {
                assert!(!t.contains(s), "secret leaked into output:\n{t}");
            }
        }
    }
    // The secret is stored (the state needs it), and explicitly asked-for outputs show it.
    assert!(env_run(&["output", "-raw", "token"])
        .stdout
        .contains("S3CR3T"));
}

#[test]
fn fmt_check_and_write() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\ninput = 1\n    triggers_replace=2\n}\n",
    );
    let check = w.run(&["fmt", "-check"]);
    assert_eq!(check.code, 3);
    assert_eq!(check.stdout.trim(), "main.tf");
    w.ok(&["fmt"]);
    assert_eq!(
        std::fs::read_to_string(w.path().join("main.tf")).unwrap(),
        "resource \"terraform_data\" \"a\" {\n  input            = 1\n  triggers_replace = 2\n}\n"
    );
    assert_eq!(w.run(&["fmt", "-check"]).code, 0);
}

#[test]
fn validate_and_graph() {
    let w = Workdir::new();
    w.write("main.tf", CHAIN);
    let v = w.ok(&["validate"]);
    assert!(v.stdout.contains("Success!"));
    let g = w.ok(&["graph"]);
    assert!(
        g.stdout
            .contains("\"[root] terraform_data.b\" -> \"[root] terraform_data.a\""),
        "{}",
        g.stdout
    );
    let version = w.ok(&["-version"]);
    assert!(version.stdout.starts_with("mlform"));
}

#[test]
fn variable_precedence_follows_terraform() {
    let w = Workdir::new();
    w.write("main.tf", "variable \"v\" {\n  default = \"default\"\n}\noutput \"v\" {\n  value = var.v\n}\nresource \"terraform_data\" \"t\" {\n  input = var.v\n  depends_on = [terraform_data.u]\n}\nresource \"terraform_data\" \"u\" {}\n");
    let plan_value = |w: &Workdir, extra: &[&str]| -> String {
        let mut args = vec!["apply", "-auto-approve"];
        args.extend_from_slice(extra);
        w.ok(&args);
        w.ok(&["output", "-raw", "v"]).stdout
    };
    assert_eq!(plan_value(&w, &[]), "default");
    w.write("terraform.tfvars", "v = \"tfvars\"\n");
    assert_eq!(plan_value(&w, &[]), "tfvars");
    w.write("b.auto.tfvars", "v = \"auto-b\"\n");
    w.write("a.auto.tfvars", "v = \"auto-a\"\n");
    assert_eq!(plan_value(&w, &[]), "auto-b");
    w.write("x.tfvars", "v = \"file\"\n");
    assert_eq!(
        plan_value(&w, &["-var", "v=cli", "-var-file=x.tfvars"]),
        "file"
    );
    assert_eq!(
        plan_value(&w, &["-var-file=x.tfvars", "-var", "v=cli"]),
        "cli"
    );
    let graph = w.ok(&["graph"]).stdout;
    assert!(
        graph.contains("\"[root] terraform_data.t\" -> \"[root] terraform_data.u\""),
        "{graph}"
    );
    let bad = w.run(&["plan", "-var", "nope=1"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("Value for undeclared variable"),
        "{}",
        bad.stderr
    );
}

#[test]
fn saved_plan_carries_its_child_modules() {
    let w = Workdir::new();
    w.write("main.tf", "module \"m\" {\n  source = \"./m\"\n}\n");
    w.write(
        "m/main.tf",
        "resource \"terraform_data\" \"x\" {\n  input = 1\n}\n",
    );
    w.ok(&["plan", "-out=p.plan"]);
    std::fs::remove_dir_all(w.path().join("m")).unwrap();
    let r = w.ok(&["apply", "p.plan"]);
    assert!(r.stdout.contains("1 added"), "{}", r.stdout);
}

#[test]
fn output_to_a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    let w = Workdir::new();
    let config: String = (0..800)
        .map(|i| format!("resource \"terraform_data\" \"r{i}\" {{\n  input = \"{i}\"\n}}\n"))
        .collect();
    w.write("main.tf", &config);
    let mut child = std::process::Command::new(crate::support::bin())
        .arg("plan")
        .current_dir(w.path())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is gone: like `mlform plan | head -1`.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}
