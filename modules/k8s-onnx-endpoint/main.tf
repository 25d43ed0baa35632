# An ONNX model endpoint on Kubernetes: `mlform serve` in a Deployment with readiness on
# /v2/health/ready, a Service, a CPU autoscaler, a disruption budget, and alerts that fire
# on the server's leading indicators (queue utilisation, shed and timed-out requests)
# before p99 latency degrades.

locals {
  selector = { "app.kubernetes.io/name" = var.name, "app.kubernetes.io/instance" = var.namespace }
  labels   = merge(var.labels, local.selector, { "app.kubernetes.io/managed-by" = "mlform" })
  server   = var.server
  alerts   = var.alerts
  # PromQL selector of this endpoint's series, as the ServiceMonitor labels them.
  series = "namespace=\"${var.namespace}\",service=\"${var.name}\""
}

resource "kubernetes_manifest" "deployment" {
  manifest = {
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata   = { name = var.name, namespace = var.namespace, labels = local.labels }
    spec = {
      # No replicas: the autoscaler owns the count, so it never shows as drift.
      selector = { matchLabels = local.selector }
      strategy = {
        type          = "RollingUpdate"
        rollingUpdate = { maxSurge = 1, maxUnavailable = 0 }
      }
      template = {
        metadata = { labels = local.labels }
        spec = {
          containers = [{
            name  = "serve"
            image = var.image
            args = [
              "serve",
              "--max-queue", tostring(local.server.max_queue),
              "--request-timeout-ms", tostring(local.server.request_timeout_ms),
              "--max-batch-size", tostring(local.server.max_batch_size),
              "--max-batch-delay-ms", tostring(local.server.max_batch_delay_ms),
              "--threads", tostring(local.server.threads),
            ]
            ports = [
              { name = "http", containerPort = 8080, protocol = "TCP" },
              { name = "grpc", containerPort = 8081, protocol = "TCP" },
            ]
            readinessProbe = {
              httpGet          = { path = "/v2/health/ready", port = "http" }
              periodSeconds    = 5
              failureThreshold = 3
            }
            livenessProbe = {
              httpGet             = { path = "/v2/health/live", port = "http" }
              initialDelaySeconds = 10
              periodSeconds       = 10
            }
            resources = {
              requests = { cpu = var.cpu, memory = var.memory }
              limits   = { cpu = var.cpu, memory = var.memory }
            }
          }]
        }
      }
    }
  }

  wait {
    rollout = var.wait_for_rollout
  }

  timeouts {
    create = var.rollout_timeout
    update = var.rollout_timeout
  }
}

resource "kubernetes_manifest" "service" {
  manifest = {
    apiVersion = "v1"
    kind       = "Service"
    metadata   = { name = var.name, namespace = var.namespace, labels = local.labels }
    spec = {
      type     = "ClusterIP"
      selector = local.selector
      ports = [
        { name = "http", port = 8080, targetPort = "http", protocol = "TCP" },
        { name = "grpc", port = 8081, targetPort = "grpc", protocol = "TCP" },
      ]
    }
  }
}

resource "kubernetes_manifest" "autoscaler" {
  manifest = {
    apiVersion = var.api_versions.hpa
    kind       = "HorizontalPodAutoscaler"
    metadata   = { name = var.name, namespace = var.namespace, labels = local.labels }
    spec = {
      scaleTargetRef = {
        apiVersion = "apps/v1"
        kind       = "Deployment"
        name       = kubernetes_manifest.deployment.manifest.metadata.name
      }
      minReplicas = var.min_replicas
      maxReplicas = var.max_replicas
      metrics = [{
        type = "Resource"
        resource = {
          name   = "cpu"
          target = { type = "Utilization", averageUtilization = var.target_cpu_utilization }
        }
      }]
      behavior = {
        # Scale out at once on a peak; scale in slowly, so a dip does not drop capacity.
        scaleUp   = { stabilizationWindowSeconds = 0 }
        scaleDown = { stabilizationWindowSeconds = 300 }
      }
    }
  }
}

resource "kubernetes_manifest" "disruption_budget" {
  manifest = {
    apiVersion = var.api_versions.pdb
    kind       = "PodDisruptionBudget"
    metadata   = { name = var.name, namespace = var.namespace, labels = local.labels }
    spec = {
      minAvailable = max(var.min_replicas - 1, 1)
      selector     = { matchLabels = local.selector }
    }
  }
}

resource "kubernetes_manifest" "service_monitor" {
  count = var.monitoring ? 1 : 0

  manifest = {
    apiVersion = "monitoring.coreos.com/v1"
    kind       = "ServiceMonitor"
    metadata   = { name = var.name, namespace = var.namespace, labels = local.labels }
    spec = {
      selector  = { matchLabels = local.selector }
      endpoints = [{ port = "http", path = "/metrics", interval = "15s" }]
    }
  }
}

resource "kubernetes_manifest" "rules" {
  count = var.monitoring ? 1 : 0

  manifest = {
    apiVersion = "monitoring.coreos.com/v1"
    kind       = "PrometheusRule"
    metadata   = { name = var.name, namespace = var.namespace, labels = local.labels }
    spec = {
      groups = [{
        name = "${var.name}.serving"
        rules = [
          {
            # Leading: the queue fills while latency still looks fine.
            alert = "OnnxEndpointQueueSaturating"
            expr  = "max by (model) (mlform_serve_queue_utilization_ratio{${local.series}}) > ${local.alerts.queue_utilization}"
            for   = local.alerts.queue_for
            labels = { severity = local.alerts.severity_early, endpoint = var.name }
            annotations = {
              summary     = "${var.name}: the request queue of {{ $labels.model }} is over ${local.alerts.queue_utilization * 100}% full"
              description = "Requests wait for a worker; latency rises next and then requests are shed (429). Scale out or raise --max-queue."
            }
          },
          {
            # Leading: clients already get 429 for some requests.
            alert = "OnnxEndpointSheddingRequests"
            expr  = "sum by (model) (rate(mlform_serve_shed_requests_total{${local.series}}[5m])) > ${local.alerts.shed_per_second}"
            for   = "1m"
            labels = { severity = local.alerts.severity_degraded, endpoint = var.name }
            annotations = {
              summary     = "${var.name}: {{ $labels.model }} is refusing requests (queue full)"
              description = "The queue is at capacity and new requests get 429. The autoscaler is not keeping up."
            }
          },
          {
            alert = "OnnxEndpointTimingOut"
            expr  = "sum by (model) (rate(mlform_serve_timed_out_requests_total{${local.series}}[5m])) > 0"
            for   = "1m"
            labels = { severity = local.alerts.severity_degraded, endpoint = var.name }
            annotations = {
              summary     = "${var.name}: requests to {{ $labels.model }} wait past the request timeout (503)"
              description = "Requests were queued longer than --request-timeout-ms."
            }
          },
          {
            # Lagging: by the time p99 moves, the alerts above have fired.
            alert = "OnnxEndpointLatencyHigh"
            expr  = "histogram_quantile(0.99, sum by (le) (rate(mlform_serve_request_duration_seconds_bucket{${local.series},route=~\".*/infer|/invocations\"}[5m]))) > ${local.alerts.p99_seconds}"
            for   = "10m"
            labels = { severity = local.alerts.severity_degraded, endpoint = var.name }
            annotations = {
              summary = "${var.name}: p99 inference latency is above ${local.alerts.p99_seconds * 1000} ms"
            }
          },
        ]
      }]
    }
  }
}
