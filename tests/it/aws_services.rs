//! Bucket settings that public S3 modules manage (ownership controls, ACLs, acceleration,
//! request payment, CORS, logging, website, object lock), SNS topics and ECR repositories,
//! against the local AWS emulator: apply, a clean re-plan, in-place changes, import, destroy.

use crate::aws::{rt, Moto};
use crate::support::Workdir;

fn bucket_extras(moto: &Moto, max_age: u32, payer: &str) -> String {
    format!(
        r#"{provider}
resource "aws_s3_bucket" "site" {{
  bucket = "ml-docs-site"
}}

resource "aws_s3_bucket" "logs" {{
  bucket        = "ml-docs-logs"
  force_destroy = true
}}

# Log delivery writes with the logging service principal, as AWS recommends.
resource "aws_s3_bucket_policy" "logs" {{
  bucket = aws_s3_bucket.logs.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Service = "logging.s3.amazonaws.com" }}
      Action    = "s3:PutObject"
      Resource  = "${{aws_s3_bucket.logs.arn}}/*"
    }}]
  }})
}}

resource "aws_s3_bucket_ownership_controls" "site" {{
  bucket = aws_s3_bucket.site.id
  rule {{
    object_ownership = "BucketOwnerEnforced"
  }}
}}

resource "aws_s3_bucket_accelerate_configuration" "site" {{
  bucket = aws_s3_bucket.site.id
  status = "Enabled"
}}

resource "aws_s3_bucket_request_payment_configuration" "site" {{
  bucket = aws_s3_bucket.site.id
  payer  = "{payer}"
}}

resource "aws_s3_bucket_cors_configuration" "site" {{
  bucket = aws_s3_bucket.site.id
  cors_rule {{
    allowed_methods = ["GET", "HEAD"]
    allowed_origins = ["https://docs.example.com"]
    allowed_headers = ["*"]
    max_age_seconds = {max_age}
  }}
}}

resource "aws_s3_bucket_logging" "site" {{
  bucket        = aws_s3_bucket.site.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "access/"
  depends_on    = [aws_s3_bucket_policy.logs]
}}

resource "aws_s3_bucket_website_configuration" "site" {{
  bucket = aws_s3_bucket.site.id
  index_document {{
    suffix = "index.html"
  }}
  error_document {{
    key = "404.html"
  }}
}}

output "endpoint" {{
  value = aws_s3_bucket_website_configuration.site.website_endpoint
}}
"#,
        provider = moto.provider_block("")
    )
}

