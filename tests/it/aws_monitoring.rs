//! Monitoring around SageMaker endpoints, against the local AWS emulator: the check rules
//! for endpoints nobody watches, alarms that tell nobody and scaling that cannot scale, and
//! the plan's list of what guards an endpoint rollout.

use crate::aws::Moto;
use crate::support::Workdir;

/// A p99 latency alarm on the endpoint named `endpoint`, with `actions` (HCL list items).
fn latency_alarm(endpoint: &str, actions: &str) -> String {
    format!(
        r#"
resource "aws_cloudwatch_metric_alarm" "latency" {{
  alarm_name          = "scorer-p99"
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 3
  threshold           = 250000
  comparison_operator = "GreaterThanThreshold"
  dimensions          = {{ EndpointName = "{endpoint}", VariantName = "AllTraffic" }}
  alarm_actions       = [{actions}]
}}
"#
    )
}

/// The monitoring rules: an endpoint nobody watches (MLF302), an alarm that tells nobody
/// (MLF305), a scalable target that cannot scale (MLF306); a watched, paging, scalable
/// endpoint has none of them.
#[test]
fn checks_flag_silent_alarms_and_autoscaling_that_cannot_scale() {
    let moto = Moto::start();
    let w = Workdir::new();
    let monitoring = |max: u32, actions: &str, dimension: &str| {
        format!(
            r#"{serving}
resource "aws_sns_topic" "oncall" {{
  name = "scorer-oncall"
}}

resource "aws_appautoscaling_target" "scorer" {{
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/scorer/variant/AllTraffic"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = 2
  max_capacity       = {max}
}}

{alarm}"#,
            serving = crate::aws::serving(&moto, "scorer/v1/model.onnx"),
            alarm = latency_alarm(dimension, actions),
        )
    };
    w.write("main.tf", &monitoring(2, "", "another-endpoint"));
    w.ok(&["plan", "-no-color", "-out=silent.plan"]);
    let check = w.run(&["check", "-no-color", "silent.plan"]);
    assert_eq!(check.code, 2, "{}{}", check.stdout, check.stderr);
    let ml: String = check
        .stdout
        .split("\n\n")
        .filter(|f| f.contains("[MLF30"))
        .collect::<Vec<_>>()
        .join("\n\n");
    insta::assert_snapshot!("monitoring_checks", ml);

    w.write(
        "main.tf",
        &monitoring(6, "aws_sns_topic.oncall.arn", "scorer"),
    );
    w.ok(&["plan", "-no-color", "-out=watched.plan"]);
    let check = w.run(&["check", "-no-color", "-format=json", "watched.plan"]);
    let v: serde_json::Value = serde_json::from_str(&check.stdout).unwrap();
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    for gone in ["MLF302", "MLF305", "MLF306"] {
        assert!(!ids.contains(&gone), "{gone} in {ids:?}");
    }
}

