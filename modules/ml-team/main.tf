locals {
  tags = merge({ team = var.name, managed-by = "mlform" }, var.tags)
}

# The team's data bucket (modelled with terraform_data until the AWS provider is configured).
resource "terraform_data" "bucket" {
  input = {
    bucket     = "${var.name}-training-data"
    versioning = true
    tags       = local.tags
  }
}

resource "terraform_data" "serving_role" {
  input = {
    name = "${var.name}-serving"
    assume_role_policy = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Principal = { Service = "sagemaker.amazonaws.com" }, Action = "sts:AssumeRole" }]
    })
  }
}

resource "terraform_data" "endpoint" {
  for_each = var.models
  input = {
    name          = "${var.name}-${each.key}"
    model_data    = "s3://${terraform_data.bucket.output.bucket}/models/${each.key}/model.onnx"
    role          = terraform_data.serving_role.output.name
    instance_type = each.value.instance_type
    scaling       = { min = each.value.min_instances, max = each.value.max_instances }
    tags          = local.tags
  }
  lifecycle {
    precondition {
      condition     = each.value.min_instances <= each.value.max_instances
      error_message = "min_instances must not exceed max_instances."
    }
  }
}