#[test]
fn bucket_sub_resources_of_public_modules_apply_replan_and_destroy() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &bucket_extras(&moto, 3000, "Requester"));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(r.stdout.contains("9 added"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("endpoint = \"ml-docs-site.s3-website-us-east-1.amazonaws.com\""),
        "{}",
        r.stdout
    );
    let s3 = moto.s3();
    let rt = rt();
    let cors = rt
        .block_on(s3.get_bucket_cors().bucket("ml-docs-site").send())
        .unwrap();
    assert_eq!(cors.cors_rules()[0].max_age_seconds(), Some(3000));
    let payer = rt
        .block_on(
            s3.get_bucket_request_payment()
                .bucket("ml-docs-site")
                .send(),
        )
        .unwrap();
    assert_eq!(payer.payer().map(|p| p.as_str()), Some("Requester"));
    let logging = rt
        .block_on(s3.get_bucket_logging().bucket("ml-docs-site").send())
        .unwrap();
    assert_eq!(
        logging.logging_enabled().map(|l| l.target_prefix()),
        Some("access/")
    );
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Changes apply in place.
    w.write("main.tf", &bucket_extras(&moto, 600, "BucketOwner"));
    let r = w.run(&["plan", "-no-color"]);
    assert!(
        r.stdout.contains("2 to change, 0 to destroy"),
        "{}",
        r.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    let cors = rt
        .block_on(s3.get_bucket_cors().bucket("ml-docs-site").send())
        .unwrap();
    assert_eq!(cors.cors_rules()[0].max_age_seconds(), Some(600));
    // Import by bucket name reads back what is there.
    let other = Workdir::new();
    other.write(
        "main.tf",
        &format!(
            "{}resource \"aws_s3_bucket_cors_configuration\" \"adopted\" {{\n  bucket = \"ml-docs-site\"\n  cors_rule {{\n    allowed_methods = [\"GET\", \"HEAD\"]\n    allowed_origins = [\"https://docs.example.com\"]\n    allowed_headers = [\"*\"]\n    max_age_seconds = 600\n  }}\n}}\n",
            moto.provider_block("")
        ),
    );
    other.ok(&[
        "import",
        "aws_s3_bucket_cors_configuration.adopted",
        "ml-docs-site",
    ]);
    let r = other.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.ok(&["destroy", "-auto-approve"]);
}

#[test]
fn object_lock_retention_on_a_versioned_bucket() {
    let moto = Moto::start();
    let w = Workdir::new();
    let config = |days: u32| {
        format!(
            r#"{provider}
resource "aws_s3_bucket" "audit" {{
  bucket = "ml-audit-trail"
}}

resource "aws_s3_bucket_versioning" "audit" {{
  bucket = aws_s3_bucket.audit.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_s3_bucket_object_lock_configuration" "audit" {{
  bucket = aws_s3_bucket_versioning.audit.id
  rule {{
    default_retention {{
      mode = "GOVERNANCE"
      days = {days}
    }}
  }}
}}

data "aws_canonical_user_id" "me" {{}}

output "owner" {{
  value = length(data.aws_canonical_user_id.me.id) > 0
}}
"#,
            provider = moto.provider_block("")
        )
    };
    w.write("main.tf", &config(30));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(r.stdout.contains("owner = true"), "{}", r.stdout);
    let s3 = moto.s3();
    let rt = rt();
    let lock = rt
        .block_on(
            s3.get_object_lock_configuration()
                .bucket("ml-audit-trail")
                .send(),
        )
        .unwrap();
    let retention = lock
        .object_lock_configuration()
        .and_then(|c| c.rule())
        .and_then(|r| r.default_retention())
        .cloned()
        .unwrap();
    assert_eq!(retention.days(), Some(30));
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.write("main.tf", &config(90));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(r.stdout.contains("1 changed"), "{}", r.stdout);
    let lock = rt
        .block_on(
            s3.get_object_lock_configuration()
                .bucket("ml-audit-trail")
                .send(),
        )
        .unwrap();
    assert_eq!(
        lock.object_lock_configuration()
            .and_then(|c| c.rule())
            .and_then(|r| r.default_retention())
            .and_then(|d| d.days()),
        Some(90)
    );
    w.ok(&["destroy", "-auto-approve"]);
}

#[test]
fn sns_topics_subscriptions_and_ecr_repositories() {
    let moto = Moto::start();
    let w = Workdir::new();
    let config = |display: &str, keep: u32| {
        format!(
            r#"{provider}
resource "aws_sns_topic" "alerts" {{
  name         = "ml-endpoint-alerts"
  display_name = "{display}"
  tags         = {{ team = "serving" }}
}}

resource "aws_sns_topic" "events" {{
  name                        = "training-events.fifo"
  fifo_topic                  = true
  content_based_deduplication = true
}}

resource "aws_sns_topic_subscription" "oncall" {{
  topic_arn            = aws_sns_topic.alerts.arn
  protocol             = "https"
  endpoint             = "https://oncall.example.com/hooks/sns"
  raw_message_delivery = true
}}

resource "aws_ecr_repository" "serve" {{
  name                 = "mlform-serve"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = true
  image_scanning_configuration {{
    scan_on_push = true
  }}
}}

resource "aws_ecr_lifecycle_policy" "serve" {{
  repository = aws_ecr_repository.serve.name
  policy = jsonencode({{
    rules = [{{
      rulePriority = 1
      description  = "keep the last {keep} images"
      selection    = {{ tagStatus = "any", countType = "imageCountMoreThan", countNumber = {keep} }}
      action       = {{ type = "expire" }}
    }}]
  }})
}}

output "repository_url" {{
  value = aws_ecr_repository.serve.repository_url
}}

output "topic_arn" {{
  value = aws_sns_topic.alerts.arn
}}
"#,
            provider = moto.provider_block("")
        )
    };
    w.write("main.tf", &config("ML alerts", 10));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(r.stdout.contains("5 added"), "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "repository_url = \"123456789012.dkr.ecr.us-east-1.amazonaws.com/mlform-serve\""
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("topic_arn = \"arn:aws:sns:us-east-1:123456789012:ml-endpoint-alerts\""),
        "{}",
        r.stdout
    );
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Display name and lifecycle policy change in place.
    w.write("main.tf", &config("ML endpoint alerts", 20));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(r.stdout.contains("2 changed"), "{}", r.stdout);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Import by name and by ARN, as terraform-provider-aws takes them.
    let other = Workdir::new();
    other.write(
        "main.tf",
        &format!(
            "{}resource \"aws_ecr_repository\" \"adopted\" {{\n  name                 = \"mlform-serve\"\n  image_tag_mutability = \"IMMUTABLE\"\n  image_scanning_configuration {{\n    scan_on_push = true\n  }}\n}}\n",
            moto.provider_block("")
        ),
    );
    other.ok(&["import", "aws_ecr_repository.adopted", "mlform-serve"]);
    let r = other.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.ok(&["destroy", "-auto-approve"]);
}

#[test]
fn bucket_acl_canned_then_grants() {
    let moto = Moto::start();
    let w = Workdir::new();
    let config = |acl: &str| {
        format!(
            r#"{provider}
data "aws_canonical_user_id" "me" {{}}

resource "aws_s3_bucket" "shared" {{
  bucket = "ml-shared-results"
}}

resource "aws_s3_bucket_ownership_controls" "shared" {{
  bucket = aws_s3_bucket.shared.id
  rule {{
    object_ownership = "ObjectWriter"
  }}
}}

resource "aws_s3_bucket_acl" "shared" {{
  bucket     = aws_s3_bucket_ownership_controls.shared.id
{acl}
}}
"#,
            provider = moto.provider_block("")
        )
    };
    let canned = "  acl = \"private\"";
    let grants = r#"  access_control_policy {
    grant {
      grantee {
        type = "CanonicalUser"
        id   = data.aws_canonical_user_id.me.id
      }
      permission = "FULL_CONTROL"
    }
    grant {
      grantee {
        type = "Group"
        uri  = "http://acs.amazonaws.com/groups/s3/LogDelivery"
      }
      permission = "READ_ACP"
    }
    owner {
      id = data.aws_canonical_user_id.me.id
    }
  }"#;
    w.write("main.tf", &config(canned));
    w.ok(&["apply", "-auto-approve"]);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.write("main.tf", &config(grants));
    w.ok(&["apply", "-auto-approve"]);
    let s3 = moto.s3();
    let acl = rt()
        .block_on(s3.get_bucket_acl().bucket("ml-shared-results").send())
        .unwrap();
    assert!(acl
        .grants()
        .iter()
        .any(|g| g.grantee().and_then(|e| e.uri())
            == Some("http://acs.amazonaws.com/groups/s3/LogDelivery")));
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Import with a canned ACL in the ID, as terraform-provider-aws takes it.
    let other = Workdir::new();
    other.write(
        "main.tf",
        &format!(
            "{}resource \"aws_s3_bucket_acl\" \"adopted\" {{\n  bucket = \"ml-shared-results\"\n  acl    = \"private\"\n}}\n",
            moto.provider_block("")
        ),
    );
    other.ok(&[
        "import",
        "aws_s3_bucket_acl.adopted",
        "ml-shared-results,private",
    ]);
    let r = other.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.ok(&["destroy", "-auto-approve"]);
}

