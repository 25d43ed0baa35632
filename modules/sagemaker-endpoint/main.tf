# A SageMaker endpoint that rolls out safely and warns early: the model and its endpoint
# configuration (a new model is a new pair, created before the old one is deleted), the
# endpoint with a blue/green canary that SageMaker rolls back when the latency or error
# alarm fires, target-tracking autoscaling, latency / error / anomaly alarms to an SNS
# topic, and optional Model Monitor data quality checks on captured traffic.

locals {
  variant   = "primary"
  topic_arn = var.alarm_topic_arn != null ? var.alarm_topic_arn : aws_sns_topic.alarms[0].arn
  dimensions = {
    EndpointName = var.name
    VariantName  = local.variant
  }
}

resource "aws_sagemaker_model" "this" {
  name_prefix        = "${var.name}-"
  execution_role_arn = var.execution_role_arn

  primary_container {
    image          = var.image
    model_data_url = var.model_data_url
    environment    = var.environment
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint_configuration" "this" {
  name_prefix = "${var.name}-"

  production_variants {
    variant_name           = local.variant
    model_name             = aws_sagemaker_model.this.name
    initial_instance_count = var.min_instances
    instance_type          = var.instance_type
  }

  dynamic "data_capture_config" {
    for_each = var.capture_s3_uri == null ? [] : [var.capture_s3_uri]
    content {
      enable_capture              = true
      initial_sampling_percentage = var.capture_percent
      destination_s3_uri          = data_capture_config.value
      capture_options {
        capture_mode = "Input"
      }
      capture_options {
        capture_mode = "Output"
      }
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint" "this" {
  name                 = var.name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.this.name

  deployment_config {
    blue_green_update_policy {
      traffic_routing_configuration {
        type                     = "CANARY"
        wait_interval_in_seconds = var.rollout.bake_seconds
        canary_size {
          type  = "CAPACITY_PERCENT"
          value = var.rollout.canary_percent
        }
      }
      termination_wait_in_seconds = var.rollout.termination_wait_seconds
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

  tags = var.tags

  timeouts {
    create = "45m"
    update = "60m"
  }
}

# ---- load ----------------------------------------------------------------------------------

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${aws_sagemaker_endpoint.this.name}/variant/${local.variant}"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = var.min_instances
  max_capacity       = var.max_instances
}

resource "aws_appautoscaling_policy" "invocations" {
  name               = "${var.name}-invocations-per-instance"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.invocations_per_instance
    scale_out_cooldown = 60
    scale_in_cooldown  = 600
    predefined_metric_specification {
      predefined_metric_type = "SageMakerVariantInvocationsPerInstance"
    }
  }
}

# ---- alarms --------------------------------------------------------------------------------

resource "aws_sns_topic" "alarms" {
  count = var.alarm_topic_arn == null ? 1 : 0
  name  = "${var.name}-alarms"
  tags  = var.tags
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = "${var.name}-p99-latency"
  alarm_description   = "p99 model latency over ${var.alarms.latency_p99_ms} ms (rolls a deployment back)"
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = var.alarms.evaluation_periods
  datapoints_to_alarm = var.alarms.datapoints_to_alarm
  # ModelLatency is reported in microseconds.
  threshold           = var.alarms.latency_p99_ms * 1000
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  dimensions          = local.dimensions
  alarm_actions       = [local.topic_arn]
  ok_actions          = [local.topic_arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.name}-5xx"
  alarm_description   = "model errors (rolls a deployment back)"
  namespace           = "AWS/SageMaker"
  metric_name         = "Invocation5XXErrors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 2
  threshold           = var.alarms.errors_per_minute
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  dimensions          = local.dimensions
  alarm_actions       = [local.topic_arn]
  ok_actions          = [local.topic_arn]
  tags                = var.tags
}

# Fires when latency leaves its usual band for this hour and weekday, before it reaches the
# budget the latency alarm guards.
resource "aws_cloudwatch_metric_alarm" "latency_anomaly" {
  alarm_name          = "${var.name}-latency-anomaly"
  alarm_description   = "p99 model latency above its expected band"
  comparison_operator = "GreaterThanUpperThreshold"
  evaluation_periods  = var.alarms.evaluation_periods
  datapoints_to_alarm = var.alarms.datapoints_to_alarm
  threshold_metric_id = "band"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.topic_arn]
  tags                = var.tags

  metric_query {
    id          = "band"
    expression  = "ANOMALY_DETECTION_BAND(latency, ${var.alarms.anomaly_band_width})"
    label       = "p99 latency (expected)"
    return_data = true
  }

  metric_query {
    id          = "latency"
    return_data = true
    metric {
      namespace   = "AWS/SageMaker"
      metric_name = "ModelLatency"
      period      = 60
      stat        = "p99"
      dimensions  = local.dimensions
    }
  }
}

# ---- data drift ----------------------------------------------------------------------------

resource "aws_sagemaker_data_quality_job_definition" "this" {
  count    = var.monitor == null ? 0 : 1
  name     = "${var.name}-data-quality"
  role_arn = var.monitor.role_arn

  data_quality_app_specification {
    image_uri = var.monitor.image_uri
  }

  dynamic "data_quality_baseline_config" {
    for_each = var.monitor.baseline_constraints == null && var.monitor.baseline_statistics == null ? [] : [var.monitor]
    content {
      dynamic "constraints_resource" {
        for_each = data_quality_baseline_config.value.baseline_constraints == null ? [] : [data_quality_baseline_config.value.baseline_constraints]
        content {
          s3_uri = constraints_resource.value
        }
      }
      dynamic "statistics_resource" {
        for_each = data_quality_baseline_config.value.baseline_statistics == null ? [] : [data_quality_baseline_config.value.baseline_statistics]
        content {
          s3_uri = statistics_resource.value
        }
      }
    }
  }

  data_quality_job_input {
    endpoint_input {
      endpoint_name = aws_sagemaker_endpoint.this.name
    }
  }

  data_quality_job_output_config {
    monitoring_outputs {
      s3_output {
        s3_uri = var.monitor.output_s3_uri
      }
    }
  }

  job_resources {
    cluster_config {
      instance_count    = 1
      instance_type     = var.monitor.instance_type
      volume_size_in_gb = var.monitor.volume_size_in_gb
    }
  }

  stopping_condition {
    max_runtime_in_seconds = var.monitor.max_runtime_in_seconds
  }

  tags = var.tags
}

resource "aws_sagemaker_monitoring_schedule" "this" {
  count = var.monitor == null ? 0 : 1
  name  = "${var.name}-data-quality"

  monitoring_schedule_config {
    monitoring_job_definition_name = aws_sagemaker_data_quality_job_definition.this[0].name
    monitoring_type                = "DataQuality"
    schedule_config {
      schedule_expression = var.monitor.schedule
    }
  }

  tags = var.tags
}
