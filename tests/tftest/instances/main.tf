resource "terraform_data" "shard" {
  count = 3
  input = "shard-${count.index}"
}

output "ids" {
  value = terraform_data.shard[*].id
}

output "outputs" {
  value = terraform_data.shard[*].output
}