/// A data bucket that tells a pipeline about new training data: SNS for `.parquet` drops
/// under `incoming/`, a queue for deletions, EventBridge on. Create, re-plan clean, update
/// in place, drift (another writer drops the queue), import by bucket, destroy (the
/// configuration is cleared, the bucket stays until its own destroy).
#[test]
fn bucket_notification_applies_updates_shows_drift_imports_and_destroys() {
    let moto = Moto::start();
    let w = Workdir::new();
    let config = |suffix: &str| {
        format!(
            r#"{provider}
resource "aws_s3_bucket" "data" {{
  bucket        = "training-drops"
  force_destroy = true
}}

resource "aws_sns_topic" "drops" {{
  name = "training-drops"
}}

resource "aws_s3_bucket_notification" "data" {{
  bucket      = aws_s3_bucket.data.id
  eventbridge = true

  topic {{
    topic_arn     = aws_sns_topic.drops.arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = "incoming/"
    filter_suffix = "{suffix}"
  }}

  queue {{
    id        = "deletions"
    queue_arn = "arn:aws:sqs:us-east-1:123456789012:training-deletions"
    events    = ["s3:ObjectRemoved:*"]
  }}
}}
"#,
            provider = moto.provider_block(""),
        )
    };
    w.write("main.tf", &config(".parquet"));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    let s3 = moto.s3();
    let live = || {
        rt().block_on(
            s3.get_bucket_notification_configuration()
                .bucket("training-drops")
                .send(),
        )
        .unwrap()
    };
    let n = live();
    assert_eq!(n.topic_configurations().len(), 1);
    assert_eq!(n.queue_configurations()[0].id(), Some("deletions"));
    assert!(n.event_bridge_configuration().is_some());

    w.write("main.tf", &config(".csv"));
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_s3_bucket_notification.data will be updated in-place"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    let rules: Vec<String> = live().topic_configurations()[0]
        .filter()
        .and_then(|f| f.key())
        .map(|k| k.filter_rules())
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r.value().map(str::to_string))
        .collect();
    assert!(rules.contains(&".csv".to_string()), "{rules:?}");

    // Another writer keeps only the topic: the queue is drift, and apply puts it back.
    let topic = live().topic_configurations()[0].clone();
    rt().block_on(
        s3.put_bucket_notification_configuration()
            .bucket("training-drops")
            .notification_configuration(
                aws_sdk_s3::types::NotificationConfiguration::builder()
                    .topic_configurations(topic)
                    .build(),
            )
            .send(),
    )
    .unwrap();
    let drift = w.run(&["plan", "-no-color"]);
    assert!(
        drift
            .stdout
            .contains("# aws_s3_bucket_notification.data will be updated in-place"),
        "{}",
        drift.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(live().queue_configurations().len(), 1);

    w.ok(&["state", "rm", "aws_s3_bucket_notification.data"]);
    w.ok(&[
        "import",
        "aws_s3_bucket_notification.data",
        "training-drops",
    ]);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    w.write(
        "main.tf",
        &config(".csv")
            .split("resource \"aws_s3_bucket_notification\"")
            .next()
            .unwrap()
            .to_string(),
    );
    w.ok(&["apply", "-auto-approve"]);
    let n = live();
    assert!(n.topic_configurations().is_empty() && n.queue_configurations().is_empty());
    assert!(n.event_bridge_configuration().is_none());
    w.ok(&["destroy", "-auto-approve"]);
}

