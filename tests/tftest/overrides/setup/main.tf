variable "prefix" { type = string }
resource "terraform_data" "seed" {
  input = "${var.prefix}-seed"
}
output "seed" {
  value = terraform_data.seed.output
}
