# An override may name one instance; the others are created for real.
run "one_shard_overridden" {
  override_resource {
    target = terraform_data.shard[1]
    values = {
      id     = "fixed-id"
      output = "fixed-output"
    }
  }

  assert {
    condition     = output.ids[1] == "fixed-id"
    error_message = "shard 1 not overridden: ${output.ids[1]}"
  }

  assert {
    condition     = output.ids[0] != "fixed-id" && output.ids[2] != "fixed-id"
    error_message = "other shards overridden"
  }

  assert {
    condition     = output.outputs[0] == "shard-0"
    error_message = "shard 0 not created for real"
  }
}

run "plan_time_instance_override" {
  command = plan

  override_resource {
    target          = terraform_data.shard[2]
    override_during = plan
    values = {
      output = "planned"
    }
  }

  assert {
    condition     = output.outputs[0] == "shard-0"
    error_message = "shard 0 changed"
  }
}
