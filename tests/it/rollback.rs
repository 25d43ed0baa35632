//! `apply -rollback=auto`: a failed apply undoes what it finished (created objects deleted,
//! updated ones restored), the state ends as it was and the next plan shows the same change
//! again. The health gate is `data "http"` with a postcondition, read against `mlform
//! serve` on loopback: healthy, asked for a model it does not have, overloaded, stopped.

use std::time::Duration;

use crate::serve::{models, slow_request, Server};
use crate::support::{normalize, Workdir};

const V1: &str = r#"
resource "terraform_data" "endpoint" {
  input = "model-v1"
}

resource "terraform_data" "scaling" {
  input = { min = 1, max = 2 }
}

resource "local_file" "config" {
  filename = "${path.module}/endpoint.json"
  content  = jsonencode({ name = "scorer" })
}
"#;

/// V1 changed: the endpoint and its scaling updated in place, a canary config and an alarm
/// created, and a gate read after all of them.
fn v2(gate: &str) -> String {
    format!(
        r#"
resource "terraform_data" "endpoint" {{
  input = "model-v2"
}}

resource "terraform_data" "scaling" {{
  input = {{ min = 1, max = 4 }}
}}

resource "local_file" "config" {{
  filename = "${{path.module}}/endpoint.json"
  content  = jsonencode({{ name = "scorer" }})
}}

resource "local_file" "canary" {{
  filename = "${{path.module}}/canary.json"
  content  = jsonencode({{ model = terraform_data.endpoint.output, weight = 10 }})
}}

resource "terraform_data" "alarm" {{
  input = "p99 over 250 ms"
}}

{gate}
"#
    )
}

fn gate(url: &str, extra: &str) -> String {
    format!(
        r#"data "http" "health" {{
  url = "{url}"
{extra}
  depends_on = [terraform_data.endpoint, terraform_data.scaling, local_file.canary, terraform_data.alarm]

  lifecycle {{
    postcondition {{
      condition     = self.status_code == 200
      error_message = "The endpoint is not healthy: HTTP ${{self.status_code}}."
    }}
  }}
}}"#
    )
}

