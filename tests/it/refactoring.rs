//! Refactoring and check blocks against Terraform 1.11's recorded behaviour
//! (`../shared/reference/terraform-1.11-refactoring/`): each scenario applies `before/`,
//! plans `after/` against that state, and compares with what Terraform printed: every
//! resource header line and the summary line must be Terraform's, with the tool's name
//! changed. The whole output is pinned by a snapshot too.

use std::path::{Path, PathBuf};

use crate::support::{copy_dir, normalize, Workdir};

fn reference(scenario: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference/terraform-1.11-refactoring")
        .join(scenario)
}

/// Terraform's lines that a user reads to know what happens: resource headers (`# ...`),
/// `Plan:` and `Apply complete!`, with ids masked and the tool's name changed.
fn terraform_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            let t = l.trim_start();
            t.starts_with("# ") || t.starts_with("Plan:") || t.starts_with("Apply complete!")
        })
        .map(|l| l.replace("Terraform", "mlform"))
        .collect()
}

fn assert_has_terraform_lines(ours: &str, theirs: &str) {
    for line in terraform_lines(theirs) {
        assert!(
            ours.lines().any(|l| l == line),
            "Terraform printed\n{line}\nbut mlform's output has no such line:\n{ours}"
        );
    }
}

/// Applies `before/`, then swaps in `after/`.
fn before_then_after(scenario: &str) -> Workdir {
    let w = Workdir::new();
    copy_dir(&reference(scenario).join("before"), w.path());
    w.ok(&["apply", "-auto-approve"]);
    for f in ["main.tf"] {
        std::fs::remove_file(w.path().join(f)).expect("remove before config");
    }
    let _ = std::fs::remove_dir_all(w.path().join("modules"));
    copy_dir(&reference(scenario).join("after"), w.path());
    w
}

