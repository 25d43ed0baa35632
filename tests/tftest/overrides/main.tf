variable "env" {
  type    = string
  default = "dev"
}
variable "replicas" {
  type    = number
  default = 1
}
resource "terraform_data" "bucket" {
  input = "bucket-${var.env}"
}
resource "terraform_data" "endpoint" {
  input = {
    bucket   = terraform_data.bucket.output
    replicas = var.replicas
  }
  lifecycle {
    precondition {
      condition     = var.replicas <= 4
      error_message = "at most 4 replicas"
    }
  }
}
module "child" {
  source = "./child"
  name   = var.env
}
output "bucket_id" {
  value = terraform_data.bucket.id
}
output "child_arn" {
  value = module.child.arn
}
output "replicas" {
  value = var.replicas
  precondition {
    condition     = var.replicas > 0
    error_message = "need replicas"
  }
}
check "env_known" {
  assert {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "unknown env ${var.env}"
  }
}
