variable "name" {
  type = string
  validation {
    condition     = length(var.name) > 2
    error_message = "name too short"
  }
}
resource "terraform_data" "a" {
  input = "hello-${var.name}"
}
output "greeting" {
  value = terraform_data.a.output
}
