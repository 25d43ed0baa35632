//! `mlform test` on test files: each fixture's run results equal those terraform test 1.11
//! reported on the same files (recorded in `expected-statuses.txt`), and equal Terraform's
//! own where it is on PATH. Mock providers replace the AWS provider with no emulator.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{copy_dir, Run, Workdir};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// A working copy of a fixture directory.
fn copy_of(rel: &str) -> Workdir {
    let w = Workdir::new();
    copy_dir(&fixture(rel), w.path());
    w
}

/// `FILE RUN STATUS` lines from a JUnit report, in order.
fn statuses(xml: &str) -> Vec<String> {
    let suite = regex::Regex::new(r#"(?s)<testsuite name="([^"]+)"(.*?)</testsuite>"#).unwrap();
    let case = regex::Regex::new(r#"(?s)<testcase name="([^"]+)"[^>]*>(.*?)</testcase>"#).unwrap();
    let mut out = Vec::new();
    for s in suite.captures_iter(xml) {
        for c in case.captures_iter(&s[2]) {
            let body = &c[2];
            let status = if body.contains("<failure") {
                "fail"
            } else if body.contains("<error") {
                "error"
            } else if body.contains("<skipped") {
                "skip"
            } else {
                "pass"
            };
            out.push(format!("{} {} {status}", &s[1], &c[1]));
        }
    }
    out
}

fn expected(rel: &str) -> Vec<String> {
    std::fs::read_to_string(fixture(rel).join("expected-statuses.txt"))
        .expect("expected-statuses.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Runs `mlform test -junit-xml` in a copy of the fixture; returns the run and the statuses.
fn mlform_test(rel: &str) -> (Run, Vec<String>, String) {
    let w = copy_of(rel);
    let r = w.run(&["test", "-junit-xml=results.xml"]);
    let xml = std::fs::read_to_string(w.path().join("results.xml"))
        .unwrap_or_else(|e| panic!("no JUnit report ({e}):\n{}\n{}", r.stdout, r.stderr));
    (r, statuses(&xml), xml)
}

/// terraform test's statuses on a copy of the fixture, when terraform is on PATH.
fn terraform_test(rel: &str) -> Option<Vec<String>> {
    let version = Command::new("terraform").arg("version").output().ok()?;
    if !version.status.success() {
        return None;
    }
    let w = copy_of(rel);
    let config = w.path().join("empty.tfrc");
    std::fs::write(&config, "").unwrap();
    let tf = |args: &[&str]| {
        Command::new("terraform")
            .args(args)
            .current_dir(w.path())
            .env("TF_CLI_CONFIG_FILE", &config)
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .expect("run terraform")
    };
    let init = tf(&["init", "-input=false", "-no-color"]);
    assert!(
        init.status.success(),
        "terraform init: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    tf(&["test", "-no-color", "-junit-xml=tf.xml"]);
    let xml = std::fs::read_to_string(w.path().join("tf.xml")).expect("terraform JUnit report");
    Some(statuses(&xml))
}

fn check_against_terraform(rel: &str, ours: &[String]) {
    assert_eq!(
        ours,
        expected(rel).as_slice(),
        "mlform test differs from terraform test's recorded results on {rel}"
    );
    match terraform_test(rel) {
        Some(theirs) => assert_eq!(
            ours,
            theirs.as_slice(),
            "mlform test differs from terraform test on PATH on {rel}"
        ),
        None => eprintln!("terraform is not on PATH; compared with the recorded results only"),
    }
}

/// Output with durations, timestamps and generated identifiers replaced.
fn normalized(s: &str) -> String {
    let time = regex::Regex::new(r#"time="[0-9.]+""#).unwrap();
    let s = time.replace_all(s, r#"time="<seconds>""#);
    crate::support::normalize(&s)
}

#[test]
fn basics_match_terraform() {
    let (r, ours, _) = mlform_test("tests/tftest/basics");
    assert_eq!(r.code, 1, "{}", r.stdout);
    check_against_terraform("tests/tftest/basics", &ours);
    insta::assert_snapshot!(normalized(&r.snapshot()));
}

#[test]
fn overrides_and_expected_failures_match_terraform() {
    let (r, ours, _) = mlform_test("tests/tftest/overrides");
    assert_eq!(r.code, 1, "{}", r.stdout);
    check_against_terraform("tests/tftest/overrides", &ours);
    insta::assert_snapshot!(normalized(&r.snapshot()));
}

#[test]
fn ml_team_module_tests_pass_as_under_terraform() {
    let (r, ours, _) = mlform_test("modules/ml-team");
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(ours.iter().all(|l| l.ends_with(" pass")), "{ours:?}");
    match terraform_test("modules/ml-team") {
        Some(theirs) => assert_eq!(ours, theirs),
        None => eprintln!("terraform is not on PATH; skipped the side-by-side run"),
    }
    insta::assert_snapshot!(normalized(&r.snapshot()));
}

#[test]
fn instance_overrides_match_terraform() {
    let (r, ours, _) = mlform_test("tests/tftest/instances");
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    check_against_terraform("tests/tftest/instances", &ours);
}

#[test]
fn mocked_aws_provider_needs_no_cloud() {
    let (r, ours, xml) = mlform_test("tests/tftest/mocks");
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        ours,
        [
            "tests/mocked.tftest.hcl plan_time_override pass",
            "tests/mocked.tftest.hcl apply_with_mocks pass",
            "tests/mocked.tftest.hcl mocks_from_files pass",
            "tests/mocked.tftest.hcl data_override pass",
        ]
    );
    insta::assert_snapshot!("mocked_aws_junit", normalized(&xml));
}

#[test]
fn failures_in_junit_carry_their_diagnostics() {
    let (_, _, xml) = mlform_test("tests/tftest/basics");
    insta::assert_snapshot!(normalized(&xml));
}

#[test]
fn filter_verbose_and_variables() {
    let w = copy_of("tests/tftest/basics");
    let r = w.run(&[
        "test",
        "-filter=tests/main.tftest.hcl",
        "-verbose",
        "-var",
        "name=cli",
    ]);
    // The file's variables block wins over -var; the plan and state of each run are printed.
    assert!(r.stdout.contains("hello-world"), "{}", r.stdout);
    assert!(
        !r.stdout.contains("tests/errors.tftest.hcl"),
        "{}",
        r.stdout
    );
    insta::assert_snapshot!(normalized(&r.snapshot()));
}

#[test]
fn no_test_files() {
    let w = Workdir::new();
    w.write("main.tf", "resource \"terraform_data\" \"a\" {}\n");
    let r = w.run(&["test"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "\nSuccess! 0 passed, 0 failed.\n");
}

#[test]
fn invalid_test_files_are_diagnosed() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        "variable \"x\" {\n  default = 0\n}\nresource \"terraform_data\" \"a\" {\n  input = 1\n}\n",
    );
    w.write(
        "tests/bad.tftest.hcl",
        r#"run "a" {
  command = destroy
}

run "b" {
  override_resource {
    target = module.child[0].terraform_data.a
  }
}

runn "c" {}
"#,
    );
    w.write(
        "tests/refs.tftest.hcl",
        r#"run "first" {
  variables {
    x = run.later.value
  }
}

run "later" {}
"#,
    );
    w.write(
        "tests/typo.tftest.hcl",
        r#"run "typo" {
  assert {
    condition     = terraform_data.a.inptu == 1
    error_message = "typo"
  }
}
"#,
    );
    w.write(
        "tests/target.tftest.hcl",
        r#"run "missing" {
  override_resource {
    target = terraform_data.nothere
  }
}
"#,
    );
    let r = w.run(&["test"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(normalized(&r.snapshot()));
}

#[test]
fn applied_resources_are_destroyed_at_the_end() {
    let w = copy_of("tests/tftest/basics");
    w.write(
        "main.tf",
        &format!(
            "{}\nresource \"local_file\" \"marker\" {{\n  filename = \"${{path.module}}/marker.txt\"\n  content  = var.name\n}}\n",
            std::fs::read_to_string(fixture("tests/tftest/basics/main.tf")).unwrap()
        ),
    );
    let r = w.run(&["test", "-filter=tests/main.tftest.hcl"]);
    assert!(r.stdout.contains("tearing down"), "{}", r.stdout);
    assert!(
        !w.path().join("marker.txt").exists(),
        "teardown left the file behind:\n{}\n{}",
        r.stdout,
        r.stderr
    );
    assert!(
        !w.path().join("mlform.tfstate").exists(),
        "test state must stay in memory"
    );
}
