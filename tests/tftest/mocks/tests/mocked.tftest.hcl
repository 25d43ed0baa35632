# The AWS provider mocked: no credentials, no API calls, the real schemas.
mock_provider "aws" {
  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::mocked"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
}

mock_provider "aws" {
  alias  = "from_files"
  source = "./tests/aws"
}

variables {
  team = "vision"
}

run "plan_time_override" {
  command = plan

  override_resource {
    target          = aws_iam_role.serving
    override_during = plan
    values = {
      arn = "arn:aws:iam::000000000000:role/planned"
    }
  }

  assert {
    condition     = output.role_arn == "arn:aws:iam::000000000000:role/planned"
    error_message = "The plan-time override is missing: ${output.role_arn}"
  }

  assert {
    condition     = aws_s3_bucket.data.bucket == "vision-training-data"
    error_message = "The bucket name does not follow the team."
  }
}

run "apply_with_mocks" {
  assert {
    condition     = output.bucket_arn == "arn:aws:s3:::mocked"
    error_message = "The mock default for the bucket ARN was not used."
  }

  assert {
    condition     = output.account == "123456789012"
    error_message = "The mock data source default was not used."
  }

  assert {
    condition     = length(output.role_arn) == 8
    error_message = "A computed string with no default is 8 generated characters."
  }
}

run "mocks_from_files" {
  state_key = "files"

  providers = {
    aws = aws.from_files
  }

  assert {
    condition     = output.role_arn == "arn:aws:iam::000000000000:role/from-file"
    error_message = "The mock data file was not read."
  }
}

run "data_override" {
  command = plan

  override_data {
    target = data.aws_caller_identity.current
    values = {
      account_id = "999999999999"
    }
  }

  assert {
    condition     = output.account == "999999999999"
    error_message = "The data source override was not used."
  }
}
