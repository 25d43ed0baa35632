output "bucket" {
  value       = terraform_data.bucket.output.bucket
  description = "The team's training data bucket."
}

output "endpoints" {
  value       = { for name, e in terraform_data.endpoint : name => e.output.name }
  description = "Endpoint names by model."
}
