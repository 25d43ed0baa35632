//! The S3 arguments and bucket configurations that public bucket modules (the shape of
//! terraform-aws-modules/s3-bucket) use, against the local AWS emulator: request metrics,
//! intelligent tiering, storage class analysis, inventory, replication, the per-resource
//! `region` and `expected_bucket_owner`, and the newer arguments of the older bucket
//! configurations. Each goes through apply, a clean re-plan, an in-place change, drift made
//! with the AWS SDK, import and destroy.

use crate::aws::{rt, Moto};
use crate::support::{squash, Workdir};

const ACCOUNT: &str = "123456789012";

fn reports(moto: &Moto, days: u32, frequency: &str) -> String {
    format!(
        r#"{provider}
resource "aws_s3_bucket" "data" {{
  bucket        = "feature-store"
  force_destroy = true
}}

resource "aws_s3_bucket" "reports" {{
  bucket        = "feature-store-reports"
  force_destroy = true
}}

resource "aws_s3_bucket_metric" "all" {{
  bucket = aws_s3_bucket.data.id
  name   = "all"
}}

resource "aws_s3_bucket_metric" "hot" {{
  bucket = aws_s3_bucket.data.id
  name   = "hot"
  filter {{
    prefix = "features/"
    tags   = {{ tier = "hot" }}
  }}
}}

resource "aws_s3_bucket_intelligent_tiering_configuration" "archive" {{
  bucket = aws_s3_bucket.data.id
  name   = "archive"
  filter {{
    prefix = "snapshots/"
  }}
  tiering {{
    access_tier = "ARCHIVE_ACCESS"
    days        = {days}
  }}
  tiering {{
    access_tier = "DEEP_ARCHIVE_ACCESS"
    days        = 200
  }}
}}

resource "aws_s3_bucket_analytics_configuration" "features" {{
  bucket = aws_s3_bucket.data.id
  name   = "features"
  filter {{
    prefix = "features/"
  }}
  storage_class_analysis {{
    data_export {{
      destination {{
        s3_bucket_destination {{
          bucket_arn = aws_s3_bucket.reports.arn
          prefix     = "analytics/"
        }}
      }}
    }}
  }}
}}

resource "aws_s3_bucket_inventory" "daily" {{
  bucket                   = aws_s3_bucket.data.id
  name                     = "daily"
  included_object_versions = "Current"
  optional_fields          = ["Size", "StorageClass"]
  schedule {{
    frequency = "{frequency}"
  }}
  destination {{
    bucket {{
      bucket_arn = aws_s3_bucket.reports.arn
      format     = "CSV"
      prefix     = "inventory/"
      encryption {{
        sse_s3 {{}}
      }}
    }}
  }}
}}
"#,
        provider = moto.provider_block(""),
    )
}

