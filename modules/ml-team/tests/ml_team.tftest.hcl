# Tests of the ml-team module: `mlform test` here (or `terraform test`; the results match).
variables {
  name = "vision"
  models = {
    resnet = { min_instances = 1, max_instances = 3 }
    bert   = { instance_type = "ml.g5.xlarge" }
  }
}

run "names_follow_the_team" {
  command = plan

  assert {
    condition     = terraform_data.bucket.input.bucket == "vision-training-data"
    error_message = "The bucket is not named after the team."
  }

  assert {
    condition     = terraform_data.endpoint["bert"].input.instance_type == "ml.g5.xlarge"
    error_message = "The model's instance type was not used."
  }

  assert {
    condition     = terraform_data.endpoint["resnet"].input.instance_type == "ml.m5.large"
    error_message = "The default instance type was not used."
  }
}

run "tags_carry_the_team" {
  command = plan

  variables {
    tags = { cost-center = "ml-42" }
  }

  assert {
    condition     = terraform_data.bucket.input.tags == { team = "vision", managed-by = "mlform", cost-center = "ml-42" }
    error_message = "Tags are not merged with the team's defaults."
  }
}

run "apply_exposes_outputs" {
  assert {
    condition     = output.bucket == "vision-training-data"
    error_message = "The bucket output is wrong."
  }

  assert {
    condition     = output.endpoints == { bert = "vision-bert", resnet = "vision-resnet" }
    error_message = "The endpoints output is wrong."
  }
}

run "endpoints_read_the_bucket" {
  command = plan

  override_resource {
    target          = terraform_data.bucket
    override_during = plan
    values = {
      output = { bucket = "shared-bucket", versioning = true, tags = {} }
    }
  }

  assert {
    condition     = terraform_data.endpoint["resnet"].input.model_data == "s3://vision-training-data/models/resnet/model.onnx"
    error_message = "An override on an existing resource must keep its state."
  }
}

run "rejects_bad_team_names" {
  command = plan

  variables {
    name = "Vision Team"
  }

  expect_failures = [var.name]
}

run "rejects_inverted_scaling" {
  command = plan

  variables {
    models = { resnet = { min_instances = 5, max_instances = 2 } }
  }

  expect_failures = [terraform_data.endpoint]
}
