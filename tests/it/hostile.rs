//! Inputs found by fuzzing: each must be a clear error (exit 1, a diagnostic naming the
//! limit or the problem), never a panic, an abort or a runaway.

use crate::support::{squash, Workdir};

/// (expression or block, text the error must contain)
const CASES: &[(&str, &str)] = &[
    (
        r#"output "x" { value = substr("abc", 1, 9223372036854775807) }"#,
        "",
    ),
    (
        r#"output "x" { value = format("%.70000f", 1) }"#,
        "limit on format widths",
    ),
    (
        r#"output "x" { value = format("%9999999999d", 1) }"#,
        "limit on format widths",
    ),
    (
        r#"output "x" { value = indent(1e10, "a\nb") }"#,
        "limit on strings built by functions",
    ),
    (
        r#"output "x" { value = length(file("/dev/zero")) }"#,
        "limit on files read by functions",
    ),
    (
        r#"resource "terraform_data" "x" { count = 9223372036854775807 }"#,
        "limit on instances",
    ),
    (
        r#"resource "terraform_data" "x" { count = 1e12 }"#,
        "limit on instances",
    ),
    (
        r#"resource "terraform_data" "x" { count = 1000000 }"#,
        "limit on instances",
    ),
];

#[test]
fn hostile_inputs_get_clear_errors() {
    let mut failures = Vec::new();
    for (config, wanted) in CASES {
        let w = Workdir::new();
        w.write("main.tf", config);
        let r = w.run(&["plan"]);
        let text = squash(&format!("{}{}", r.stdout, r.stderr));
        let ok = if wanted.is_empty() {
            // Not an error in Terraform either: the length is clipped to the string.
            r.code == 0 && !text.contains("panicked")
        } else {
            r.code == 1 && text.contains(wanted) && !text.contains("panicked")
        };
        if !ok {
            failures.push(format!("{config}\n  exit {}\n{text}", r.code));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_diagnostic_on_a_very_long_line_renders() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        &format!(
            "locals {{\n  x = \"{}\" + 1\n}}\noutput \"x\" {{ value = local.x }}\n",
            "a".repeat(70_000)
        ),
    );
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("main.tf:2:"),
        "{}",
        &r.stderr[..r.stderr.len().min(2000)]
    );
    assert!(!r.stderr.contains("panicked"));
}

#[test]
fn tampered_state_and_plans_are_refused() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n",
    );
    w.ok(&["apply", "-auto-approve"]);
    let state = std::fs::read_to_string(w.path().join("mlform.tfstate")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&state).unwrap();

    // A serial with no room left.
    let mut maxed = json.clone();
    maxed["serial"] = serde_json::json!(u64::MAX);
    std::fs::write(w.path().join("mlform.tfstate"), maxed.to_string()).unwrap();
    let r = w.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(squash(&r.stderr).contains("leaves no room"), "{}", r.stderr);

    // The same instance twice.
    let instances = json["resources"][0]["instances"]
        .as_array()
        .unwrap()
        .clone();
    let mut twice = instances.clone();
    twice.extend(instances);
    json["resources"][0]["instances"] = serde_json::Value::Array(twice);
    std::fs::write(w.path().join("mlform.tfstate"), json.to_string()).unwrap();
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(
        squash(&r.stderr).contains("appears more than once"),
        "{}",
        r.stderr
    );
    std::fs::write(w.path().join("mlform.tfstate"), &state).unwrap();

    // Saved plans: errored, without configuration, with a change nobody knows, a bad target.
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = 2\n}\n",
    );
    w.ok(&["plan", "-out=p.plan"]);
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.path().join("p.plan")).unwrap()).unwrap();
    let edits: Vec<(&str, Box<dyn Fn(&mut serde_json::Value)>, &str)> = vec![
        (
            "errored",
            Box::new(|p| p["errored"] = serde_json::json!(true)),
            "not applyable",
        ),
        (
            "no config",
            Box::new(|p| p["config_files"] = serde_json::json!([])),
            "no configuration files",
        ),
        (
            "unknown change",
            Box::new(|p| p["changes"][0]["addr"] = serde_json::json!("terraform_data.ghost")),
            "neither in the plan's configuration nor in the state",
        ),
        (
            "bad target",
            Box::new(|p| p["targets"] = serde_json::json!(["not an address!"])),
            "bad target address",
        ),
    ];
    for (what, edit, wanted) in edits {
        let mut p = plan.clone();
        edit(&mut p);
        std::fs::write(w.path().join("bad.plan"), p.to_string()).unwrap();
        let r = w.run(&["apply", "bad.plan"]);
        assert_eq!(r.code, 1, "{what}: {}{}", r.stdout, r.stderr);
        assert!(squash(&r.stderr).contains(wanted), "{what}: {}", r.stderr);
        assert_eq!(
            std::fs::read_to_string(w.path().join("mlform.tfstate")).unwrap(),
            state,
            "{what}: the state was written"
        );
    }
}
