//! Pull-request review output that needs no cloud: the markdown comment stays under
//! GitHub's limit by dropping details, never the summary; sensitive values stay out of it;
//! `mlform check` on a plan without findings exits 0.

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
