# Plans and applies in order; later runs read earlier runs' outputs.
variables {
  name = "world"
}

run "plan_it" {
  command = plan

  assert {
    condition     = terraform_data.a.input == "hello-world"
    error_message = "bad input"
  }
}

run "apply_it" {
  assert {
    condition     = output.greeting == "hello-world"
    error_message = "bad output"
  }
}

run "changed_greeting" {
  variables {
    name = "other"
  }

  assert {
    condition     = output.greeting == run.apply_it.greeting
    error_message = "greeting changed: ${output.greeting}"
  }
}

run "short_name" {
  command = plan

  variables {
    name = "x"
  }

  expect_failures = [var.name]
}

run "undeclared_variable" {
  command = plan

  variables {
    nope = 1
  }
}
