locals {
  emulated = var.aws_endpoint != null
}

provider "aws" {
  region = var.region

  # Against a local emulator: fixed test credentials and no calls to real AWS.
  access_key                  = local.emulated ? "test" : null
  secret_key                  = local.emulated ? "test" : null
  skip_credentials_validation = local.emulated
  skip_requesting_account_id  = local.emulated
  skip_metadata_api_check     = local.emulated

  endpoints {
    s3                     = var.aws_endpoint
    iam                    = var.aws_endpoint
    sts                    = var.aws_endpoint
    sagemaker              = var.aws_endpoint
    applicationautoscaling = var.aws_endpoint
    cloudwatch             = var.aws_endpoint
  }

  default_tags {
    tags = {
      project    = var.name
      managed-by = "mlform"
    }
  }
}