/// A plan that rolls an endpoint to a new model says what guards it: alarms, the health
/// gate read after it; without them it says the rollout is unguarded.
#[test]
fn plan_shows_what_guards_an_endpoint_rollout() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write(
        "main.tf",
        &crate::aws::serving(&moto, "scorer/v1/model.onnx"),
    );
    w.ok(&["apply", "-auto-approve", "-no-color"]);
    let v2 = crate::aws::serving(&moto, "scorer/v2/model.onnx");
    let section = |stdout: &str| -> String {
        stdout
            .split("Guards of the rollouts in this plan:")
            .nth(1)
            .and_then(|s| s.split("\n\n").next())
            .map(|s| format!("Guards of the rollouts in this plan:{s}"))
            .unwrap_or_else(|| panic!("no guards section:\n{stdout}"))
    };

    w.write("main.tf", &v2);
    let bare = w.run(&["plan", "-no-color"]);
    assert_eq!(bare.code, 0, "{}{}", bare.stdout, bare.stderr);
    insta::assert_snapshot!("endpoint_rollout_unguarded", section(&bare.stdout));

    w.write(
        "main.tf",
        &format!(
            r#"{v2}
{alarm}
data "http" "ready" {{
  url        = "http://127.0.0.1:9/v2/health/ready"
  depends_on = [aws_sagemaker_endpoint.scorer]
  lifecycle {{
    postcondition {{
      condition     = self.status_code == 200
      error_message = "not ready"
    }}
  }}
}}
"#,
            alarm = latency_alarm("scorer", "")
        ),
    );
    let guarded = w.run(&["plan", "-no-color", "-out=guarded.plan"]);
    assert_eq!(guarded.code, 0, "{}{}", guarded.stdout, guarded.stderr);
    insta::assert_snapshot!("endpoint_rollout_guarded", section(&guarded.stdout));
    let json = w.ok(&["show", "-json", "guarded.plan"]);
    let j: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        j["guards"],
        serde_json::json!([{
            "address": "aws_sagemaker_endpoint.scorer",
            "alarms": ["scorer-p99"],
            "auto_rollback_alarms": [],
            "gates": ["data.http.ready"],
        }])
    );
    let md = w.ok(&["show", "-markdown", "guarded.plan"]);
    let line = md
        .stdout
        .lines()
        .find(|l| l.starts_with("**Guards**"))
        .unwrap_or_else(|| panic!("no guards line:\n{}", md.stdout))
        .to_string();
    insta::assert_snapshot!("endpoint_rollout_guarded_markdown", line);
}

/// One page for an endpoint in trouble: a composite alarm over the latency and error alarms,
/// sending to SNS; applied, re-planned clean, its rule changed in place, imported, destroyed.
#[test]
fn composite_alarm_applies_updates_imports_and_destroys() {
    let moto = Moto::start();
    let w = Workdir::new();
    let config = |rule: &str| {
        format!(
            r#"{provider}
resource "aws_sns_topic" "oncall" {{
  name = "scorer-oncall"
}}
{alarm}
resource "aws_cloudwatch_metric_alarm" "errors" {{
  alarm_name          = "scorer-5xx"
  namespace           = "AWS/SageMaker"
  metric_name         = "Invocation5XXErrors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  dimensions          = {{ EndpointName = "scorer", VariantName = "AllTraffic" }}
}}

resource "aws_cloudwatch_composite_alarm" "scorer" {{
  alarm_name        = "scorer-in-trouble"
  alarm_description = "latency or errors on the scorer endpoint"
  alarm_rule        = "{rule}"
  alarm_actions     = [aws_sns_topic.oncall.arn]
  tags              = {{ team = "ml" }}
}}
"#,
            provider = moto.provider_block(""),
            alarm = latency_alarm("scorer", ""),
        )
    };
    let either = r#"ALARM(\"${aws_cloudwatch_metric_alarm.latency.alarm_name}\") OR ALARM(\"${aws_cloudwatch_metric_alarm.errors.alarm_name}\")"#;
    let both = r#"ALARM(\"${aws_cloudwatch_metric_alarm.latency.alarm_name}\") AND ALARM(\"${aws_cloudwatch_metric_alarm.errors.alarm_name}\")"#;
    w.write("main.tf", &config(either));
    let apply = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    w.write("main.tf", &config(both));
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_cloudwatch_composite_alarm.scorer will be updated in-place"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve", "-no-color"]);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    let shown = w.ok(&["state", "show", "aws_cloudwatch_composite_alarm.scorer"]);
    assert!(shown.stdout.contains(" AND ALARM("), "{}", shown.stdout);

    w.ok(&["state", "rm", "aws_cloudwatch_composite_alarm.scorer"]);
    w.ok(&[
        "import",
        "aws_cloudwatch_composite_alarm.scorer",
        "scorer-in-trouble",
    ]);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    w.ok(&["destroy", "-auto-approve", "-no-color"]);
    let alarms = crate::aws::rt()
        .block_on(moto.cloudwatch().describe_alarms().send())
        .unwrap();
    assert!(alarms.composite_alarms().is_empty());
    assert!(alarms.metric_alarms().is_empty());
}
