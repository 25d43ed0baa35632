# A small ML platform: two teams, each with a data bucket, a serving role and endpoints.
# Run it with:  mlform -chdir=examples/quickstart apply -auto-approve

variable "teams" {
  type = map(object({
    models = map(object({
      instance_type = optional(string)
      min_instances = optional(number)
      max_instances = optional(number)
    }))
  }))
  default = {
    fraud = { models = { scorer = { max_instances = 8 } } }
    recs  = { models = { ranker = {}, embedder = { instance_type = "ml.c5.xlarge" } } }
  }
}

module "team" {
  source   = "../../modules/ml-team"
  for_each = var.teams
  name     = each.key
  models   = { for m, cfg in each.value.models : m => { for k, v in cfg : k => v if v != null } }
  tags     = { environment = "quickstart" }
}

output "endpoints" {
  value = merge([for t in module.team : t.endpoints]...)
}

output "buckets" {
  value = [for t in module.team : t.bucket]
}