/// Output for a snapshot: run-specific values masked, and the refresh progress lines left
/// out (their order follows the parallel walk).
fn snapshot_text(text: &str) -> String {
    normalize(
        &text
            .lines()
            .filter(|l| {
                !l.contains(": Refreshing state...") && !l.contains(": Preparing import...")
            })
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    )
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn moved_blocks_match_terraform() {
    let w = before_then_after("moved");
    let ids_before: Vec<String> = ["old_name", "items", "to_module"]
        .iter()
        .flat_map(|n| {
            w.state()["resources"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["name"] == *n)
                .flat_map(|r| r["instances"].as_array().unwrap().clone())
                .map(|i| i["attributes"]["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let plan = w.ok(&["plan", "-out=tfplan"]);
    assert_has_terraform_lines(&plan.stdout, &read(reference("moved").join("plan.txt")));
    insta::assert_snapshot!("moved_plan", snapshot_text(&plan.stdout));
    let json = w.ok(&["show", "-json", "tfplan"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_relevant_attributes_match(&v, "moved");
    let moved: Vec<(String, String, String)> = v["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("previous_address").is_some())
        .map(|c| {
            (
                c["previous_address"].as_str().unwrap().to_string(),
                c["address"].as_str().unwrap().to_string(),
                c["change"]["actions"][0].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        moved,
        vec![
            (
                "terraform_data.items[0]".into(),
                "terraform_data.items[\"alpha\"]".into(),
                "no-op".into()
            ),
            (
                "terraform_data.items[1]".into(),
                "terraform_data.items[\"beta\"]".into(),
                "no-op".into()
            ),
            (
                "terraform_data.old_name".into(),
                "terraform_data.new_name".into(),
                "no-op".into()
            ),
            (
                "terraform_data.to_module".into(),
                "module.box.terraform_data.this".into(),
                "update".into()
            ),
        ]
    );
    let applied = w.ok(&["apply", "tfplan"]);
    assert_has_terraform_lines(&applied.stdout, &read(reference("moved").join("apply.txt")));
    // Same objects, new addresses: nothing was recreated.
    let mut addrs = w.addresses();
    addrs.sort();
    assert_eq!(
        addrs,
        [
            "module.box.terraform_data.this",
            "terraform_data.items[\"alpha\"]",
            "terraform_data.items[\"beta\"]",
            "terraform_data.new_name",
        ]
    );
    let state = w.state().to_string();
    for id in ids_before {
        assert!(
            state.contains(&id),
            "object {id} was not kept across the move"
        );
    }
    let again = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
}

#[test]
fn removed_blocks_match_terraform() {
    let w = before_then_after("removed");
    let plan = w.ok(&["plan", "-out=tfplan"]);
    let text = format!("{}{}", plan.stdout, plan.stderr);
    assert_has_terraform_lines(&text, &read(reference("removed").join("plan.txt")));
    assert!(
        text.contains("Some objects will no longer be managed by mlform"),
        "{text}"
    );
    // As in Terraform, forgotten objects are not read: their API may be gone already.
    assert!(!text.contains("forget_me: Refreshing state"), "{text}");
    assert!(
        !text.contains("legacy.terraform_data.inner: Refreshing state"),
        "{text}"
    );
    insta::assert_snapshot!("removed_plan", snapshot_text(&text));
    let json = w.ok(&["show", "-json", "tfplan"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let forgets = v["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"]["actions"] == serde_json::json!(["forget"]))
        .count();
    assert_eq!(forgets, 4);
    let applied = w.ok(&["apply", "tfplan"]);
    assert_has_terraform_lines(
        &applied.stdout,
        &read(reference("removed").join("apply.txt")),
    );
    assert_eq!(w.addresses(), ["terraform_data.kept"]);
    let again = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
}

#[test]
fn failing_check_warns_and_never_blocks() {
    let w = Workdir::new();
    copy_dir(&reference("checks/check-fail"), w.path());
    for f in ["plan.txt", "plan.json", "apply.txt"] {
        let _ = std::fs::remove_file(w.path().join(f));
    }
    let plan = w.ok(&["plan", "-out=tfplan"]);
    let text = format!("{}{}", plan.stdout, plan.stderr);
    assert_has_terraform_lines(
        &text,
        &read(reference("checks/check-fail").join("plan.txt")),
    );
    assert!(
        text.contains("Warning: Check block assertion failed"),
        "{text}"
    );
    assert!(
        text.contains("Expected at least 3 replicas, got 1."),
        "{text}"
    );
    assert!(!text.contains("Version must be semver."), "{text}");
    insta::assert_snapshot!("check_fail_plan", snapshot_text(&text));
    assert_checks_match(&w, "checks/check-fail");
    let applied = w.ok(&["apply", "tfplan"]);
    let text = format!("{}{}", applied.stdout, applied.stderr);
    assert!(
        text.contains("Warning: Check block assertion failed"),
        "{text}"
    );
    assert!(
        text.contains("Apply complete! Resources: 1 added"),
        "{text}"
    );
}

/// A postcondition on a value known only after apply fails once the object exists: the
/// object stays in state and the error is Terraform's, with the value that failed.
#[test]
fn postcondition_failing_at_apply_matches_terraform() {
    let w = Workdir::new();
    copy_dir(&reference("checks/postcondition-apply"), w.path());
    let _ = std::fs::remove_file(w.path().join("apply.txt"));
    let applied = w.run(&["apply", "-auto-approve"]);
    assert_eq!(applied.code, 1, "{}{}", applied.stdout, applied.stderr);
    let text = format!("{}{}", applied.stdout, applied.stderr);
    let theirs = read(reference("checks/postcondition-apply").join("apply.txt"));
    // Terraform's summary, the condition and its message, in mlform's diagnostic layout.
    for needed in [
        "Error: Resource postcondition failed",
        "condition     = self.output == lower(self.output)",
        "Bucket name must be lower case, got \"Reference-Bucket\".",
    ] {
        assert!(theirs.contains(needed), "the reference has {needed}");
        assert!(text.contains(needed), "{needed}:\n{text}");
    }
    assert!(
        text.contains("terraform_data.bucket: Creation complete after"),
        "{text}"
    );
    assert_eq!(w.addresses(), ["terraform_data.bucket"]);
    let timing = regex::Regex::new(r"after \d+s").unwrap();
    insta::assert_snapshot!(
        "postcondition_apply",
        snapshot_text(&timing.replace_all(&text, "after Ns"))
    );
}

#[test]
fn passing_check_prints_nothing() {
    let w = Workdir::new();
    copy_dir(&reference("checks/check-pass"), w.path());
    for f in ["plan.txt", "plan.json"] {
        let _ = std::fs::remove_file(w.path().join(f));
    }
    let plan = w.ok(&["plan", "-out=tfplan"]);
    assert!(!plan.stderr.contains("Warning"), "{}", plan.stderr);
    assert!(!plan.stdout.contains("Warning"), "{}", plan.stdout);
    assert_checks_match(&w, "checks/check-pass");
}

/// The plan JSON's `checks` equal Terraform's for the same configuration.
/// The plan JSON's `relevant_attributes` are Terraform's, as a set (Terraform's order comes
/// from a map).
fn assert_relevant_attributes_match(ours: &serde_json::Value, scenario: &str) {
    let theirs: serde_json::Value =
        serde_json::from_str(&read(reference(scenario).join("plan.json"))).unwrap();
    let set = |v: &serde_json::Value| {
        let mut items: Vec<String> = v["relevant_attributes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|r| r.to_string())
            .collect();
        items.sort();
        items
    };
    assert_eq!(set(ours), set(&theirs));
    assert!(!set(&theirs).is_empty());
}

fn assert_checks_match(w: &Workdir, scenario: &str) {
    let ours: serde_json::Value =
        serde_json::from_str(&w.ok(&["show", "-json", "tfplan"]).stdout).unwrap();
    let theirs: serde_json::Value =
        serde_json::from_str(&read(reference(scenario).join("plan.json"))).unwrap();
    assert_eq!(ours["checks"], theirs["checks"]);
}

#[test]
fn import_blocks_match_terraform() {
    let w = before_then_after("import");
    let plan = w.ok(&["plan", "-out=tfplan"]);
    assert_has_terraform_lines(&plan.stdout, &read(reference("import").join("plan.txt")));
    assert!(
        plan.stdout
            .contains("terraform_data.single: Preparing import... [id=imported-single-id]"),
        "{}",
        plan.stdout
    );
    insta::assert_snapshot!("import_plan", snapshot_text(&plan.stdout));
    let json = w.ok(&["show", "-json", "tfplan"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let imports: Vec<(String, String, String)> = v["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"].get("importing").is_some())
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_string(),
                c["change"]["importing"]["id"].as_str().unwrap().to_string(),
                c["change"]["actions"][0].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        imports,
        vec![
            (
                "terraform_data.fleet[\"db\"]".into(),
                "srv-db-001".into(),
                "update".into()
            ),
            (
                "terraform_data.fleet[\"web\"]".into(),
                "srv-web-001".into(),
                "update".into()
            ),
            (
                "terraform_data.single".into(),
                "imported-single-id".into(),
                "no-op".into()
            ),
        ]
    );
    let applied = w.ok(&["apply", "tfplan"]);
    assert_has_terraform_lines(
        &applied.stdout,
        &read(reference("import").join("apply.txt")),
    );
    assert!(
        applied
            .stdout
            .contains("terraform_data.single: Import complete [id=imported-single-id]"),
        "{}",
        applied.stdout
    );
    let state = w.state().to_string();
    for id in ["imported-single-id", "srv-db-001", "srv-web-001"] {
        assert!(state.contains(id), "{id} is not in state");
    }
    // Imported once: the import blocks stay, and the next plan has nothing to do.
    let again = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
}

#[test]
fn import_without_a_resource_block_is_an_error() {
    let w = Workdir::new();
    copy_dir(&reference("import/generate-config"), w.path());
    for f in ["plan.txt", "plan.json", "generated.tf"] {
        let _ = std::fs::remove_file(w.path().join(f));
    }
    let r = w.run(&["validate"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("import_without_resource", r.snapshot());
}

#[test]
fn moved_chains_and_module_moves() {
    let w = Workdir::new();
    w.write(
        "m/main.tf",
        "resource \"terraform_data\" \"x\" {\n  input = 1\n}\n",
    );
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = \"a\"\n}\nmodule \"old\" {\n  source = \"./m\"\n  count  = 2\n}\n",
    );
    w.ok(&["apply", "-auto-approve"]);
    w.write(
        "main.tf",
        r#"
resource "terraform_data" "c" {
  input = "a"
}
# Declared out of order on purpose: b -> c is applied after a -> b.
moved {
  from = terraform_data.b
  to   = terraform_data.c
}
moved {
  from = terraform_data.a
  to   = terraform_data.b
}
module "new" {
  source   = "./m"
  for_each = toset(["0", "1"])
}
moved {
  from = module.old[0]
  to   = module.new["0"]
}
moved {
  from = module.old[1]
  to   = module.new["1"]
}
"#,
    );
    let plan = w.ok(&["plan"]);
    assert!(
        plan.stdout
            .contains("# terraform_data.a has moved to terraform_data.c"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains(
            "# module.old[1].terraform_data.x has moved to module.new[\"1\"].terraform_data.x"
        ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    let clean = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
}

#[test]
fn moved_from_a_declared_resource_is_an_error() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {}\nresource \"terraform_data\" \"b\" {}\nmoved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n",
    );
    let r = w.run(&["validate"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("moved_still_declared", r.snapshot());
}

#[test]
fn generate_config_out_writes_terraforms_block() {
    let w = Workdir::new();
    copy_dir(&reference("import/generate-config"), w.path());
    for f in ["plan.txt", "plan.json", "generated.tf"] {
        let _ = std::fs::remove_file(w.path().join(f));
    }
    let plan = w.ok(&["plan", "-generate-config-out=generated.tf", "-out=tfplan"]);
    let theirs = read(reference("import/generate-config").join("generated.tf"));
    let ours = std::fs::read_to_string(w.path().join("generated.tf")).unwrap();
    assert_eq!(ours, theirs.replace("Terraform", "mlform"));
    assert_has_terraform_lines(
        &plan.stdout,
        &read(reference("import/generate-config").join("plan.txt")),
    );
    assert!(
        plan.stdout
            .contains("# terraform_data.generated will be imported"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    // Never overwritten.
    let again = w.run(&["plan", "-generate-config-out=generated.tf"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    w.ok(&["apply", "tfplan"]);
    assert_eq!(w.addresses(), ["terraform_data.generated"]);
}
