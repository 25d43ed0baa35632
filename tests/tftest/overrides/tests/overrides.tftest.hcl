# Overrides, alternate modules with their own state, and expected failures of every
# checkable kind.
run "override_bucket" {
  command = plan

  override_resource {
    target          = terraform_data.bucket
    override_during = plan
    values = {
      id     = "fixed-id"
      output = "fixed-output"
    }
  }

  assert {
    condition     = output.bucket_id == "fixed-id"
    error_message = "override not applied: ${output.bucket_id}"
  }

  assert {
    condition     = terraform_data.endpoint.input.bucket == "fixed-output"
    error_message = "override output not used"
  }
}

run "override_at_apply" {
  override_resource {
    target = terraform_data.bucket
    values = {
      id = "applied-id"
    }
  }

  assert {
    condition     = output.bucket_id == "applied-id"
    error_message = "override not applied at apply: ${output.bucket_id}"
  }
}

run "setup" {
  module {
    source = "./setup"
  }

  variables {
    prefix = "team"
  }
}

run "with_setup" {
  variables {
    env = run.setup.seed == "team-seed" ? "prod" : "dev"
  }

  assert {
    condition     = terraform_data.bucket.input == "bucket-prod"
    error_message = "setup output not used"
  }
}

run "override_child" {
  override_module {
    target = module.child
    outputs = {
      arn = "arn:mock"
    }
  }

  assert {
    condition     = output.child_arn == "arn:mock"
    error_message = "module override not applied"
  }
}

run "too_many" {
  command = plan

  variables {
    replicas = 9
  }

  expect_failures = [terraform_data.endpoint]
}

run "zero" {
  command = plan

  variables {
    replicas = 0
  }

  expect_failures = [output.replicas]
}

run "bad_env" {
  variables {
    env = "qa"
  }

  expect_failures = [check.env_known]
}

run "wrong_assertion" {
  command = plan

  assert {
    condition     = output.replicas == 2
    error_message = "replicas is ${output.replicas}"
  }
}
