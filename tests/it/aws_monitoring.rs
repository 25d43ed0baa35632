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
    let found = crate::support::rule_ids(&check.stdout);
    let ids: Vec<&str> = found.iter().map(String::as_str).collect();
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

/// An anomaly detection band on p99 latency (metric math with `threshold_metric_id`) and an
/// error-rate alarm computed from two metrics: create, re-plan clean, update the band in
/// place, drift from another writer, import, destroy.
#[test]
fn metric_math_and_anomaly_band_alarms_apply_update_import_and_destroy() {
    let moto = Moto::start();
    let w = Workdir::new();
    let config = |band: &str| {
        format!(
            r#"{provider}
resource "aws_cloudwatch_metric_alarm" "latency_anomaly" {{
  alarm_name          = "scorer-latency-anomaly"
  comparison_operator = "GreaterThanUpperThreshold"
  evaluation_periods  = 3
  threshold_metric_id = "band"

  metric_query {{
    id          = "band"
    expression  = "ANOMALY_DETECTION_BAND(latency, {band})"
    label       = "p99 latency (expected)"
    return_data = true
  }}

  metric_query {{
    id          = "latency"
    return_data = true
    metric {{
      namespace   = "AWS/SageMaker"
      metric_name = "ModelLatency"
      period      = 60
      stat        = "p99"
      unit        = "Microseconds"
      dimensions  = {{ EndpointName = "scorer", VariantName = "AllTraffic" }}
    }}
  }}
}}

resource "aws_cloudwatch_metric_alarm" "error_rate" {{
  alarm_name          = "scorer-error-rate"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 2
  threshold           = 1

  metric_query {{
    id          = "rate"
    expression  = "100 * errors / MAX([errors, invocations])"
    label       = "5XX per 100 invocations"
    return_data = true
  }}

  metric_query {{
    id = "errors"
    metric {{
      namespace   = "AWS/SageMaker"
      metric_name = "Invocation5XXErrors"
      period      = 60
      stat        = "Sum"
      dimensions  = {{ EndpointName = "scorer", VariantName = "AllTraffic" }}
    }}
  }}

  metric_query {{
    id = "invocations"
    metric {{
      namespace   = "AWS/SageMaker"
      metric_name = "Invocations"
      period      = 60
      stat        = "Sum"
      dimensions  = {{ EndpointName = "scorer", VariantName = "AllTraffic" }}
    }}
  }}
}}
"#,
            provider = moto.provider_block(""),
        )
    };
    w.write("main.tf", &config("2"));
    let apply = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    let cw = moto.cloudwatch();
    let live = |name: &str| {
        crate::aws::rt()
            .block_on(cw.describe_alarms().alarm_names(name).send())
            .unwrap()
            .metric_alarms()[0]
            .clone()
    };
    let band = live("scorer-latency-anomaly");
    assert_eq!(band.threshold_metric_id(), Some("band"));
    assert_eq!(band.metrics().len(), 2);

    w.write("main.tf", &config("3"));
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_cloudwatch_metric_alarm.latency_anomaly will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve", "-no-color"]);
    let expressions: Vec<String> = live("scorer-latency-anomaly")
        .metrics()
        .iter()
        .filter_map(|q| q.expression().map(str::to_string))
        .collect();
    assert_eq!(expressions, ["ANOMALY_DETECTION_BAND(latency, 3)"]);

    // Another writer narrows the error-rate alarm to one metric query: drift, put back.
    crate::aws::rt()
        .block_on(
            cw.put_metric_alarm()
                .alarm_name("scorer-error-rate")
                .comparison_operator(
                    aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
                )
                .evaluation_periods(2)
                .threshold(1.0)
                .metrics(
                    aws_sdk_cloudwatch::types::MetricDataQuery::builder()
                        .id("rate")
                        .expression("100 * errors / invocations")
                        .return_data(true)
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let drift = w.run(&["plan", "-no-color"]);
    assert!(
        drift
            .stdout
            .contains("# aws_cloudwatch_metric_alarm.error_rate will be updated in-place"),
        "{}",
        drift.stdout
    );
    w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(live("scorer-error-rate").metrics().len(), 3);

    w.ok(&["state", "rm", "aws_cloudwatch_metric_alarm.latency_anomaly"]);
    w.ok(&[
        "import",
        "aws_cloudwatch_metric_alarm.latency_anomaly",
        "scorer-latency-anomaly",
    ]);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    // One metric or metric queries, not both.
    w.write(
        "main.tf",
        &config("3").replace(
            "  threshold_metric_id = \"band\"\n",
            "  threshold_metric_id = \"band\"\n  metric_name         = \"ModelLatency\"\n",
        ),
    );
    let bad = w.run(&["plan", "-no-color"]);
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
    assert!(
        bad.stderr
            .contains("\"metric_name\" conflicts with metric_query"),
        "{}",
        bad.stderr
    );
    w.write("main.tf", &config("3"));
    w.ok(&["destroy", "-auto-approve", "-no-color"]);
    let alarms = crate::aws::rt()
        .block_on(cw.describe_alarms().send())
        .unwrap();
    assert!(alarms.metric_alarms().is_empty());
}

/// Model Monitor on an endpoint's captured data: a data quality job definition (replaced
/// when anything but tags changes) and the schedule that runs it (updated in place):
/// create, re-plan clean, update, drift, import, destroy.
#[test]
fn model_monitor_job_definition_and_schedule_apply_update_import_and_destroy() {
    let moto = Moto::start();
    let w = Workdir::new();
    let config = |cron: &str, instance: &str, team: &str| {
        format!(
            r#"{provider}
resource "aws_iam_role" "monitor" {{
  name = "scorer-monitor"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sagemaker.amazonaws.com" }} }}]
  }})
}}

resource "aws_sagemaker_data_quality_job_definition" "scorer" {{
  name     = "scorer-data-quality"
  role_arn = aws_iam_role.monitor.arn

  data_quality_app_specification {{
    image_uri   = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
    environment = {{ dataset_format = "{{\"json\": {{\"lines\": true}}}}" }}
  }}

  data_quality_baseline_config {{
    constraints_resource {{
      s3_uri = "s3://scorer-monitoring/baseline/constraints.json"
    }}
    statistics_resource {{
      s3_uri = "s3://scorer-monitoring/baseline/statistics.json"
    }}
  }}

  data_quality_job_input {{
    endpoint_input {{
      endpoint_name = "scorer"
    }}
  }}

  data_quality_job_output_config {{
    monitoring_outputs {{
      s3_output {{
        s3_uri = "s3://scorer-monitoring/reports"
      }}
    }}
  }}

  job_resources {{
    cluster_config {{
      instance_count    = 1
      instance_type     = "{instance}"
      volume_size_in_gb = 20
    }}
  }}

  stopping_condition {{
    max_runtime_in_seconds = 1800
  }}

  tags = {{ team = "{team}" }}
}}

resource "aws_sagemaker_monitoring_schedule" "scorer" {{
  name = "scorer-hourly"

  monitoring_schedule_config {{
    monitoring_job_definition_name = aws_sagemaker_data_quality_job_definition.scorer.name
    monitoring_type                = "DataQuality"
    schedule_config {{
      schedule_expression = "{cron}"
    }}
  }}

  tags = {{ team = "{team}" }}
}}

output "local_path" {{
  value = aws_sagemaker_data_quality_job_definition.scorer.data_quality_job_input[0].endpoint_input[0].local_path
}}
"#,
            provider = moto.provider_block(""),
        )
    };
    let hourly = "cron(0 * ? * * *)";
    let daily = "cron(0 0 ? * * *)";
    w.write("main.tf", &config(hourly, "ml.m5.large", "ml"));
    let apply = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    assert_eq!(
        w.ok(&["output", "-raw", "local_path"]).stdout,
        "/opt/ml/processing/input"
    );
    let sm = moto.sagemaker();
    let rt = crate::aws::rt();
    let schedule = || {
        rt.block_on(
            sm.describe_monitoring_schedule()
                .monitoring_schedule_name("scorer-hourly")
                .send(),
        )
    };
    let live = schedule().unwrap();
    assert_eq!(
        live.monitoring_schedule_config()
            .and_then(|c| c.schedule_config())
            .and_then(|s| s.schedule_expression()),
        Some(hourly)
    );

    // A new schedule and tags update in place; a new instance type replaces the definition
    // (no API changes one), and the schedule follows it.
    w.write("main.tf", &config(daily, "ml.m5.large", "ml-platform"));
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 2 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(
        schedule()
            .unwrap()
            .monitoring_schedule_config()
            .and_then(|c| c.schedule_config())
            .and_then(|s| s.schedule_expression())
            .map(str::to_string),
        Some(daily.to_string())
    );
    w.write("main.tf", &config(daily, "ml.m5.xlarge", "ml-platform"));
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_sagemaker_data_quality_job_definition.scorer must be replaced"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve", "-no-color"]);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    // Someone else points the schedule at another cron: drift, put back.
    rt.block_on(
        sm.update_monitoring_schedule()
            .monitoring_schedule_name("scorer-hourly")
            .monitoring_schedule_config(
                aws_sdk_sagemaker::types::MonitoringScheduleConfig::builder()
                    .monitoring_job_definition_name("scorer-data-quality")
                    .monitoring_type(aws_sdk_sagemaker::types::MonitoringType::DataQuality)
                    .schedule_config(
                        aws_sdk_sagemaker::types::ScheduleConfig::builder()
                            .schedule_expression(hourly)
                            .build(),
                    )
                    .build(),
            )
            .send(),
    )
    .unwrap();
    let drift = w.run(&["plan", "-no-color"]);
    assert!(
        drift
            .stdout
            .contains("# aws_sagemaker_monitoring_schedule.scorer will be updated in-place"),
        "{}",
        drift.stdout
    );
    w.ok(&["apply", "-auto-approve", "-no-color"]);

    for (addr, id) in [
        ("aws_sagemaker_monitoring_schedule.scorer", "scorer-hourly"),
        (
            "aws_sagemaker_data_quality_job_definition.scorer",
            "scorer-data-quality",
        ),
    ] {
        w.ok(&["state", "rm", addr]);
        w.ok(&["import", addr, id]);
    }
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    // A schedule that is not a cron expression is refused at plan, with the rule.
    w.write(
        "main.tf",
        &config("rate(1 hour)", "ml.m5.xlarge", "ml-platform"),
    );
    let bad = w.run(&["plan", "-no-color"]);
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
    assert!(
        bad.stderr
            .contains("schedule_expression \"rate(1 hour)\" must be a"),
        "{}",
        bad.stderr
    );
    w.write("main.tf", &config(daily, "ml.m5.xlarge", "ml-platform"));
    w.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(schedule().is_err());
    assert!(rt
        .block_on(
            sm.describe_data_quality_job_definition()
                .job_definition_name("scorer-data-quality")
                .send()
        )
        .is_err());
}
