variable "name" { type = string }
resource "terraform_data" "thing" {
  input = var.name
}
output "arn" {
  value = "arn:${terraform_data.thing.output}"
}
