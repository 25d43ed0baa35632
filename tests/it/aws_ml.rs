//! The ML side of the AWS provider against the local AWS emulator: bucket lifecycle rules,
//! training runs, autoscaling and alarms. Each resource type goes through create, no-op,
//! update in place, replace, import into an empty state, drift made with the SDK, destroy.

use crate::aws::{counts, rt, Moto};
use crate::support::Workdir;

fn lifecycle_config(moto: &Moto, bucket: &str, days: u32) -> String {
    format!(
        r#"{provider}
resource "aws_s3_bucket" "data" {{
  bucket        = "{bucket}"
  force_destroy = true
}}

resource "aws_s3_bucket_lifecycle_configuration" "data" {{
  bucket = aws_s3_bucket.data.id

  rule {{
    id     = "expire-scratch"
    status = "Enabled"
    filter {{
      prefix = "scratch/"
    }}
    expiration {{
      days = {days}
    }}
  }}

  rule {{
    id     = "cold-checkpoints"
    status = "Enabled"
    filter {{
      and {{
        prefix = "checkpoints/"
        tags   = {{ keep = "false" }}
      }}
    }}
    transition {{
      days          = 30
      storage_class = "STANDARD_IA"
    }}
    transition {{
      days          = 90
      storage_class = "GLACIER"
    }}
    abort_incomplete_multipart_upload {{
      days_after_initiation = 7
    }}
  }}
}}
"#,
        provider = moto.provider_block("")
    )
}

/// Nested blocks print as Terraform prints them: attributes first, then each block as
/// `+ rule {`, nested to any depth, null attributes and empty blocks left out.
#[test]
fn nested_blocks_print_as_blocks() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &lifecycle_config(&moto, "nested-blocks", 7));
    let r = w.ok(&["plan", "-no-color"]);
    insta::assert_snapshot!(
        "nested_blocks_create_plan",
        crate::support::normalize(&r.stdout)
    );
}

#[test]
fn bucket_lifecycle_rules_update_in_place_and_show_drift() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &lifecycle_config(&moto, "lake", 7));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(r.stdout.contains("2 added"), "{}", r.stdout);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    let s3 = moto.s3();
    let live = rt()
        .block_on(
            s3.get_bucket_lifecycle_configuration()
                .bucket("lake")
                .send(),
        )
        .unwrap();
    assert_eq!(live.rules().len(), 2);
    assert_eq!(live.rules()[0].expiration().unwrap().days(), Some(7));

    // A changed rule is an update in place.
    w.write("main.tf", &lifecycle_config(&moto, "lake", 14));
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );

    // Changed outside mlform: one rule only, expiring after a day.
    let rule = aws_sdk_s3::types::LifecycleRule::builder()
        .id("expire-scratch")
        .status(aws_sdk_s3::types::ExpirationStatus::Enabled)
        .filter(
            aws_sdk_s3::types::LifecycleRuleFilter::builder()
                .prefix("scratch/")
                .build(),
        )
        .expiration(
            aws_sdk_s3::types::LifecycleExpiration::builder()
                .days(1)
                .build(),
        )
        .build()
        .unwrap();
    rt().block_on(
        s3.put_bucket_lifecycle_configuration()
            .bucket("lake")
            .lifecycle_configuration(
                aws_sdk_s3::types::BucketLifecycleConfiguration::builder()
                    .rules(rule)
                    .build()
                    .unwrap(),
            )
            .send(),
    )
    .unwrap();
    let r = w.run(&["plan", "-refresh-only", "-no-color"]);
    assert!(
        r.stdout
            .contains("aws_s3_bucket_lifecycle_configuration.data has changed"),
        "{}",
        r.stdout
    );
    let r = w.run(&["plan", "-no-color"]);
    assert_eq!(counts(&r.stdout), (0, 1, 0), "{}", r.stdout);
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    // Import into an empty state reads the same rules back: no changes.
    w.ok(&["state", "rm", "aws_s3_bucket_lifecycle_configuration.data"]);
    w.ok(&[
        "import",
        "aws_s3_bucket_lifecycle_configuration.data",
        "lake",
    ]);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // Another bucket replaces the rules.
    w.write("main.tf", &lifecycle_config(&moto, "lake2", 14));
    let r = w.run(&["plan", "-no-color"]);
    assert!(
        r.stdout
            .contains("aws_s3_bucket_lifecycle_configuration.data must be replaced"),
        "{}",
        r.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    w.ok(&["destroy", "-auto-approve"]);
    assert!(w.addresses().is_empty());
    assert!(rt()
        .block_on(s3.head_bucket().bucket("lake2").send())
        .is_err());
}

