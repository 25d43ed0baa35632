variable "name" {
  type        = string
  description = "Team name, used as a prefix for everything the team owns."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "Team names are lowercase letters, digits and dashes, 2 to 31 characters, starting with a letter."
  }
}

variable "models" {
  type = map(object({
    instance_type = optional(string, "ml.m5.large")
    min_instances = optional(number, 1)
    max_instances = optional(number, 4)
  }))
  description = "Models the team serves, by name."
  default     = {}
}

variable "tags" {
  type    = map(string)
  default = {}
}
