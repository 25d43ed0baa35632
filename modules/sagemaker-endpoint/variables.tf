variable "name" {
  description = "Endpoint name; also the prefix of the model, configuration, alarms and monitor."
  type        = string
}

variable "image" {
  description = "Serving image URI (the ECR image mlform_serving_image pushes)."
  type        = string
}

variable "model_data_url" {
  description = "S3 URI of the model artifact."
  type        = string
}

variable "execution_role_arn" {
  description = "Role the endpoint's containers run as (reads the model artifact)."
  type        = string
}

variable "environment" {
  description = "Container environment."
  type        = map(string)
  default     = {}
}

variable "instance_type" {
  type    = string
  default = "ml.m5.large"
}

variable "min_instances" {
  type    = number
  default = 1

  validation {
    condition     = var.min_instances >= 1
    error_message = "min_instances must be at least 1."
  }
}

variable "max_instances" {
  type    = number
  default = 4

  validation {
    condition     = var.max_instances > var.min_instances
    error_message = "max_instances must be above min_instances, or autoscaling has nothing to do."
  }
}

variable "invocations_per_instance" {
  description = "Target of the target-tracking policy (SageMakerVariantInvocationsPerInstance, per minute)."
  type        = number
  default     = 600
}

variable "rollout" {
  description = "Blue/green canary: share of capacity moved first, how long it bakes, how long the old fleet is kept."
  type = object({
    canary_percent           = optional(number, 10)
    bake_seconds             = optional(number, 300)
    termination_wait_seconds = optional(number, 120)
  })
  default = {}
}

variable "alarms" {
  description = "Alarm thresholds: p99 latency budget, 5XX errors per minute, anomaly band width (standard deviations)."
  type = object({
    latency_p99_ms      = optional(number, 250)
    errors_per_minute   = optional(number, 5)
    anomaly_band_width  = optional(number, 2)
    evaluation_periods  = optional(number, 5)
    datapoints_to_alarm = optional(number, 3)
  })
  default = {}
}

variable "alarm_topic_arn" {
  description = "SNS topic the alarms notify; a topic is created when left null."
  type        = string
  default     = null
}

variable "capture_s3_uri" {
  description = "Where the endpoint captures requests and responses (needed by Model Monitor); no capture when null."
  type        = string
  default     = null
}

variable "capture_percent" {
  type    = number
  default = 10
}

variable "monitor" {
  description = "Model Monitor data quality checks on the captured data, run on a schedule (needs capture_s3_uri)."
  type = object({
    image_uri               = string
    role_arn                = string
    output_s3_uri           = string
    baseline_constraints    = optional(string)
    baseline_statistics     = optional(string)
    schedule                = optional(string, "cron(0 * ? * * *)")
    instance_type           = optional(string, "ml.m5.large")
    volume_size_in_gb       = optional(number, 20)
    max_runtime_in_seconds  = optional(number, 1800)
  })
  default = null

  validation {
    condition     = var.monitor == null || var.capture_s3_uri != null
    error_message = "Model Monitor reads captured data: set capture_s3_uri too."
  }
}

variable "tags" {
  type    = map(string)
  default = {}
}
