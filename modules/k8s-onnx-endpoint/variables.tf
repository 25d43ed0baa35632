variable "name" {
  description = "Name of the Deployment, Service, autoscaler, disruption budget and rules."
  type        = string
}

variable "namespace" {
  description = "Namespace to run in (it must exist)."
  type        = string
}

variable "image" {
  description = "The serving image (mlform_serving_image's `image`): `mlform serve` with the models under /opt/ml/model."
  type        = string
}

variable "min_replicas" {
  description = "Replicas the autoscaler keeps at least; also the disruption budget's minimum available when above 1."
  type        = number
  default     = 2

  validation {
    condition     = var.min_replicas >= 1
    error_message = "min_replicas must be at least 1."
  }
}

variable "max_replicas" {
  description = "Replicas the autoscaler may scale to."
  type        = number
  default     = 10

  validation {
    condition     = var.max_replicas > var.min_replicas
    error_message = "max_replicas must be above min_replicas, or the autoscaler has nothing to do."
  }
}

variable "target_cpu_utilization" {
  description = "Average CPU utilisation (percent of requests) the autoscaler holds."
  type        = number
  default     = 60
}

variable "cpu" {
  description = "CPU request and limit of the server container."
  type        = string
  default     = "1"
}

variable "memory" {
  description = "Memory request and limit of the server container."
  type        = string
  default     = "1Gi"
}

variable "server" {
  description = "Flags of `mlform serve` that bound load: queue length per model, request timeout, batching."
  type = object({
    max_queue          = optional(number, 256)
    request_timeout_ms = optional(number, 10000)
    max_batch_size     = optional(number, 32)
    max_batch_delay_ms = optional(number, 2)
    threads            = optional(number, 1)
  })
  default = {}
}

variable "wait_for_rollout" {
  description = "Wait until every replica of a new spec is available (readiness answers 200) before the apply goes on."
  type        = bool
  default     = true
}

variable "rollout_timeout" {
  description = "How long a rollout may take before the step fails (and, with -rollback=auto, is rolled back)."
  type        = string
  default     = "10m"
}

variable "monitoring" {
  description = "Create the ServiceMonitor and PrometheusRule (needs the Prometheus Operator's CRDs)."
  type        = bool
  default     = true
}

variable "alerts" {
  description = "Alert thresholds: queue utilisation and shed rate fire before latency does; p99 is the lagging check."
  type = object({
    queue_utilization  = optional(number, 0.5)
    queue_for          = optional(string, "5m")
    shed_per_second    = optional(number, 0)
    p99_seconds        = optional(number, 0.25)
    severity_early     = optional(string, "warning")
    severity_degraded  = optional(string, "critical")
  })
  default = {}
}

variable "api_versions" {
  description = "API versions of the autoscaler and disruption budget (autoscaling/v2beta2 and policy/v1beta1 before Kubernetes 1.23 and 1.21)."
  type = object({
    hpa = optional(string, "autoscaling/v2")
    pdb = optional(string, "policy/v1")
  })
  default = {}
}

variable "labels" {
  description = "Extra labels on every object."
  type        = map(string)
  default     = {}
}