#[test]
fn metrics_tiering_analytics_and_inventory_apply_update_drift_import_and_destroy() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &reports(&moto, 125, "Daily"));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    let s3 = moto.s3();
    let metric = rt()
        .block_on(
            s3.get_bucket_metrics_configuration()
                .bucket("feature-store")
                .id("hot")
                .send(),
        )
        .unwrap();
    // A prefix and a tag are two conditions: sent under And, as terraform-provider-aws does.
    assert!(matches!(
        metric.metrics_configuration().and_then(|c| c.filter()),
        Some(aws_sdk_s3::types::MetricsFilter::And(_))
    ));
    let inventory = || {
        rt().block_on(
            s3.get_bucket_inventory_configuration()
                .bucket("feature-store")
                .id("daily")
                .send(),
        )
        .unwrap()
        .inventory_configuration
        .unwrap()
    };
    assert_eq!(inventory().included_object_versions().as_str(), "Current");

    w.write("main.tf", &reports(&moto, 150, "Weekly"));
    let plan = w.run(&["plan", "-no-color"]);
    for updated in [
        "# aws_s3_bucket_intelligent_tiering_configuration.archive will be updated in-place",
        "# aws_s3_bucket_inventory.daily will be updated in-place",
    ] {
        assert!(plan.stdout.contains(updated), "{}", plan.stdout);
    }
    assert!(
        plan.stdout.contains("2 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(
        inventory().schedule().unwrap().frequency().as_str(),
        "Weekly"
    );

    // Drift: the metric configuration deleted by hand is planned again.
    rt().block_on(
        s3.delete_bucket_metrics_configuration()
            .bucket("feature-store")
            .id("all")
            .send(),
    )
    .unwrap();
    let drift = w.run(&["plan", "-no-color"]);
    assert!(
        drift
            .stdout
            .contains("# aws_s3_bucket_metric.all will be created"),
        "{}",
        drift.stdout
    );
    w.ok(&["apply", "-auto-approve"]);

    for (address, id) in [
        ("aws_s3_bucket_metric.hot", "feature-store:hot"),
        (
            "aws_s3_bucket_intelligent_tiering_configuration.archive",
            "feature-store:archive",
        ),
        (
            "aws_s3_bucket_analytics_configuration.features",
            "feature-store:features",
        ),
        ("aws_s3_bucket_inventory.daily", "feature-store:daily"),
    ] {
        w.ok(&["state", "rm", address]);
        let bad = w.run(&["import", address, "feature-store"]);
        assert_ne!(bad.code, 0);
        let said = squash(&bad.stderr);
        assert!(said.contains("is not BUCKET:NAME"), "{}", bad.stderr);
        w.ok(&["import", address, id]);
    }
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    w.ok(&["destroy", "-auto-approve"]);
    let gone = rt().block_on(moto.s3().head_bucket().bucket("feature-store").send());
    assert!(gone.is_err());
}

fn replication(moto: &Moto, storage_class: &str) -> String {
    format!(
        r#"{provider}
resource "aws_s3_bucket" "source" {{
  bucket        = "models-primary"
  force_destroy = true
}}

resource "aws_s3_bucket" "replica" {{
  bucket        = "models-replica"
  force_destroy = true
}}

resource "aws_s3_bucket_versioning" "source" {{
  bucket = aws_s3_bucket.source.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_s3_bucket_versioning" "replica" {{
  bucket = aws_s3_bucket.replica.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_iam_role" "replication" {{
  name = "models-replication"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = {{ Service = "s3.amazonaws.com" }}
    }}]
  }})
}}

resource "aws_s3_bucket_replication_configuration" "models" {{
  bucket = aws_s3_bucket.source.id
  role   = aws_iam_role.replication.arn

  rule {{
    id       = "released"
    priority = 10
    status   = "Enabled"
    filter {{
      and {{
        prefix = "released/"
        tags   = {{ stage = "prod" }}
      }}
    }}
    delete_marker_replication {{
      status = "Enabled"
    }}
    destination {{
      bucket        = aws_s3_bucket.replica.arn
      storage_class = "{storage_class}"
      replication_time {{
        status = "Enabled"
        time {{
          minutes = 15
        }}
      }}
      metrics {{
        status = "Enabled"
        event_threshold {{
          minutes = 15
        }}
      }}
    }}
    source_selection_criteria {{
      replica_modifications {{
        status = "Enabled"
      }}
    }}
  }}

  depends_on = [aws_s3_bucket_versioning.source, aws_s3_bucket_versioning.replica]
}}
"#,
        provider = moto.provider_block(""),
    )
}