/// Applies V1, then swaps in `config` and returns the plan text it shows.
fn applied_v1_then(config: &str) -> (Workdir, String) {
    let w = Workdir::new();
    w.write("main.tf", V1);
    w.ok(&["apply", "-auto-approve", "-no-color"]);
    w.write("main.tf", config);
    let plan = w.run(&["plan", "-no-color"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let summary = plan
        .stdout
        .lines()
        .find(|l| l.starts_with("Plan:"))
        .unwrap_or_default()
        .to_string();
    (w, summary)
}

fn v1_addresses() -> Vec<&'static str> {
    vec![
        "local_file.config",
        "terraform_data.endpoint",
        "terraform_data.scaling",
    ]
}

/// An attribute of the (single) instance of the resource named `name`, from the state.
fn attribute(w: &Workdir, name: &str, attr: &str) -> serde_json::Value {
    w.state()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no resource named {name} in state"))["instances"][0]
        ["attributes"][attr]
        .clone()
}

/// The objects V1 manages hold V1's values; nothing V2 added is on disk.
fn assert_state_is_v1(w: &Workdir) {
    assert_eq!(attribute(w, "endpoint", "output"), "model-v1");
    assert!(!w.path().join("canary.json").exists());
    assert!(w.path().join("endpoint.json").exists());
}

/// Rolled back: the state is V1's and the next plan shows the same change again.
fn assert_back_at_v1(w: &Workdir, summary: &str) {
    assert_eq!(w.addresses(), v1_addresses());
    assert_state_is_v1(w);
    let again = w.run(&["plan", "-no-color"]);
    assert!(
        again.stdout.lines().any(|l| l == summary),
        "the next plan shows the same change again ({summary}):\n{}",
        again.stdout
    );
}

/// The rollback phase and the error, without what varies between runs (ids, timings, the
/// server's port). The apply phase before it runs steps in parallel, in no fixed order.
fn stable(text: &str, addr: &str) -> String {
    let after = regex::Regex::new(r"after \d+s").unwrap();
    let id = regex::Regex::new(r"\[id=[0-9a-f]{40}\]").unwrap();
    let from = text.find("The apply failed; rolling back").unwrap_or(0);
    let text = after.replace_all(&text[from..], "after Ns");
    let text = id.replace_all(&text, "[id=<sha1>]");
    // Independent steps finished in either order, so their undo steps run in either order
    // too: the step lines are sorted here, and the order that matters is asserted apart.
    let mut lines: Vec<&str> = text.lines().collect();
    let steps_end = lines
        .iter()
        .position(|l| l.is_empty())
        .unwrap_or(lines.len());
    lines[1..steps_end].sort();
    normalize(&lines.join("\n").replace(addr, "127.0.0.1:PORT"))
}

#[test]
fn a_failing_gate_rolls_the_apply_back_and_the_next_plan_shows_it_again() {
    let server = Server::start(&["--model", models().join("mlp.onnx").to_str().unwrap()]);
    let url = format!("http://{}/v2/models/absent/ready", server.addr);
    let (w, summary) = applied_v1_then(&v2(&gate(&url, "")));
    assert_eq!(summary, "Plan: 2 to add, 2 to change, 0 to destroy.");
    let apply = w.run(&["apply", "-auto-approve", "-no-color", "-rollback=auto"]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    let text = format!("{}{}", apply.stdout, apply.stderr);
    for needed in [
        "The apply failed; rolling back the 4 change(s) it finished, the last first:",
        "Rollback complete! Resources: 2 deleted, 2 restored, 0 reinstated.",
        "Error: Resource postcondition failed",
        "The endpoint is not healthy: HTTP 404.",
    ] {
        assert!(text.contains(needed), "{needed}:\n{text}");
    }
    let rollback = &text[text.find("rolling back").unwrap_or(0)..];
    let at = |line: &str| {
        rollback
            .find(line)
            .unwrap_or_else(|| panic!("{line} missing:\n{text}"))
    };
    assert!(
        at("local_file.canary: Destroying") < at("terraform_data.endpoint: Modifying"),
        "what depends on the endpoint is undone before the endpoint:\n{text}"
    );
    assert_back_at_v1(&w, &summary);
    insta::assert_snapshot!("rollback_after_gate", stable(&text, &server.addr));

    // The same change with the gate pointed at a healthy route passes and stays.
    let healthy = format!("http://{}/v2/health/ready", server.addr);
    w.write("main.tf", &v2(&gate(&healthy, "")));
    let apply = w.run(&["apply", "-auto-approve", "-no-color", "-rollback=auto"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert!(w.path().join("canary.json").exists());

    // The history lists the three applies, the rollback with what it undid.
    let history = w.ok(&["history", "-json"]);
    let h: serde_json::Value = serde_json::from_str(&history.stdout).unwrap();
    let results: Vec<&str> = h["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["applied", "rolled_back", "applied"]);
    assert_eq!(
        h["runs"][1]["rollback"],
        serde_json::json!({"deleted": 2, "restored": 2, "reinstated": 0})
    );
    let table = w.ok(&["history"]);
    let when = regex::Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z").unwrap();
    insta::assert_snapshot!(
        "history_after_rollback",
        when.replace_all(&table.stdout, "<ended>             ")
    );
}

#[test]
fn a_stopped_or_overloaded_endpoint_fails_the_gate() {
    // Stopped: nothing listens, the read itself fails after its retries.
    let stopped = {
        let s = Server::start(&["--model", models().join("mlp.onnx").to_str().unwrap()]);
        s.addr.clone()
    };
    let url = format!("http://{stopped}/v2/health/ready");
    let retry =
        "  retry {\n    attempts     = 2\n    min_delay_ms = 10\n    max_delay_ms = 20\n  }";
    let (w, summary) = applied_v1_then(&v2(&gate(&url, retry)));
    let apply = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 1);
    let text = format!("{}{}", apply.stdout, apply.stderr);
    assert!(
        text.contains("Error making request (after 2 retries)"),
        "{text}"
    );
    // Without -rollback the apply keeps what it finished, as Terraform does.
    assert!(!text.contains("rolling back"), "{text}");
    assert!(w.path().join("canary.json").exists());
    w.write("main.tf", V1);
    w.ok(&["apply", "-auto-approve"]);

    // Overloaded: one slow request at a time, none queued; the gate's inference is shed (429).
    let server = Server::start(&[
        "--model",
        models().join("slow.onnx").to_str().unwrap(),
        "--workers",
        "1",
        "--max-queue",
        "1",
        "--max-batch-size",
        "1",
    ]);
    let busy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let load: Vec<_> = (0..4)
        .map(|_| {
            let addr = server.addr.clone();
            let busy = busy.clone();
            std::thread::spawn(move || {
                while busy.load(std::sync::atomic::Ordering::SeqCst) {
                    let _ = crate::serve::raw_post(&addr, "/v2/models/slow/infer", &slow_request());
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let infer = format!("http://{}/v2/models/slow/infer", server.addr);
    let body = format!(
        "  method       = \"POST\"\n  request_body = {:?}",
        slow_request()
    );
    w.write("main.tf", &v2(&gate(&infer, &body)));
    let apply = w.run_env(
        &["apply", "-auto-approve", "-no-color"],
        &[("MLFORM_ROLLBACK", "auto")],
    );
    busy.store(false, std::sync::atomic::Ordering::SeqCst);
    for t in load {
        let _ = t.join();
    }
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    let text = format!("{}{}", apply.stdout, apply.stderr);
    assert!(
        text.contains("The endpoint is not healthy: HTTP 429."),
        "{text}"
    );
    assert!(text.contains("Rollback complete!"), "{text}");
    assert_back_at_v1(&w, &summary);
}

#[test]
fn an_unknown_rollback_mode_is_refused() {
    let w = Workdir::new();
    w.write("main.tf", V1);
    let run = w.run(&["apply", "-auto-approve", "-rollback=yes"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("rollback_mode_refused", run.stderr);
    assert!(w.addresses().is_empty());
}

/// Killed while undoing: every undo step that finished is in the journal, the state loads,
/// and the next apply of the old configuration completes the way back.
#[test]
fn sigkill_during_rollback_leaves_a_state_the_next_apply_completes() {
    use std::io::BufRead;
    let server = Server::start(&["--model", models().join("mlp.onnx").to_str().unwrap()]);
    let url = format!("http://{}/v2/models/absent/ready", server.addr);
    // Created first and undone last, slowly: the kill lands after every other undo step.
    let slow_to_undo = r#"
resource "time_sleep" "settle" {
  destroy_duration = "3s"
}
"#;
    let mut config = v2(&gate(&url, "")) + slow_to_undo;
    for input in [
        "\"model-v2\"",
        "{ min = 1, max = 4 }",
        "\"p99 over 250 ms\"",
    ] {
        config = config.replace(
            &format!("  input = {input}\n}}"),
            &format!("  input      = {input}\n  depends_on = [time_sleep.settle]\n}}"),
        );
    }
    assert!(config.contains("depends_on = [time_sleep.settle]"));
    let (w, _) = applied_v1_then(&config);
    let mut child = std::process::Command::new(crate::support::bin())
        .args(["apply", "-auto-approve", "-no-color", "-rollback=auto"])
        .current_dir(w.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.starts_with("time_sleep.settle: Destroying") {
            child.kill().unwrap();
            break;
        }
    }
    let _ = child.wait();
    assert!(
        seen.iter().any(|l| l.contains("rolling back")),
        "killed before the rollback began:\n{}",
        seen.join("\n")
    );
    // The state loads, with every undo step that finished before the kill.
    let mut expected = v1_addresses();
    expected.push("time_sleep.settle");
    assert_eq!(w.addresses(), expected);
    assert_state_is_v1(&w);
    w.write("main.tf", V1);
    let back = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(back.code, 0, "{}{}", back.stdout, back.stderr);
    assert_eq!(w.addresses(), v1_addresses());
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
}

/// A create_before_destroy replacement whose old object still exists when a dependent fails:
/// the new object is deleted and the old one is current again, with its id, and what
/// follows it points at it again. When the old object is already gone, the replacement and
/// what depends on it are left, and the rollback says so.
#[test]
fn create_before_destroy_replacements_get_their_old_object_back_while_it_exists() {
    let config = |version: &str, tail: &str| {
        // V3 replaces destroy-first: the one replacement a rollback cannot take back.
        let cbd = version != "v3";
        format!(
            r#"
resource "terraform_data" "model" {{
  triggers_replace = "{version}"
  lifecycle {{
    create_before_destroy = {cbd}
  }}
}}

resource "terraform_data" "endpoint" {{
  input = terraform_data.model.id
}}
{tail}"#
        )
    };
    // Writing under /proc fails, after the endpoint was switched to the new model and
    // before the old model is destroyed (with rollback on, that waits for every change).
    let failing_dependent = r#"
resource "local_file" "routing" {
  filename = "/proc/mlform-no-such-dir/routing.json"
  content  = "${terraform_data.endpoint.output} ${terraform_data.model.id}"
}
"#;
    let w = Workdir::new();
    w.write("main.tf", &config("v1", ""));
    w.ok(&["apply", "-auto-approve", "-no-color"]);
    let id_of = |w: &Workdir, name: &str| attribute(w, name, "id").as_str().unwrap().to_string();
    let old_model = id_of(&w, "model");
    w.write("main.tf", &config("v2", failing_dependent));
    let apply = w.run(&["apply", "-auto-approve", "-no-color", "-rollback=auto"]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("With -rollback=auto, a failed apply undoes every change but these, which destroy data:\n  - terraform_data.model: replaced; the old object is destroyed after every other change\n"),
        "{}",
        apply.stdout
    );
    assert!(
        apply
            .stdout
            .contains("Rollback complete! Resources: 0 deleted, 1 restored, 1 reinstated."),
        "{}",
        apply.stdout
    );
    assert_eq!(id_of(&w, "model"), old_model);
    assert_eq!(
        attribute(&w, "endpoint", "output"),
        old_model.as_str(),
        "the endpoint points at the old model"
    );
    assert!(w.state()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["instances"][0].get("deposed").is_none()));

    // A destroy-first replacement, then a failing gate: the old model is gone, so there is
    // nothing to go back to, and the plan said so before the apply.
    let server = Server::start(&["--model", models().join("mlp.onnx").to_str().unwrap()]);
    let gate = format!(
        r#"
data "http" "health" {{
  url        = "http://{}/v2/models/absent/ready"
  depends_on = [terraform_data.endpoint]
  lifecycle {{
    postcondition {{
      condition     = self.status_code == 200
      error_message = "HTTP ${{self.status_code}}"
    }}
  }}
}}
"#,
        server.addr
    );
    w.write("main.tf", &config("v3", &gate));
    let apply = w.run(&["apply", "-auto-approve", "-no-color", "-rollback=auto"]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("  - terraform_data.model: replaced destroy-first: the old object is gone before the new one exists (create_before_destroy keeps it until the end)\n"),
        "{}",
        apply.stdout
    );
    let report = apply
        .stdout
        .split("Rollback incomplete!")
        .nth(1)
        .unwrap_or_else(|| panic!("{}", apply.stdout));
    assert!(
        report.contains("terraform_data.model: replaced by this apply"),
        "{report}"
    );
    assert!(
        report.contains("terraform_data.endpoint: depends on terraform_data.model"),
        "{report}"
    );
    assert_ne!(id_of(&w, "model"), old_model);
    let history = w.ok(&["history", "-json"]);
    assert!(
        history.stdout.contains("\"rollback_incomplete\""),
        "{}",
        history.stdout
    );
}

/// With rollback on, deletes wait for every other change: a gate that fails leaves the
/// object that was leaving the configuration in place, so the rollback is complete. The
/// plan lists what could not be undone, before the apply and under MLFORM_ROLLBACK=auto.
#[test]
fn deletes_run_last_so_a_failure_before_them_loses_nothing() {
    let server = Server::start(&["--model", models().join("mlp.onnx").to_str().unwrap()]);
    let w = Workdir::new();
    let retired = r#"
resource "local_file" "retired" {
  filename = "${path.module}/retired.json"
  content  = "v0"
}
"#;
    w.write("main.tf", &format!("{V1}{retired}"));
    w.ok(&["apply", "-auto-approve", "-no-color"]);
    let url = format!("http://{}/v2/models/absent/ready", server.addr);
    w.write("main.tf", &v2(&gate(&url, "")));
    let plan = w.run_env(&["plan", "-no-color"], &[("MLFORM_ROLLBACK", "auto")]);
    let note = "\nWith -rollback=auto, a failed apply undoes every change but these, which destroy data:\n  - local_file.retired: destroyed after every other change\n";
    assert!(plan.stdout.contains(note), "{}", plan.stdout);
    let plain = w.run(&["plan", "-no-color"]);
    assert!(
        !plain.stdout.contains("With -rollback=auto"),
        "{}",
        plain.stdout
    );

    let apply = w.run(&["apply", "-auto-approve", "-no-color", "-rollback=auto"]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert!(apply.stdout.contains(note), "{}", apply.stdout);
    assert!(
        !apply.stdout.contains("local_file.retired: Destroying"),
        "{}",
        apply.stdout
    );
    assert!(
        apply
            .stdout
            .contains("Rollback complete! Resources: 2 deleted, 2 restored, 0 reinstated."),
        "{}",
        apply.stdout
    );
    assert!(w.path().join("retired.json").exists());
    assert!(w.addresses().contains(&"local_file.retired".to_string()));

    // Healthy: the delete runs, after everything else.
    let healthy = format!("http://{}/v2/health/ready", server.addr);
    w.write("main.tf", &v2(&gate(&healthy, "")));
    let apply = w.run(&["apply", "-auto-approve", "-no-color", "-rollback=auto"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let at = |s: &str| {
        apply
            .stdout
            .find(s)
            .unwrap_or_else(|| panic!("{s} missing:\n{}", apply.stdout))
    };
    for other in [
        "terraform_data.endpoint: Modifications complete",
        "local_file.canary: Creation complete",
        "terraform_data.alarm: Creation complete",
        "data.http.health: Read complete",
    ] {
        assert!(
            at(other) < at("local_file.retired: Destroying"),
            "{}",
            apply.stdout
        );
    }
    assert!(!w.path().join("retired.json").exists());
}

/// `apply -json`: Terraform's machine-readable stream, with the rollback as a second phase
/// (`rollback_start`, the undo steps' hooks marked `"phase": "rollback"`,
/// `rollback_summary`) and the failure as a `diagnostic` message.
#[test]
fn apply_json_streams_the_rollback_as_a_second_phase() {
    let server = Server::start(&["--model", models().join("mlp.onnx").to_str().unwrap()]);
    let url = format!("http://{}/v2/models/absent/ready", server.addr);
    let (w, _) = applied_v1_then(&v2(&gate(&url, "")));
    let refused = w.run(&["apply", "-json"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("Plan file or auto-approve required"),
        "{}",
        refused.stderr
    );

    let apply = w.run(&["apply", "-json", "-auto-approve", "-rollback=auto"]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    let messages: Vec<serde_json::Value> = apply
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    for m in &messages {
        for key in ["@level", "@message", "@module", "@timestamp", "type"] {
            assert!(m.get(key).is_some(), "{key} missing in {m}");
        }
    }
    let ids = regex::Regex::new(r"\[id=[^\]]+\]").unwrap();
    let line = |m: &serde_json::Value| {
        let phase = m["hook"]["phase"].as_str().unwrap_or("apply");
        let text = ids.replace_all(m["@message"].as_str().unwrap(), "[id=…]");
        let text = text.replace(&server.addr, "127.0.0.1:PORT");
        let elapsed = regex::Regex::new(r"after \d+s").unwrap();
        format!(
            "{phase:8} {:16} {}",
            m["type"].as_str().unwrap(),
            elapsed.replace_all(&text, "after Ns")
        )
    };
    let start = messages
        .iter()
        .position(|m| m["type"] == "rollback_start")
        .expect("rollback_start");
    // Parallel steps finish in any order: each phase is sorted, the phases stay in order.
    let mut applying: Vec<String> = messages[..start].iter().map(line).collect();
    applying.sort();
    let mut undoing: Vec<String> = messages[start..].iter().map(line).collect();
    undoing.sort();
    let summary = messages.last().unwrap();
    assert_eq!(summary["type"], "diagnostic", "{summary}");
    let rollback = messages
        .iter()
        .find(|m| m["type"] == "rollback_summary")
        .unwrap();
    assert_eq!(
        rollback["rollback"],
        serde_json::json!({"complete": true, "deleted": 2, "restored": 2, "reinstated": 0, "left": []})
    );
    let hook = messages
        .iter()
        .find(|m| m["type"] == "apply_complete" && m["hook"]["phase"] == "rollback")
        .unwrap();
    assert_eq!(
        hook["hook"]["resource"]["resource_type"].as_str().is_some(),
        true
    );
    insta::assert_snapshot!(
        "apply_json_rollback",
        format!("{}\n---\n{}", applying.join("\n"), undoing.join("\n"))
    );
}
