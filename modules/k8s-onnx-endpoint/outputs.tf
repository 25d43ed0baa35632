output "deployment_name" {
  value = kubernetes_manifest.deployment.manifest.metadata.name
}

output "service_name" {
  value = kubernetes_manifest.service.manifest.metadata.name
}

output "url" {
  description = "The KServe V2 REST address inside the cluster."
  value       = "http://${kubernetes_manifest.service.manifest.metadata.name}.${var.namespace}.svc:8080"
}

output "grpc_address" {
  value = "${kubernetes_manifest.service.manifest.metadata.name}.${var.namespace}.svc:8081"
}

output "alerts" {
  description = "Names of the alerts the PrometheusRule defines (empty without monitoring)."
  value       = var.monitoring ? [for r in kubernetes_manifest.rules[0].manifest.spec.groups[0].rules : r.alert] : []
}
