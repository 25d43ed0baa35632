provider "aws" {
  region = "eu-west-1"
}

variable "team" {
  type = string
}

data "aws_caller_identity" "current" {}

resource "aws_s3_bucket" "data" {
  bucket = "${var.team}-training-data"
  tags   = { team = var.team }
}

resource "aws_iam_role" "serving" {
  name = "${var.team}-serving"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "sagemaker.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

output "bucket_arn" {
  value = aws_s3_bucket.data.arn
}

output "role_arn" {
  value = aws_iam_role.serving.arn
}

output "account" {
  value = data.aws_caller_identity.current.account_id
}
