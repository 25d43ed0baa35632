//! SageMaker Studio for team sandboxes against the local AWS emulator: a domain with its
//! users' defaults and a user profile apply, re-plan clean, update in place, show drift,
//! import (the domain by ID, the profile by ARN) and destroy.

use crate::aws::{rt, Moto};
use crate::support::Workdir;

fn studio(moto: &Moto, kernel_instance: &str, user_instance: &str) -> String {
    format!(
        r#"{provider}
resource "aws_iam_role" "studio" {{
  name = "studio-execution"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sagemaker.amazonaws.com" }} }}]
  }})
}}

resource "aws_sagemaker_domain" "vision" {{
  domain_name = "vision"
  auth_mode   = "IAM"
  vpc_id      = "vpc-0a1b2c3d"
  subnet_ids  = ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]

  default_user_settings {{
    execution_role  = aws_iam_role.studio.arn
    security_groups = ["sg-0a1b2c3d"]
    sharing_settings {{
      s3_output_path = "s3://vision-studio/shared"
    }}
    jupyter_server_app_settings {{
      default_resource_spec {{
        instance_type = "system"
      }}
    }}
    kernel_gateway_app_settings {{
      default_resource_spec {{
        instance_type = "{kernel_instance}"
      }}
      custom_image {{
        app_image_config_name = "vision-kernel"
        image_name            = "vision-image"
      }}
    }}
    space_storage_settings {{
      default_ebs_storage_settings {{
        default_ebs_volume_size_in_gb = 5
        maximum_ebs_volume_size_in_gb = 100
      }}
    }}
  }}

  retention_policy {{
    home_efs_file_system = "Delete"
  }}

  tags = {{ team = "vision" }}
}}

resource "aws_sagemaker_user_profile" "alice" {{
  domain_id         = aws_sagemaker_domain.vision.id
  user_profile_name = "alice"

  user_settings {{
    execution_role = aws_iam_role.studio.arn
    jupyter_lab_app_settings {{
      default_resource_spec {{
        instance_type = "{user_instance}"
      }}
    }}
  }}

  tags = {{ owner = "alice" }}
}}

output "domain_id" {{
  value = aws_sagemaker_domain.vision.id
}}

output "profile_arn" {{
  value = aws_sagemaker_user_profile.alice.arn
}}
"#,
        provider = moto.provider_block(""),
    )
}

#[test]
fn studio_domain_and_user_profile_apply_update_drift_import_and_destroy() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &studio(&moto, "ml.t3.medium", "ml.t3.large"));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("3 added"), "{}", r.stdout);
    let domain_id = w.output("domain_id");
    let profile_arn = w.output("profile_arn");
    assert!(
        profile_arn.ends_with(&format!(":user-profile/{domain_id}/alice")),
        "{profile_arn}"
    );
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    // SageMaker holds the settings as written.
    let sm = moto.sagemaker();
    let d = rt()
        .block_on(sm.describe_domain().domain_id(&domain_id).send())
        .unwrap();
    let defaults = d.default_user_settings().unwrap();
    assert_eq!(defaults.security_groups(), ["sg-0a1b2c3d"]);
    let kernel = defaults.kernel_gateway_app_settings().unwrap();
    assert_eq!(
        kernel
            .default_resource_spec()
            .and_then(|s| s.instance_type())
            .map(|t| t.as_str()),
        Some("ml.t3.medium")
    );
    assert_eq!(kernel.custom_images()[0].image_name(), Some("vision-image"));
    let tags = rt()
        .block_on(sm.list_tags().resource_arn(d.domain_arn().unwrap()).send())
        .unwrap();
    assert!(tags.tags().iter().any(|t| t.key() == Some("team")));

    // New instance types update both in place.
    w.write("main.tf", &studio(&moto, "ml.m5.large", "ml.m5.xlarge"));
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_sagemaker_domain.vision will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("# aws_sagemaker_user_profile.alice will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("0 to add, 2 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    let p = rt()
        .block_on(
            sm.describe_user_profile()
                .domain_id(&domain_id)
                .user_profile_name("alice")
                .send(),
        )
        .unwrap();
    assert_eq!(
        p.user_settings()
            .and_then(|u| u.jupyter_lab_app_settings())
            .and_then(|j| j.default_resource_spec())
            .and_then(|s| s.instance_type())
            .map(|t| t.as_str()),
        Some("ml.m5.xlarge")
    );
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    // Drift: security groups changed outside mlform are put back.
    let mut changed = d.default_user_settings().unwrap().clone();
    changed.security_groups = Some(vec!["sg-ffffffff".into()]);
    rt().block_on(
        sm.update_domain()
            .domain_id(&domain_id)
            .default_user_settings(changed)
            .send(),
    )
    .unwrap();
    let plan = w.run(&["plan", "-no-color"]);
    assert!(plan.stdout.contains("\"sg-ffffffff\""), "{}", plan.stdout);
    assert!(plan.stdout.contains("1 to change"), "{}", plan.stdout);
    w.ok(&["apply", "-auto-approve"]);

    // Import: the domain by its ID, the profile by its ARN.
    w.ok(&[
        "state",
        "rm",
        "aws_sagemaker_domain.vision",
        "aws_sagemaker_user_profile.alice",
    ]);
    w.ok(&["import", "aws_sagemaker_domain.vision", &domain_id]);
    let bad = w.run(&["import", "aws_sagemaker_user_profile.alice", "alice"]);
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
    assert!(
        crate::support::squash(&bad.stderr).contains("is not a user profile ARN"),
        "{}",
        bad.stderr
    );
    w.ok(&["import", "aws_sagemaker_user_profile.alice", &profile_arn]);
    // SageMaker does not describe the retention policy (it is a setting of the delete), so
    // an imported domain takes it from configuration, as terraform-provider-aws's does.
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout.contains("+ retention_policy {"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt()
        .block_on(sm.describe_domain().domain_id(&domain_id).send())
        .is_err());
}