#[test]
fn replication_configuration_applies_updates_shows_drift_imports_and_destroys() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &replication(&moto, "STANDARD_IA"));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    let s3 = moto.s3();
    let live = || {
        rt().block_on(s3.get_bucket_replication().bucket("models-primary").send())
            .unwrap()
            .replication_configuration
            .unwrap()
    };
    let rule = live().rules()[0].clone();
    assert_eq!(rule.id(), Some("released"));
    assert_eq!(
        rule.destination()
            .unwrap()
            .storage_class()
            .unwrap()
            .as_str(),
        "STANDARD_IA"
    );

    w.write("main.tf", &replication(&moto, "GLACIER_IR"));
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_s3_bucket_replication_configuration.models will be updated in-place"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(
        live().rules()[0]
            .destination()
            .unwrap()
            .storage_class()
            .unwrap()
            .as_str(),
        "GLACIER_IR"
    );

    // Drift: the configuration removed by hand is created again.
    rt().block_on(
        s3.delete_bucket_replication()
            .bucket("models-primary")
            .send(),
    )
    .unwrap();
    let drift = w.run(&["plan", "-no-color"]);
    assert!(
        drift
            .stdout
            .contains("# aws_s3_bucket_replication_configuration.models will be created"),
        "{}",
        drift.stdout
    );
    w.ok(&["apply", "-auto-approve"]);

    w.ok(&[
        "state",
        "rm",
        "aws_s3_bucket_replication_configuration.models",
    ]);
    w.ok(&[
        "import",
        "aws_s3_bucket_replication_configuration.models",
        "models-primary",
    ]);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    w.ok(&["destroy", "-auto-approve"]);
}

fn owned(moto: &Moto, index: &str, region: &str) -> String {
    format!(
        r#"{provider}
data "aws_caller_identity" "current" {{}}

data "aws_cloudfront_log_delivery_canonical_user_id" "cloudfront" {{}}

resource "aws_s3_bucket" "logs" {{
  bucket        = "site-logs"
  force_destroy = true
}}

resource "aws_s3_bucket" "site" {{
  bucket              = "site-{ACCOUNT}-us-east-1-an"
  bucket_namespace    = "account-regional"
  object_lock_enabled = true
  force_destroy       = true
  region              = {region}
}}

resource "aws_s3_bucket_versioning" "site" {{
  bucket                = aws_s3_bucket.site.id
  expected_bucket_owner = data.aws_caller_identity.current.account_id
  versioning_configuration {{
    status     = "Enabled"
    mfa_delete = "Disabled"
  }}
}}

resource "aws_s3_bucket_website_configuration" "site" {{
  bucket                = aws_s3_bucket.site.id
  expected_bucket_owner = data.aws_caller_identity.current.account_id
  index_document {{
    suffix = "{index}"
  }}
  error_document {{
    key = "error.html"
  }}
  routing_rule {{
    condition {{
      key_prefix_equals = "docs/"
    }}
    redirect {{
      replace_key_prefix_with = "documents/"
    }}
  }}
  routing_rule {{
    condition {{
      http_error_code_returned_equals = 404
      key_prefix_equals               = "archive/"
    }}
    redirect {{
      host_name          = "archive.example.com"
      http_redirect_code = 301
      protocol           = "https"
      replace_key_with   = "not_found.html"
    }}
  }}
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "site" {{
  bucket                = aws_s3_bucket.site.id
  expected_bucket_owner = data.aws_caller_identity.current.account_id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm = "AES256"
    }}
    blocked_encryption_types = ["SSE-C"]
  }}
}}

resource "aws_s3_bucket_policy" "logs" {{
  bucket = aws_s3_bucket.logs.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid       = "S3ServerAccessLogsPolicy"
      Effect    = "Allow"
      Principal = {{ Service = "logging.s3.amazonaws.com" }}
      Action    = "s3:PutObject"
      Resource  = "${{aws_s3_bucket.logs.arn}}/*"
    }}]
  }})
}}

resource "aws_s3_bucket_logging" "site" {{
  depends_on    = [aws_s3_bucket_policy.logs]
  bucket        = aws_s3_bucket.site.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "log/"
  target_object_key_format {{
    partitioned_prefix {{
      partition_date_source = "DeliveryTime"
    }}
  }}
}}

resource "aws_s3_bucket_lifecycle_configuration" "site" {{
  bucket                                 = aws_s3_bucket.site.id
  transition_default_minimum_object_size = "varies_by_storage_class"
  rule {{
    id     = "expire-previews"
    status = "Enabled"
    filter {{
      prefix = "previews/"
    }}
    expiration {{
      date = "2030-01-01T00:00:00Z"
    }}
  }}
  depends_on = [aws_s3_bucket_versioning.site]
}}