/// The model registry's group: create, re-plan clean, retag in place, a new description
/// replaces it, import by name, a group deleted outside mlform is created again, destroy.
#[test]
fn model_package_group_applies_retags_imports_and_destroys() {
    let moto = Moto::start();
    let w = Workdir::new();
    let config = |description: &str, team: &str| {
        format!(
            r#"{provider}
resource "aws_sagemaker_model_package_group" "scorer" {{
  model_package_group_name        = "scorer"
  model_package_group_description = "{description}"
  tags                            = {{ team = "{team}" }}
}}

output "arn" {{
  value = aws_sagemaker_model_package_group.scorer.arn
}}
"#,
            provider = moto.provider_block(""),
        )
    };
    w.write("main.tf", &config("scoring models", "ml"));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        w.ok(&["output", "-raw", "arn"])
            .stdout
            .ends_with(":model-package-group/scorer"),
        "arn"
    );
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    w.write("main.tf", &config("scoring models", "ml-platform"));
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_sagemaker_model_package_group.scorer will be updated in-place"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    w.write("main.tf", &config("fraud scoring models", "ml-platform"));
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_sagemaker_model_package_group.scorer must be replaced"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);

    w.ok(&["state", "rm", "aws_sagemaker_model_package_group.scorer"]);
    w.ok(&[
        "import",
        "aws_sagemaker_model_package_group.scorer",
        "scorer",
    ]);
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    let sm = moto.sagemaker();
    rt().block_on(
        sm.delete_model_package_group()
            .model_package_group_name("scorer")
            .send(),
    )
    .unwrap();
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_sagemaker_model_package_group.scorer will be created"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt()
        .block_on(
            sm.describe_model_package_group()
                .model_package_group_name("scorer")
                .send()
        )
        .is_err());
}

/// A team's notebook sandbox: created and waited for until InService, resized in place
/// (stopped, updated, started again), retagged, imported by name, destroyed (stopped first).
#[test]
fn notebook_instance_applies_resizes_in_place_imports_and_destroys() {
    let moto = Moto::start();
    let w = Workdir::new();
    let config = |instance_type: &str, volume: u32| {
        format!(
            r#"{provider}
resource "aws_iam_role" "notebook" {{
  name = "sandbox-notebook"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sagemaker.amazonaws.com" }} }}]
  }})
}}

