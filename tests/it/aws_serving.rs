//! SageMaker serving shapes against the local AWS emulator: inference pipelines with
//! network isolation and VPC settings, and endpoint configurations with the newer
//! production-variant settings, as public endpoint modules write them.

use crate::aws::{rt, Moto};
use crate::support::Workdir;

#[test]
fn inference_pipeline_model_with_network_isolation_and_vpc() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write(
        "main.tf",
        &format!(
            r#"{provider}
resource "aws_iam_role" "sm" {{
  name = "pipeline-execution"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ Service = "sagemaker.amazonaws.com" }}, Action = "sts:AssumeRole" }}]
  }})
}}

resource "aws_sagemaker_model" "pipeline" {{
  name                     = "tabular-pipeline"
  execution_role_arn       = aws_iam_role.sm.arn
  enable_network_isolation = true

  container {{
    image              = "123456789012.dkr.ecr.us-east-1.amazonaws.com/preprocess:1.0"
    container_hostname = "preprocess"
    environment        = {{ SCALE = "standard" }}
  }}

  container {{
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlform-serve:2.1"
    model_data_source {{
      s3_data_source {{
        s3_uri           = "s3://models/tabular/"
        s3_data_type     = "S3Prefix"
        compression_type = "None"
      }}
    }}
    image_config {{
      repository_access_mode = "Platform"
    }}
  }}

  vpc_config {{
    subnets            = ["subnet-0a1b2c3d", "subnet-4e5f6a7b"]
    security_group_ids = ["sg-0123abcd"]
  }}
}}
"#,
            provider = moto.provider_block("")
        ),
    );
    w.ok(&["apply", "-auto-approve"]);
    let sm = moto.sagemaker();
    let rt = crate::aws::rt();
    let model = rt
        .block_on(sm.describe_model().model_name("tabular-pipeline").send())
        .unwrap();
    assert_eq!(model.containers().len(), 2);
    assert_eq!(model.enable_network_isolation(), Some(true));
    assert_eq!(model.vpc_config().map(|v| v.subnets().len()), Some(2));
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Both primary_container and container: a clear error.
    let both = Workdir::new();
    both.write(
        "main.tf",
        &format!(
            "{}resource \"aws_sagemaker_model\" \"m\" {{\n  execution_role_arn = \"arn:aws:iam::123456789012:role/x\"\n  primary_container {{\n    image = \"a\"\n  }}\n  container {{\n    image = \"b\"\n  }}\n}}\n",
            moto.provider_block("")
        ),
    );
    let r = both.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("not both"), "{}", r.stderr);
    w.ok(&["destroy", "-auto-approve"]);
}

/// The shape of aws-ia/terraform-aws-sagemaker-endpoint: a generated suffix, an inline
/// role policy named by prefix, and an endpoint configuration with the newer production
/// variant settings and a KMS key; applied, re-planned clean, imported and destroyed.
fn endpoint_module_config(moto: &Moto, volume: u32) -> String {
    format!(
        r#"{provider}
resource "random_string" "suffix" {{
  length  = 4
  special = false
  upper   = false
}}

resource "aws_iam_role" "endpoint" {{
  name_prefix = "endpoint-"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sagemaker.amazonaws.com" }} }}]
  }})
}}

resource "aws_iam_role_policy" "inline" {{
  role        = aws_iam_role.endpoint.name
  name_prefix = "model-access-"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::models/*" }}]
  }})
}}

resource "aws_kms_key" "endpoint" {{
  description             = "endpoint storage"
  deletion_window_in_days = 7
}}

resource "aws_sagemaker_model" "model" {{
  name               = "llm-model-${{random_string.suffix.result}}"
  execution_role_arn = aws_iam_role.endpoint.arn
  primary_container {{
    image          = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlform-serve:latest"
    model_data_url = "s3://models/llm/model.tar.gz"
  }}
}}

resource "aws_sagemaker_endpoint_configuration" "config" {{
  name        = "llm-config-${{random_string.suffix.result}}"
  kms_key_arn = aws_kms_key.endpoint.arn
  production_variants {{
    variant_name                                      = "AllTraffic"
    model_name                                        = aws_sagemaker_model.model.name
    initial_instance_count                            = 1
    instance_type                                     = "ml.g4dn.xlarge"
    initial_variant_weight                            = 1.0
    container_startup_health_check_timeout_in_seconds = 600
    model_data_download_timeout_in_seconds            = 900
    volume_size_in_gb                                 = {volume}
    enable_ssm_access                                 = false
    core_dump_config {{
      destination_s3_uri = "s3://models/core-dumps/"
    }}
  }}
}}
"#,
        provider = moto.provider_block(""),
    )
}

#[test]
fn endpoint_configuration_with_newer_variant_settings_and_a_prefixed_inline_policy() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &endpoint_module_config(&moto, 100));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    let state = w.run(&["state", "show", "aws_iam_role_policy.inline"]);
    assert!(
        state.stdout.contains("name        = \"model-access-"),
        "{}",
        state.stdout
    );
    let config_name = w
        .run(&[
            "state",
            "show",
            "aws_sagemaker_endpoint_configuration.config",
        ])
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("name "))
        .and_then(|l| l.split('"').nth(1))
        .unwrap()
        .to_string();
    let described = rt()
        .block_on(
            moto.sagemaker()
                .describe_endpoint_config()
                .endpoint_config_name(&config_name)
                .send(),
        )
        .unwrap();
    let variant = &described.production_variants()[0];
    assert_eq!(variant.volume_size_in_gb(), Some(100));
    assert_eq!(
        variant.container_startup_health_check_timeout_in_seconds(),
        Some(600)
    );
    assert!(described.kms_key_id().is_some());

    // A new volume size is a new configuration, made before the old one goes.
    w.write("main.tf", &endpoint_module_config(&moto, 200));
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_sagemaker_endpoint_configuration.config must be replaced"),
        "{}",
        plan.stdout
    );
    w.write("main.tf", &endpoint_module_config(&moto, 100));

    w.ok(&["state", "rm", "aws_sagemaker_endpoint_configuration.config"]);
    w.ok(&[
        "import",
        "aws_sagemaker_endpoint_configuration.config",
        &config_name,
    ]);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    w.ok(&["destroy", "-auto-approve"]);
}
