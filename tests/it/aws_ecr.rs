//! The ECR settings around a serving image's repository, as terraform-aws-modules/ecr
//! manages them: tag mutability with exclusions, the repository policy, and the registry's
//! own policy, scanning and replication; against the local AWS emulator through create,
//! a clean re-plan, in-place changes, drift, import and destroy.

use crate::aws::{rt, Moto};
use crate::support::{squash, Workdir};

const ACCOUNT: &str = "123456789012";

/// The repository and the registry settings; `v2` changes every one of them in place.
fn registry_config(moto: &Moto, v2: bool) -> String {
    let (exclusions, pull_actions, scan_frequency, replication_filter) = if v2 {
        (
            r#"["latest*", "dev-*"]"#,
            r#"["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages"]"#,
            "CONTINUOUS_SCAN",
            "\n      repository_filter {\n        filter      = \"prod-\"\n        filter_type = \"PREFIX_MATCH\"\n      }",
        )
    } else {
        (
            r#"["latest*"]"#,
            r#"["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]"#,
            "SCAN_ON_PUSH",
            "",
        )
    };
    let registry_actions = if v2 {
        r#"["ecr:ReplicateImage", "ecr:CreateRepository"]"#
    } else {
        r#"["ecr:ReplicateImage"]"#
    };
    format!(
        r#"{provider}
data "aws_caller_identity" "current" {{}}

resource "aws_ecr_repository" "serve" {{
  name                 = "mlform-serve"
  image_tag_mutability = "IMMUTABLE_WITH_EXCLUSION"
  force_delete         = true

  encryption_configuration {{
    encryption_type = "AES256"
  }}

  dynamic "image_tag_mutability_exclusion_filter" {{
    for_each = {exclusions}
    content {{
      filter      = image_tag_mutability_exclusion_filter.value
      filter_type = "WILDCARD"
    }}
  }}
}}

data "aws_iam_policy_document" "pull" {{
  statement {{
    sid     = "PrivateReadOnly"
    actions = {pull_actions}
    principals {{
      type        = "AWS"
      identifiers = ["arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:root"]
    }}
  }}
}}

resource "aws_ecr_repository_policy" "serve" {{
  repository = aws_ecr_repository.serve.name
  policy     = data.aws_iam_policy_document.pull.json
}}

data "aws_iam_policy_document" "registry" {{
  statement {{
    actions   = {registry_actions}
    resources = ["arn:aws:ecr:us-east-1:${{data.aws_caller_identity.current.account_id}}:repository/*"]
    principals {{
      type        = "AWS"
      identifiers = ["arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:root"]
    }}
  }}
}}

resource "aws_ecr_registry_policy" "this" {{
  policy = data.aws_iam_policy_document.registry.json
}}

resource "aws_ecr_registry_scanning_configuration" "this" {{
  scan_type = "ENHANCED"

  rule {{
    scan_frequency = "{scan_frequency}"
    repository_filter {{
      filter      = "mlform-*"
      filter_type = "WILDCARD"
    }}
  }}
}}

resource "aws_ecr_replication_configuration" "this" {{
  replication_configuration {{
    rule {{
      destination {{
        region      = "us-west-2"
        registry_id = data.aws_caller_identity.current.account_id
      }}{replication_filter}
    }}
  }}
}}

output "repository_policy_id" {{
  value = aws_ecr_repository_policy.serve.id
}}

# Blocks of at most one are lists, as terraform-provider-aws declares them.
output "encryption" {{
  value = aws_ecr_repository.serve.encryption_configuration[0].encryption_type
}}

output "registry_id" {{
  value = aws_ecr_registry_scanning_configuration.this.registry_id
}}
"#,
        provider = moto.provider_block(""),
    )
}

