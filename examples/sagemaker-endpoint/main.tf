# A model endpoint on SageMaker: the model file in a data bucket, training and serving roles,
# the model, its endpoint configuration, the endpoint with blue/green rollout and
# auto-rollback alarms, autoscaling on invocations, and a latency alarm.

locals {
  endpoint_name = "${var.name}-endpoint"
  variant_name  = "primary"
}

# ---- data --------------------------------------------------------------------------------

resource "aws_s3_bucket" "models" {
  bucket        = "${var.name}-models-${var.environment}"
  force_destroy = var.environment != "prod"
}

resource "aws_s3_bucket_versioning" "models" {
  bucket = aws_s3_bucket.models.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "models" {
  bucket = aws_s3_bucket.models.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "models" {
  bucket                  = aws_s3_bucket.models.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "models" {
  bucket = aws_s3_bucket.models.id
  rule {
    id     = "expire-captures"
    status = "Enabled"
    filter {
      prefix = "captures/"
    }
    expiration {
      days = 30
    }
  }
}

resource "aws_s3_object" "model" {
  bucket       = aws_s3_bucket.models.id
  key          = "${var.name}/model.onnx"
  source       = "${path.module}/model/model.onnx"
  source_hash  = filemd5("${path.module}/model/model.onnx")
  content_type = "application/octet-stream"

  # Upload once versioning is on, so every model file has a version to roll back to.
  depends_on = [aws_s3_bucket_versioning.models]
}

# ---- identities ----------------------------------------------------------------------------

data "aws_iam_policy_document" "sagemaker_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "training" {
  name               = "${var.name}-training"
  assume_role_policy = data.aws_iam_policy_document.sagemaker_trust.json
}

resource "aws_iam_role_policy" "training" {
  name = "read-data-write-models"
  role = aws_iam_role.training.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = "${aws_s3_bucket.models.arn}/*"
      },
      {
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = aws_s3_bucket.models.arn
      },
    ]
  })
}

resource "aws_iam_role" "serving" {
  name               = "${var.name}-serving"
  assume_role_policy = data.aws_iam_policy_document.sagemaker_trust.json
}

resource "aws_iam_role_policy" "serving" {
  name = "read-model"
  role = aws_iam_role.serving.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "s3:GetObject"
      Resource = "${aws_s3_bucket.models.arn}/${var.name}/*"
    }]
  })
}

# ---- serving -------------------------------------------------------------------------------

resource "aws_sagemaker_model" "scorer" {
  name_prefix        = "${var.name}-"
  execution_role_arn = aws_iam_role.serving.arn

  primary_container {
    image          = var.serving_image
    model_data_url = "s3://${aws_s3_bucket.models.id}/${aws_s3_object.model.key}"
    environment = {
      MODEL_NAME = var.name
      # A new model file is a new model: the ETag ties the container to the exact bytes.
      MODEL_ETAG = aws_s3_object.model.etag
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint_configuration" "scorer" {
  name_prefix = "${var.name}-"

  production_variants {
    variant_name           = local.variant_name
    model_name             = aws_sagemaker_model.scorer.name
    initial_instance_count = var.min_instances
    instance_type          = var.instance_type
  }

  data_capture_config {
    enable_capture              = true
    initial_sampling_percentage = 10
    destination_s3_uri          = "s3://${aws_s3_bucket.models.id}/captures/"
    capture_options {
      capture_mode = "Input"
    }
    capture_options {
      capture_mode = "Output"
    }
  }
}

resource "aws_sagemaker_endpoint" "scorer" {
  name                 = local.endpoint_name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.scorer.name

  deployment_config {
    blue_green_update_policy {
      traffic_routing_configuration {
        type                     = "CANARY"
        wait_interval_in_seconds = 300
        canary_size {
          type  = "CAPACITY_PERCENT"
          value = 10
        }
      }
      termination_wait_in_seconds = 120
    }
    auto_rollback_configuration {
      alarms {
        alarm_name = aws_cloudwatch_metric_alarm.latency.alarm_name
      }
      alarms {
        alarm_name = aws_cloudwatch_metric_alarm.errors.alarm_name
      }
    }
  }

  timeouts {
    create = "45m"
    update = "60m"
  }
}

# ---- load ----------------------------------------------------------------------------------

resource "aws_appautoscaling_target" "scorer" {
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${aws_sagemaker_endpoint.scorer.name}/variant/${local.variant_name}"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = var.min_instances
  max_capacity       = var.max_instances
}

resource "aws_appautoscaling_policy" "invocations" {
  name               = "${var.name}-invocations-per-instance"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.scorer.service_namespace
  resource_id        = aws_appautoscaling_target.scorer.resource_id
  scalable_dimension = aws_appautoscaling_target.scorer.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.invocations_per_instance
    scale_out_cooldown = 60
    scale_in_cooldown  = 600
    predefined_metric_specification {
      predefined_metric_type = "SageMakerVariantInvocationsPerInstance"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = "${local.endpoint_name}-p99-latency"
  alarm_description   = "p99 model latency over ${var.latency_budget_ms} ms"
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  # ModelLatency is reported in microseconds.
  threshold           = var.latency_budget_ms * 1000
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  dimensions = {
    EndpointName = local.endpoint_name
    VariantName  = local.variant_name
  }
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${local.endpoint_name}-5xx"
  alarm_description   = "model errors during a rollout"
  namespace           = "AWS/SageMaker"
  metric_name         = "Invocation5XXErrors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 2
  threshold           = 5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  dimensions = {
    EndpointName = local.endpoint_name
    VariantName  = local.variant_name
  }
}