output "cloudfront_logs_user" {{
  value = data.aws_cloudfront_log_delivery_canonical_user_id.cloudfront.id
}}
"#,
        provider = moto.provider_block(""),
    )
}

#[test]
fn newer_bucket_arguments_region_and_expected_bucket_owner_round_trip() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &owned(&moto, "index.html", "null"));
    let plan = w.run(&["plan", "-no-color"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    // The region argument is planned as the provider's, as terraform-provider-aws 6 does.
    assert!(
        plan.stdout
            .contains(r#"+ region                              = "us-east-1""#)
            || plan.stdout.contains(r#"+ region"#),
        "{}",
        plan.stdout
    );
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("c4c1ede66af53448b93c283ce9448c4ba468c9432aa01d700d3878632f77d2d0"),
        "{}",
        r.stdout
    );
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    let state = w.run(&["state", "show", "aws_s3_bucket_versioning.site"]);
    assert!(
        state
            .stdout
            .contains(&format!("\"site-{ACCOUNT}-us-east-1-an,{ACCOUNT}\"")),
        "{}",
        state.stdout
    );
    let bucket = format!("site-{ACCOUNT}-us-east-1-an");
    let s3 = moto.s3();
    let website = rt()
        .block_on(s3.get_bucket_website().bucket(&bucket).send())
        .unwrap();
    assert_eq!(website.routing_rules().len(), 2);
    let encryption = rt()
        .block_on(s3.get_bucket_encryption().bucket(&bucket).send())
        .unwrap();
    let rule = &encryption
        .server_side_encryption_configuration()
        .unwrap()
        .rules()[0];
    assert_eq!(
        rule.blocked_encryption_types().unwrap().encryption_type()[0].as_str(),
        "SSE-C"
    );
    let lock = rt()
        .block_on(s3.get_object_lock_configuration().bucket(&bucket).send())
        .unwrap();
    assert_eq!(
        lock.object_lock_configuration()
            .and_then(|c| c.object_lock_enabled())
            .map(|e| e.as_str()),
        Some("Enabled")
    );

    // An in-place change through the expected owner.
    w.write("main.tf", &owned(&moto, "home.html", "null"));
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_s3_bucket_website_configuration.site will be updated in-place"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);

    // Drift in the log key format is seen and put back.
    rt().block_on(
        s3.put_bucket_logging()
            .bucket(&bucket)
            .bucket_logging_status(
                aws_sdk_s3::types::BucketLoggingStatus::builder()
                    .logging_enabled(
                        aws_sdk_s3::types::LoggingEnabled::builder()
                            .target_bucket("site-logs")
                            .target_prefix("log/")
                            .build()
                            .unwrap(),
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
            .contains("# aws_s3_bucket_logging.site will be updated in-place"),
        "{}",
        drift.stdout
    );
    w.ok(&["apply", "-auto-approve"]);

    // Import by BUCKET,ACCOUNT keeps the expected owner.
    w.ok(&["state", "rm", "aws_s3_bucket_website_configuration.site"]);
    w.ok(&[
        "import",
        "aws_s3_bucket_website_configuration.site",
        &format!("{bucket},{ACCOUNT}"),
    ]);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    // A region other than the provider's is refused at plan, naming the fix.
    w.write("main.tf", &owned(&moto, "home.html", "\"eu-west-2\""));
    let other = w.run(&["plan", "-no-color"]);
    assert_ne!(other.code, 0);
    let said = squash(&other.stderr);
    assert!(
        said.contains(r#"region = "eu-west-2" differs from the provider's region "us-east-1""#)
            && said.contains("provider = aws.eu_west_2"),
        "{}",
        other.stderr
    );

    w.write("main.tf", &owned(&moto, "home.html", "null"));
    w.ok(&["destroy", "-auto-approve"]);
}

#[test]
fn declared_only_types_validate_and_refuse_instances_by_name() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write(
        "main.tf",
        &format!(
            r#"{provider}
variable "express" {{
  default = false
}}

resource "aws_s3_directory_bucket" "fast" {{
  count  = var.express ? 1 : 0
  bucket = "fast--use1-az4--x-s3"
  location {{
    name = "use1-az4"
  }}
}}
"#,
            provider = moto.provider_block("")
        ),
    );
    w.ok(&["validate"]);
    let none = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(none.code, 0, "{}{}", none.stdout, none.stderr);
    let some = w.run(&["plan", "-var", "express=true", "-no-color"]);
    assert_ne!(some.code, 0);
    let said = squash(&some.stderr);
    assert!(
        said.contains("aws_s3_directory_bucket is not supported by mlform: S3 Express One Zone directory buckets"),
        "{}",
        some.stderr
    );
}

fn object(moto: &Moto, cache: &str, tier: &str) -> String {
    format!(
        r#"{provider}
resource "aws_s3_bucket" "models" {{
  bucket        = "model-artifacts"
  force_destroy = true
}}

resource "aws_s3_object" "card" {{
  bucket              = aws_s3_bucket.models.id
  key                 = "cards/ranker.json"
  content             = jsonencode({{ name = "ranker", version = 3 }})
  content_type        = "application/json"
  cache_control       = "{cache}"
  content_disposition = "inline"
  content_language    = "en"
  metadata            = {{ owner = "ranking" }}
  storage_class       = "STANDARD_IA"
  force_destroy       = true
  tags                = {{ tier = "{tier}" }}
}}
"#,
        provider = moto.provider_block("  default_tags {\n    tags = { team = \"ml\" }\n  }\n"),
    )
}

#[test]
fn object_headers_metadata_storage_class_and_tags_round_trip() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &object(&moto, "max-age=60", "gold"));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    let s3 = moto.s3();
    let head = || {
        rt().block_on(
            s3.head_object()
                .bucket("model-artifacts")
                .key("cards/ranker.json")
                .send(),
        )
        .unwrap()
    };
    let h = head();
    assert_eq!(h.cache_control(), Some("max-age=60"));
    assert_eq!(h.storage_class().map(|c| c.as_str()), Some("STANDARD_IA"));
    assert_eq!(
        h.metadata()
            .and_then(|m| m.get("owner"))
            .map(String::as_str),
        Some("ranking")
    );
    let tags = rt()
        .block_on(
            s3.get_object_tagging()
                .bucket("model-artifacts")
                .key("cards/ranker.json")
                .send(),
        )
        .unwrap();
    let mut pairs: Vec<(String, String)> = tags
        .tag_set()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        vec![
            ("team".to_string(), "ml".to_string()),
            ("tier".to_string(), "gold".to_string())
        ]
    );

    w.write("main.tf", &object(&moto, "max-age=300", "silver"));
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_s3_object.card will be updated in-place"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(head().cache_control(), Some("max-age=300"));

    w.ok(&["state", "rm", "aws_s3_object.card"]);
    w.ok(&[
        "import",
        "aws_s3_object.card",
        "model-artifacts/cards/ranker.json",
    ]);
    let after = w.run(&["plan", "-no-color"]);
    // What import cannot know (force_destroy, the inline content) is the only difference.
    assert!(
        after
            .stdout
            .contains("# aws_s3_object.card will be updated in-place")
            && after.stdout.contains("force_destroy"),
        "{}",
        after.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    w.ok(&["destroy", "-auto-approve"]);
}

#[test]
fn regional_data_sources_take_region_and_refuse_another() {
    let moto = Moto::start();
    let w = Workdir::new();
    let config = |region: &str| {
        format!(
            r#"{provider}
resource "aws_kms_key" "k" {{
  description = "data source region"
}}

data "aws_kms_key" "k" {{
  key_id = aws_kms_key.k.key_id
  region = {region}
}}

output "data_region" {{
  value = data.aws_kms_key.k.region
}}
"#,
            provider = moto.provider_block(""),
        )
    };
    w.write("main.tf", &config("\"us-east-1\""));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("data_region = \"us-east-1\""),
        "{}",
        r.stdout
    );
    w.write("main.tf", &config("\"eu-west-2\""));
    let other = w.run(&["plan", "-no-color"]);
    assert_ne!(other.code, 0);
    let said = squash(&other.stderr);
    assert!(
        said.contains("provider = aws.eu_west_2"),
        "{}",
        other.stderr
    );
    w.write("main.tf", &config("null"));
    w.ok(&["destroy", "-auto-approve"]);
}

/// The provider block with S3 Control at `s3control`.
fn with_s3control(moto: &Moto, s3control: &str, settings: &str) -> String {
    let provider = moto.provider_block("").replace(
        "  endpoints {\n",
        &format!("  endpoints {{\n    s3control              = \"{s3control}\"\n"),
    );
    format!(
        "{provider}\nresource \"aws_s3_account_public_access_block\" \"this\" {{\n{settings}}}\n"
    )
}

#[test]
fn account_public_access_block_through_s3_control() {
    let moto = Moto::start();
    // S3 Control sends each request to ACCOUNT.HOST: a host name under .localhost reaches
    // the emulator on loopback.
    let localhost = moto.url.replace("127.0.0.1", "localhost");
    let w = Workdir::new();
    let blocking = "  block_public_acls   = true\n  block_public_policy = true\n";
    w.write("main.tf", &with_s3control(&moto, &localhost, blocking));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.plan_is_clean();
    let shown = w.ok(&["state", "show", "aws_s3_account_public_access_block.this"]);
    assert!(
        squash(&shown.stdout).contains(&format!("account_id = \"{ACCOUNT}\"")),
        "{}",
        shown.stdout
    );

    let s3control = rt().block_on(async {
        let sdk = moto.sdk().await;
        let conf = aws_sdk_s3control::config::Builder::from(&sdk)
            .endpoint_url(&localhost)
            .http_client(mlform_provider_aws::http::client())
            .build();
        aws_sdk_s3control::Client::from_conf(conf)
    });
    let live = || {
        rt().block_on(
            s3control
                .get_public_access_block()
                .account_id(ACCOUNT)
                .send(),
        )
        .map(|o| o.public_access_block_configuration.unwrap())
    };
    let config = live().unwrap();
    assert_eq!(config.block_public_acls(), Some(true));
    assert_eq!(config.restrict_public_buckets(), Some(false));

    let all =
        format!("{blocking}  ignore_public_acls      = true\n  restrict_public_buckets = true\n");
    w.write("main.tf", &with_s3control(&moto, &localhost, &all));
    w.plan_says("# aws_s3_account_public_access_block.this will be updated in-place");
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(live().unwrap().restrict_public_buckets(), Some(true));

    // Drift: the block deleted by hand is planned again.
    rt().block_on(
        s3control
            .delete_public_access_block()
            .account_id(ACCOUNT)
            .send(),
    )
    .unwrap();
    w.plan_says("# aws_s3_account_public_access_block.this will be created");
    w.ok(&["apply", "-auto-approve"]);

    w.ok(&["state", "rm", "aws_s3_account_public_access_block.this"]);
    let bad = w.run(&[
        "import",
        "aws_s3_account_public_access_block.this",
        "bucket",
    ]);
    assert_ne!(bad.code, 0);
    assert!(
        squash(&bad.stderr).contains("by its 12-digit account ID"),
        "{}",
        bad.stderr
    );
    w.ok(&["import", "aws_s3_account_public_access_block.this", ACCOUNT]);
    w.plan_is_clean();

    // An endpoint given as an IP address cannot carry the account label: said, with a hint.
    w.write("main.tf", &with_s3control(&moto, &moto.url, &all));
    let ip = w.run(&["plan", "-no-color"]);
    assert_ne!(ip.code, 0);
    let said = squash(&ip.stderr);
    assert!(
        said.contains(&format!("to the host {ACCOUNT}.127.0.0.1"))
            && said.contains("http://localhost:PORT"),
        "{}",
        ip.stderr
    );

    w.write("main.tf", &with_s3control(&moto, &localhost, &all));
    w.ok(&["destroy", "-auto-approve"]);
    let gone = live();
    assert!(gone.is_err(), "{gone:?}");
}