#[test]
fn repository_policy_and_registry_settings_apply_update_drift_import_and_destroy() {
    let moto = Moto::start();
    let ecr = moto.ecr();
    let w = Workdir::new();
    w.write("main.tf", &registry_config(&moto, false));
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(r.stdout.contains("5 added, 0 changed"), "{}", r.stdout);
    assert!(
        r.stdout.contains("repository_policy_id = \"mlform-serve\""),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("encryption = \"AES256\""), "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!("registry_id = \"{ACCOUNT}\"")),
        "{}",
        r.stdout
    );
    w.plan_is_clean();

    let repo = rt()
        .block_on(
            ecr.describe_repositories()
                .repository_names("mlform-serve")
                .send(),
        )
        .unwrap();
    let repo = &repo.repositories()[0];
    assert_eq!(
        repo.image_tag_mutability().map(|m| m.as_str()),
        Some("IMMUTABLE_WITH_EXCLUSION")
    );
    assert_eq!(repo.image_tag_mutability_exclusion_filters().len(), 1);
    let policy = rt()
        .block_on(
            ecr.get_repository_policy()
                .repository_name("mlform-serve")
                .send(),
        )
        .unwrap();
    assert!(
        policy
            .policy_text()
            .unwrap()
            .contains("ecr:GetDownloadUrlForLayer"),
        "{policy:?}"
    );
    let scanning = rt()
        .block_on(ecr.get_registry_scanning_configuration().send())
        .unwrap();
    let scanning = scanning.scanning_configuration().unwrap();
    assert_eq!(scanning.scan_type().map(|t| t.as_str()), Some("ENHANCED"));
    assert_eq!(
        scanning.rules()[0].scan_frequency().as_str(),
        "SCAN_ON_PUSH"
    );

    // Every setting changes in place.
    w.write("main.tf", &registry_config(&moto, true));
    let plan = w.plan_says("# aws_ecr_repository.serve will be updated in-place");
    for address in [
        "aws_ecr_repository_policy.serve",
        "aws_ecr_registry_policy.this",
        "aws_ecr_registry_scanning_configuration.this",
        "aws_ecr_replication_configuration.this",
    ] {
        assert!(
            plan.stdout
                .contains(&format!("# {address} will be updated in-place")),
            "{address}:\n{}",
            plan.stdout
        );
    }
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(r.stdout.contains("0 added, 5 changed"), "{}", r.stdout);
    w.plan_is_clean();
    let registry = rt().block_on(ecr.describe_registry().send()).unwrap();
    let rule = &registry.replication_configuration().unwrap().rules()[0];
    assert_eq!(rule.destinations()[0].region(), "us-west-2");
    assert_eq!(rule.repository_filters()[0].filter(), "prod-");

    // Drift: the repository policy deleted and scanning reset by hand.
    rt().block_on(
        ecr.delete_repository_policy()
            .repository_name("mlform-serve")
            .send(),
    )
    .unwrap();
    rt().block_on(
        ecr.put_registry_scanning_configuration()
            .scan_type(aws_sdk_ecr::types::ScanType::Basic)
            .set_rules(Some(vec![]))
            .send(),
    )
    .unwrap();
    let drift = w.plan_says("# aws_ecr_repository_policy.serve will be created");
    assert!(
        drift
            .stdout
            .contains("# aws_ecr_registry_scanning_configuration.this will be updated in-place"),
        "{}",
        drift.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    w.plan_is_clean();

    // Import: the repository policy by repository name, the registry's by account ID.
    for address in [
        "aws_ecr_repository_policy.serve",
        "aws_ecr_registry_policy.this",
        "aws_ecr_registry_scanning_configuration.this",
        "aws_ecr_replication_configuration.this",
    ] {
        w.ok(&["state", "rm", address]);
    }
    w.ok(&["import", "aws_ecr_repository_policy.serve", "mlform-serve"]);
    for address in [
        "aws_ecr_registry_policy.this",
        "aws_ecr_registry_scanning_configuration.this",
        "aws_ecr_replication_configuration.this",
    ] {
        w.ok(&["import", address, ACCOUNT]);
    }
    w.plan_is_clean();
    let other = Workdir::new();
    other.write(
        "main.tf",
        &format!(
            "{}resource \"aws_ecr_registry_policy\" \"elsewhere\" {{\n  policy = \"{{}}\"\n}}\n",
            moto.provider_block("")
        ),
    );
    let wrong = other.run(&[
        "import",
        "aws_ecr_registry_policy.elsewhere",
        "210987654321",
    ]);
    assert_ne!(wrong.code, 0, "{}", wrong.stdout);
    assert!(
        wrong.stderr.contains("non-existent"),
        "{}{}",
        wrong.stdout,
        wrong.stderr
    );

    // Destroy puts the registry's defaults back: no policy, basic scanning, no replication.
    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt().block_on(ecr.get_registry_policy().send()).is_err());
    let scanning = rt()
        .block_on(ecr.get_registry_scanning_configuration().send())
        .unwrap();
    let scanning = scanning.scanning_configuration().unwrap();
    assert_eq!(scanning.scan_type().map(|t| t.as_str()), Some("BASIC"));
    assert!(scanning.rules().is_empty());
    let registry = rt().block_on(ecr.describe_registry().send()).unwrap();
    assert!(registry
        .replication_configuration()
        .is_none_or(|c| c.rules().is_empty()));
    assert!(rt()
        .block_on(
            ecr.describe_repositories()
                .repository_names("mlform-serve")
                .send()
        )
        .is_err());
}

/// What ECR would refuse fails the plan, and the ECR types mlform does not manage are
/// refused by name.
#[test]
fn tag_mutability_rules_and_unmanaged_ecr_types_fail_the_plan() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write(
        "main.tf",
        &format!(
            "{}resource \"aws_ecr_repository\" \"serve\" {{\n  name                 = \"mlform-serve\"\n  image_tag_mutability = \"IMMUTABLE_WITH_EXCLUSION\"\n}}\n",
            moto.provider_block("")
        ),
    );
    let r = w.run(&["plan", "-no-color"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        squash(&r.stderr)
            .contains("needs at least one image_tag_mutability_exclusion_filter block"),
        "{}",
        r.stderr
    );

    w.write(
        "main.tf",
        &format!(
            "{}resource \"aws_ecr_pull_through_cache_rule\" \"hub\" {{\n  ecr_repository_prefix = \"ecr-public\"\n  upstream_registry_url = \"public.ecr.aws\"\n}}\n",
            moto.provider_block("")
        ),
    );
    w.ok(&["validate"]);
    let r = w.run(&["plan", "-no-color"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        squash(&r.stderr).contains("aws_ecr_pull_through_cache_rule is not supported by mlform"),
        "{}",
        r.stderr
    );
}
