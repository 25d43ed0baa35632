# An assertion that cannot be known during plan ends the file: later runs are skipped.
variables {
  name = "world"
}

run "unknown_in_plan" {
  command = plan

  assert {
    condition     = output.greeting == "hello-world"
    error_message = "unknown"
  }
}

run "skipped" {
  command = plan
}