resource "aws_sagemaker_notebook_instance" "sandbox" {{
  name          = "vision-sandbox"
  role_arn      = aws_iam_role.notebook.arn
  instance_type = "{instance_type}"
  volume_size   = {volume}
  root_access   = "Disabled"
  tags          = {{ team = "vision" }}
}}
"#,
            provider = moto.provider_block(""),
        )
    };
    w.write("main.tf", &config("ml.t3.medium", 20));
    // Root is off; direct internet access is AWS's default, on: the checks say so.
    let check = w.run(&["check", "-format=json", "-severity-threshold=warning"]);
    let found = crate::support::rule_ids(&check.stdout);
    let rules: Vec<&str> = found.iter().map(String::as_str).collect();
    assert!(rules.contains(&"MLF105"), "{}", check.stdout);
    assert!(!rules.contains(&"MLF104"), "{}", check.stdout);
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    w.write("main.tf", &config("ml.t3.large", 50));
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_sagemaker_notebook_instance.sandbox will be updated in-place"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    let sm = moto.sagemaker();
    let live = rt()
        .block_on(
            sm.describe_notebook_instance()
                .notebook_instance_name("vision-sandbox")
                .send(),
        )
        .unwrap();
    assert_eq!(
        live.instance_type().map(|t| t.as_str()),
        Some("ml.t3.large")
    );
    assert_eq!(live.volume_size_in_gb(), Some(50));
    assert_eq!(
        live.notebook_instance_status().map(|s| s.as_str()),
        Some("InService")
    );
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    w.ok(&["state", "rm", "aws_sagemaker_notebook_instance.sandbox"]);
    w.ok(&[
        "import",
        "aws_sagemaker_notebook_instance.sandbox",
        "vision-sandbox",
    ]);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt()
        .block_on(
            sm.describe_notebook_instance()
                .notebook_instance_name("vision-sandbox")
                .send()
        )
        .is_err());
}

fn topic_policy_config(moto: &Moto, service: &str) -> String {
    format!(
        r#"{provider}
resource "aws_sns_topic" "drops" {{
  name = "bucket-drops"
}}

data "aws_iam_policy_document" "publish" {{
  statement {{
    sid       = "bucket-publishes"
    actions   = ["SNS:Publish"]
    resources = [aws_sns_topic.drops.arn]
    principals {{
      type        = "Service"
      identifiers = ["{service}"]
    }}
  }}
}}

resource "aws_sns_topic_policy" "drops" {{
  arn    = aws_sns_topic.drops.arn
  policy = data.aws_iam_policy_document.publish.json
}}
"#,
        provider = moto.provider_block(""),
    )
}

/// A topic's access policy managed apart from the topic: apply, a clean re-plan, a new
/// principal in place, drift, import by ARN, and destroy putting SNS's default back.
#[test]
fn sns_topic_policy_applies_updates_shows_drift_imports_and_resets_on_destroy() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &topic_policy_config(&moto, "s3.amazonaws.com"));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    let sns = moto.sns();
    let arn = "arn:aws:sns:us-east-1:123456789012:bucket-drops";
    let policy = || {
        rt().block_on(sns.get_topic_attributes().topic_arn(arn).send())
            .unwrap()
            .attributes()
            .and_then(|a| a.get("Policy").cloned())
            .unwrap_or_default()
    };
    assert!(policy().contains("s3.amazonaws.com"), "{}", policy());

    w.write(
        "main.tf",
        &topic_policy_config(&moto, "events.amazonaws.com"),
    );
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_sns_topic_policy.drops will be updated in-place"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    assert!(policy().contains("events.amazonaws.com"), "{}", policy());

    // Drift: another writer puts a policy of its own.
    rt().block_on(
        sns.set_topic_attributes()
            .topic_arn(arn)
            .attribute_name("Policy")
            .attribute_value(r#"{"Version":"2012-10-17","Statement":[]}"#)
            .send(),
    )
    .unwrap();
    let drift = w.run(&["plan", "-no-color"]);
    assert!(
        drift
            .stdout
            .contains("# aws_sns_topic_policy.drops will be updated in-place"),
        "{}",
        drift.stdout
    );
    w.ok(&["apply", "-auto-approve"]);

    w.ok(&["state", "rm", "aws_sns_topic_policy.drops"]);
    w.ok(&["import", "aws_sns_topic_policy.drops", arn]);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    // Removing the policy resource puts SNS's default policy back on the topic.
    let config = topic_policy_config(&moto, "events.amazonaws.com");
    let without = config
        .split("resource \"aws_sns_topic_policy\"")
        .next()
        .unwrap();
    w.write("main.tf", without);
    w.ok(&["apply", "-auto-approve"]);
    assert!(policy().contains("__default_policy_ID"), "{}", policy());
    w.ok(&["destroy", "-auto-approve"]);
}
