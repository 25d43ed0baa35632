run "expected_but_valid" {
  command = plan

  variables {
    name = "valid"
  }

  expect_failures = [var.name]
}

run "skipped_after_error" {
  command = plan

  variables {
    name = "valid"
  }
}