fn training_config(moto: &Moto, epochs: u32, name: &str, team: &str) -> String {
    format!(
        r#"{provider}
resource "aws_iam_role" "training" {{
  name = "training"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sagemaker.amazonaws.com" }} }}]
  }})
}}

resource "aws_sagemaker_training_job" "scorer" {{
  {name}
  role_arn = aws_iam_role.training.arn

  algorithm_specification {{
    training_image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
  }}

  input_data_config {{
    channel_name = "train"
    content_type = "text/csv"
    s3_data_source {{
      s3_uri = "s3://lake/train/"
    }}
  }}

  output_data_config {{
    s3_output_path = "s3://lake/models/"
  }}

  resource_config {{
    instance_type = "ml.m5.xlarge"
  }}

  hyperparameters = {{
    num_round = "{epochs}"
    objective = "binary:logistic"
  }}

  tags = {{
    team = "{team}"
  }}
}}

output "model_artifacts" {{
  value = aws_sagemaker_training_job.scorer.model_artifacts
}}
"#,
        provider = moto.provider_block("")
    )
}

#[test]
fn training_job_is_a_run_replaced_when_an_input_changes() {
    let moto = Moto::start();
    let w = Workdir::new();
    let prefix = "name_prefix = \"scorer-\"";
    w.write("main.tf", &training_config(&moto, 10, prefix, "ml"));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(r.stdout.contains("2 added"), "{}", r.stdout);
    let first = w.ok(&["output", "-raw", "model_artifacts"]).stdout;
    assert!(
        first.starts_with("s3://lake/models/scorer-") && first.ends_with("/output/model.tar.gz"),
        "{first}"
    );
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // A tag is not an input of the run: updated in place.
    w.write("main.tf", &training_config(&moto, 10, prefix, "research"));
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );

    // Drift: a tag changed with the SDK.
    let sm = moto.sagemaker();
    let arn = rt()
        .block_on(
            sm.describe_training_job()
                .training_job_name(first.split('/').nth(4).unwrap())
                .send(),
        )
        .unwrap()
        .training_job_arn()
        .unwrap()
        .to_string();
    rt().block_on(
        sm.add_tags()
            .resource_arn(&arn)
            .tags(
                aws_sdk_sagemaker::types::Tag::builder()
                    .key("team")
                    .value("rogue")
                    .build(),
            )
            .send(),
    )
    .unwrap();
    let r = w.run(&["plan", "-refresh-only", "-no-color"]);
    assert!(
        r.stdout
            .contains("aws_sagemaker_training_job.scorer has changed"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\"rogue\""), "{}", r.stdout);
    w.ok(&["apply", "-auto-approve"]);

    // Import into an empty state: no changes.
    let name = first.split('/').nth(4).unwrap().to_string();
    w.ok(&["state", "rm", "aws_sagemaker_training_job.scorer"]);
    w.ok(&["import", "aws_sagemaker_training_job.scorer", &name]);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // A changed hyperparameter is a new run, and the plan says why.
    w.write("main.tf", &training_config(&moto, 20, prefix, "research"));
    let r = w.run(&["plan", "-no-color"]);
    assert!(
        r.stdout
            .contains("aws_sagemaker_training_job.scorer must be replaced"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("a new training run: training input `hyperparameters` changed"),
        "{}",
        r.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    let second = w.ok(&["output", "-raw", "model_artifacts"]).stdout;
    assert_ne!(first, second);
    assert!(
        rt().block_on(sm.describe_training_job().training_job_name(&name).send())
            .is_err(),
        "the replaced run's record is deleted"
    );

    // A fixed name cannot be reused for a new run: a clear plan error.
    w.write(
        "main.tf",
        &training_config(&moto, 30, "name = \"scorer-fixed\"", "research"),
    );
    w.ok(&["apply", "-auto-approve"]);
    w.write(
        "main.tf",
        &training_config(&moto, 40, "name = \"scorer-fixed\"", "research"),
    );
    let r = w.run(&["plan", "-no-color"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("use name_prefix"), "{}", r.stderr);

    w.ok(&["destroy", "-auto-approve"]);
    assert!(w.addresses().is_empty());
    let left = rt()
        .block_on(sm.list_training_jobs().send())
        .unwrap()
        .training_job_summaries()
        .len();
    assert_eq!(left, 0);
}

fn scaling_config(moto: &Moto, max: u32, target: u32, threshold: u32, policy: &str) -> String {
    format!(
        r#"{serving}
resource "aws_appautoscaling_target" "scorer" {{
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${{aws_sagemaker_endpoint.scorer.name}}/variant/variant-1"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = 1
  max_capacity       = {max}
  tags = {{
    team = "ml"
  }}
}}

resource "aws_appautoscaling_policy" "scorer" {{
  name               = "{policy}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.scorer.service_namespace
  resource_id        = aws_appautoscaling_target.scorer.resource_id
  scalable_dimension = aws_appautoscaling_target.scorer.scalable_dimension

  target_tracking_scaling_policy_configuration {{
    target_value       = {target}
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {{
      predefined_metric_type = "SageMakerVariantInvocationsPerInstance"
    }}
  }}
}}

resource "aws_cloudwatch_metric_alarm" "latency" {{
  alarm_name          = "scorer-latency"
  alarm_description   = "p99 model latency above budget"
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = {threshold}
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  dimensions = {{
    EndpointName = aws_sagemaker_endpoint.scorer.name
    VariantName  = "variant-1"
  }}
  tags = {{
    team = "ml"
  }}
}}
"#,
        serving = crate::aws::serving(moto, "scorer/v1/model.onnx")
    )
}

#[test]
fn autoscaling_and_alarms_update_in_place_import_and_show_drift() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write(
        "main.tf",
        &scaling_config(&moto, 4, 100, 500, "invocations"),
    );
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(r.stdout.contains("9 added"), "{}", r.stdout);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    let aas = moto.autoscaling();
    let targets = rt()
        .block_on(
            aas.describe_scalable_targets()
                .service_namespace(
                    aws_sdk_applicationautoscaling::types::ServiceNamespace::Sagemaker,
                )
                .send(),
        )
        .unwrap();
    assert_eq!(targets.scalable_targets()[0].max_capacity(), 4);
    let cw = moto.cloudwatch();
    let alarms = rt()
        .block_on(cw.describe_alarms().alarm_names("scorer-latency").send())
        .unwrap();
    assert_eq!(alarms.metric_alarms()[0].extended_statistic(), Some("p99"));

    // Capacity, target value and threshold change in place.
    w.write(
        "main.tf",
        &scaling_config(&moto, 8, 200, 300, "invocations"),
    );
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(
        r.stdout.contains("0 added, 3 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // Drift made with the SDK: capacity and threshold.
    rt().block_on(
        aas.register_scalable_target()
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Sagemaker)
            .resource_id("endpoint/scorer/variant/variant-1")
            .scalable_dimension(
                aws_sdk_applicationautoscaling::types::ScalableDimension::SageMakerVariantDesiredInstanceCount,
            )
            .min_capacity(1)
            .max_capacity(2)
            .send(),
    )
    .unwrap();
    rt().block_on(
        cw.put_metric_alarm()
            .alarm_name("scorer-latency")
            .alarm_description("p99 model latency above budget")
            .namespace("AWS/SageMaker")
            .metric_name("ModelLatency")
            .extended_statistic("p99")
            .period(60)
            .evaluation_periods(3)
            .datapoints_to_alarm(2)
            .threshold(9000.0)
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
            )
            .treat_missing_data("notBreaching")
            .dimensions(
                aws_sdk_cloudwatch::types::Dimension::builder()
                    .name("EndpointName")
                    .value("scorer")
                    .build(),
            )
            .dimensions(
                aws_sdk_cloudwatch::types::Dimension::builder()
                    .name("VariantName")
                    .value("variant-1")
                    .build(),
            )
            .send(),
    )
    .unwrap();
    let r = w.run(&["plan", "-refresh-only", "-no-color"]);
    for changed in [
        "aws_appautoscaling_target.scorer has changed",
        "aws_cloudwatch_metric_alarm.latency has changed",
    ] {
        assert!(r.stdout.contains(changed), "{changed}:\n{}", r.stdout);
    }
    let r = w.run(&["plan", "-no-color"]);
    assert_eq!(counts(&r.stdout), (0, 2, 0), "{}", r.stdout);
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    // Import each into an empty state: no changes.
    let dimension = "sagemaker:variant:DesiredInstanceCount";
    for (address, id) in [
        (
            "aws_appautoscaling_target.scorer",
            format!("sagemaker/endpoint/scorer/variant/variant-1/{dimension}"),
        ),
        (
            "aws_appautoscaling_policy.scorer",
            format!("sagemaker/endpoint/scorer/variant/variant-1/{dimension}/invocations"),
        ),
        (
            "aws_cloudwatch_metric_alarm.latency",
            "scorer-latency".into(),
        ),
    ] {
        w.ok(&["state", "rm", address]);
        w.ok(&["import", address, &id]);
    }
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // A new policy name replaces the policy.
    w.write(
        "main.tf",
        &scaling_config(&moto, 8, 200, 300, "invocations-v2"),
    );
    let r = w.run(&["plan", "-no-color"]);
    assert!(
        r.stdout
            .contains("aws_appautoscaling_policy.scorer must be replaced"),
        "{}",
        r.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    let policies = rt()
        .block_on(
            aas.describe_scaling_policies()
                .service_namespace(
                    aws_sdk_applicationautoscaling::types::ServiceNamespace::Sagemaker,
                )
                .send(),
        )
        .unwrap();
    let names: Vec<&str> = policies
        .scaling_policies()
        .iter()
        .map(|p| p.policy_name())
        .collect();
    assert_eq!(names, vec!["invocations-v2"]);

    w.ok(&["destroy", "-auto-approve"]);
    assert!(w.addresses().is_empty());
    let alarms = rt().block_on(cw.describe_alarms().send()).unwrap();
    assert!(alarms.metric_alarms().is_empty());
    let targets = rt()
        .block_on(
            aas.describe_scalable_targets()
                .service_namespace(
                    aws_sdk_applicationautoscaling::types::ServiceNamespace::Sagemaker,
                )
                .send(),
        )
        .unwrap();
    assert!(targets.scalable_targets().is_empty());
}

/// The `examples/sagemaker-endpoint` platform end to end: apply, re-plan clean, a new model
/// file rolls out (object update, new model, new endpoint configuration, endpoint switch, in
/// that order), destroy leaves nothing.
#[test]
fn sagemaker_endpoint_example_rolls_out_a_new_model_file() {
    let moto = Moto::start();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let w = Workdir::new();
    crate::support::copy_dir(&root.join("examples/sagemaker-endpoint"), w.path());
    let endpoint = format!("aws_endpoint={}", moto.url);
    let with_var = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        v.extend(["-var".to_string(), endpoint.clone()]);
        v
    };
    let run = |args: &[&str]| {
        let v = with_var(args);
        w.run(&v.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let r = run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("17 added"), "{}", r.stdout);
    let r = run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // A retrained model file: new bytes (a doc_string, field 6 of ModelProto, appended),
    // the same inputs and outputs.
    let model = w.path().join("model/model.onnx");
    let mut bytes = std::fs::read(&model).unwrap();
    bytes.extend_from_slice(b"\x32\x09retrained");
    std::fs::write(&model, bytes).unwrap();
    let r = run(&["plan", "-no-color", "-out=rollout.plan"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let plan = r
        .stdout
        .lines()
        .filter(|l| {
            !l.contains("Refreshing state...")
                && !l.contains(": Reading...")
                && !l.contains(": Read complete after")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let generated = regex::Regex::new(r"scorer-\d{26}").unwrap();
    let plan = generated.replace_all(&plan, "scorer-<generated>");
    insta::assert_snapshot!(
        "sagemaker_endpoint_model_rollout_plan",
        crate::support::normalize(&plan)
    );
    let order: Vec<usize> = [
        "1. ~   aws_s3_object.model",
        "2. +/- aws_sagemaker_model.scorer",
        "3. +/- aws_sagemaker_endpoint_configuration.scorer",
        "4. ~   aws_sagemaker_endpoint.scorer",
    ]
    .iter()
    .map(|s| plan.find(s).unwrap_or_else(|| panic!("{s} missing")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]));

    // The pull-request comment a reviewer reads for this rollout.
    let md = w.ok(&["show", "-markdown", "rollout.plan"]);
    insta::assert_snapshot!(
        "sagemaker_endpoint_model_rollout_markdown",
        crate::support::normalize(&generated.replace_all(&md.stdout, "scorer-<generated>"))
    );

    // Applying the saved plan rolls out in that order.
    let r = w.run(&["apply", "-no-color", "rollout.plan"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let pos = |s: &str| {
        r.stdout
            .find(s)
            .unwrap_or_else(|| panic!("{s} missing:\n{}", r.stdout))
    };
    assert!(
        pos("aws_s3_object.model: Modifications complete")
            < pos("aws_sagemaker_model.scorer: Creation complete")
    );
    assert!(
        pos("aws_sagemaker_model.scorer: Creation complete")
            < pos("aws_sagemaker_endpoint_configuration.scorer: Creation complete")
    );
    assert!(
        pos("aws_sagemaker_endpoint_configuration.scorer: Creation complete")
            < pos("aws_sagemaker_endpoint.scorer: Modifications complete")
    );
    let sm = moto.sagemaker();
    let live = rt()
        .block_on(
            sm.describe_endpoint()
                .endpoint_name("scorer-endpoint")
                .send(),
        )
        .unwrap();
    let config = w.ok(&[
        "state",
        "show",
        "aws_sagemaker_endpoint_configuration.scorer",
    ]);
    assert!(config.stdout.contains(live.endpoint_config_name().unwrap()));
    let r = run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // A model with other inputs: the plan shows the signature change, checks flag it.
    std::fs::copy(root.join("tests/models/dir/adder.onnx"), &model).unwrap();
    let r = run(&["plan", "-no-color", "-out=breaking.plan"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let section = r
        .stdout
        .split("Model signature changes")
        .nth(1)
        .and_then(|s| s.split("\n\n").next())
        .unwrap_or_else(|| panic!("no model signature section:\n{}", r.stdout));
    insta::assert_snapshot!(
        "sagemaker_endpoint_breaking_model_plan",
        format!("Model signature changes{section}")
    );
    let check = w.run(&["check", "breaking.plan"]);
    assert_ne!(check.code, 0, "{}", check.stdout);
    assert!(check.stdout.contains("MLF304"), "{}", check.stdout);
    assert!(
        check.stdout.contains("input \"features\""),
        "{}",
        check.stdout
    );
    let sarif = w.run(&["check", "-format=sarif", "breaking.plan"]);
    assert!(
        sarif.stdout.contains("\"ruleId\": \"MLF304\""),
        "{}",
        sarif.stdout
    );
    let md = w.ok(&["show", "-markdown", "breaking.plan"]);
    let mut lines = md
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("**Model signature changes**"));
    let mut section: Vec<&str> = lines.next().into_iter().collect();
    section.extend(lines.skip(1).take_while(|l| l.starts_with("- ")));
    insta::assert_snapshot!(
        "sagemaker_endpoint_breaking_model_markdown",
        section.join("\n")
    );
    let json = w.ok(&["show", "-json", "breaking.plan"]);
    let j: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let changes = &j["model_changes"][0];
    assert_eq!(changes["address"], "aws_s3_object.model");
    assert_eq!(changes["changes"][0]["name"], "features");
    assert!(changes["changes"][0]["after"].is_null());

    let r = run(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(w.addresses().is_empty());
    let models = rt().block_on(sm.list_models().send()).unwrap();
    assert!(models.models().is_empty());
    let configs = rt().block_on(sm.list_endpoint_configs().send()).unwrap();
    assert!(configs.endpoint_configs().is_empty());
}

fn governance_config(moto: &Moto) -> String {
    format!(
        r#"{provider}
resource "aws_s3_bucket" "raw" {{
  bucket        = "raw-events"
  force_destroy = true
}}

# Public website assets, reviewed with security.
# mlform:ignore MLF102 public marketing assets, approved in SEC-42
resource "aws_s3_bucket" "site" {{
  bucket        = "site-assets"
  force_destroy = true
}}

resource "aws_iam_role" "pipeline" {{
  name = "pipeline"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sagemaker.amazonaws.com" }} }}]
  }})
}}

resource "aws_iam_role_policy" "pipeline" {{
  name = "pipeline"
  role = aws_iam_role.pipeline.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{ Effect = "Allow", Action = "s3:*", Resource = "*" }},
      {{ Effect = "Allow", Action = "iam:PassRole", Resource = "*" }},
    ]
  }})
}}
"#,
        provider = moto.provider_block("")
    )
}

/// Policy checks and the pull-request comment on AWS resources: findings as text, JSON and
/// SARIF 2.1.0, a suppression with its reason, the severity threshold, and IAM changes shown
/// as permissions gained and lost.
#[test]
fn checks_and_markdown_review_an_aws_plan() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &governance_config(&moto));
    let r = w.run(&["plan", "-no-color", "-out=review.plan"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Error: [MLF201]"), "{}", r.stdout);

    let text = w.run(&["check", "-no-color", "review.plan"]);
    assert_eq!(text.code, 2, "{}{}", text.stdout, text.stderr);
    insta::assert_snapshot!("governance_check_text", text.stdout);
    let sarif = w.run(&["check", "-format=sarif", "review.plan"]);
    assert_eq!(sarif.code, 2);
    let sarif_json: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let version = sarif_json["runs"][0]["tool"]["driver"]["version"].clone();
    insta::assert_snapshot!(
        "governance_check_sarif",
        sarif.stdout.replace(version.as_str().unwrap(), "<version>")
    );
    let results = sarif_json["runs"][0]["results"].as_array().unwrap();
    let suppressed: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["ruleId"], "MLF102");
    assert_eq!(
        suppressed[0]["suppressions"][0]["justification"],
        "public marketing assets, approved in SEC-42"
    );
    let json = w.run(&[
        "check",
        "-format=json",
        "-severity-threshold=error",
        "review.plan",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule_id"] == "MLF203" && f["location"]["line"].is_number()));

    let md = w.ok(&["show", "-markdown", "review.plan"]);
    insta::assert_snapshot!("governance_markdown_create", md.stdout);
    w.ok(&["apply", "-auto-approve", "review.plan"]);

    // Narrowing the policy: the comment lists the permissions lost and gained.
    let narrowed = governance_config(&moto).replace(
        r#"{ Effect = "Allow", Action = "s3:*", Resource = "*" },
      { Effect = "Allow", Action = "iam:PassRole", Resource = "*" },"#,
        r#"{ Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::raw-events/*" },
      { Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::raw-events" },"#,
    );
    assert_ne!(narrowed, governance_config(&moto));
    let narrowed = format!("{narrowed}\nresource \"aws_s3_bucket_public_access_block\" \"raw\" {{\n  bucket                  = aws_s3_bucket.raw.id\n  block_public_acls       = true\n  block_public_policy     = true\n  ignore_public_acls      = true\n  restrict_public_buckets = true\n}}\n");
    w.write("main.tf", &narrowed);
    let r = w.run(&["plan", "-no-color", "-out=narrow.plan"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let md = w.ok(&["show", "-markdown", "narrow.plan"]);
    assert!(md.stdout.contains("- ➖ `s3:* on *`"), "{}", md.stdout);
    assert!(
        md.stdout
            .contains("- ➕ `s3:GetObject on arn:aws:s3:::raw-events/*`"),
        "{}",
        md.stdout
    );
    insta::assert_snapshot!("governance_markdown_narrowing", md.stdout);
    let r = w.run(&["check", "narrow.plan", "-severity-threshold=error"]);
    assert_eq!(r.code, 0, "only warnings left: {}", r.stdout);
    let r = w.run(&["check", "narrow.plan", "-severity-threshold=warning"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    w.ok(&["destroy", "-auto-approve"]);
}
