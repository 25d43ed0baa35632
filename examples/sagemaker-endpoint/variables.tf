variable "name" {
  description = "Name of the model; prefixes every resource."
  type        = string
  default     = "scorer"
}

variable "environment" {
  description = "Deployment environment; outside prod the bucket may be destroyed with its objects."
  type        = string
  default     = "dev"
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "aws_endpoint" {
  description = "Endpoint URL of a local AWS emulator (moto_server, LocalStack). Null for real AWS."
  type        = string
  default     = null
}

variable "serving_image" {
  description = "The mlform serve image in your registry (see docs/serving.md)."
  type        = string
  default     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlform-serve:0.1.0"
}

variable "instance_type" {
  type    = string
  default = "ml.m5.large"
}

variable "min_instances" {
  type    = number
  default = 1
}

variable "max_instances" {
  type    = number
  default = 4

  validation {
    condition     = var.max_instances >= var.min_instances
    error_message = "max_instances must be at least min_instances."
  }
}

variable "invocations_per_instance" {
  description = "Target invocations per instance per minute for autoscaling."
  type        = number
  default     = 700
}

variable "latency_budget_ms" {
  description = "p99 model latency budget; above it the alarm fires and a rollout rolls back."
  type        = number
  default     = 250
}
