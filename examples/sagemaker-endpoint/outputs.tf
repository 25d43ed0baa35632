output "endpoint_name" {
  value = aws_sagemaker_endpoint.scorer.name
}

output "model_name" {
  value = aws_sagemaker_model.scorer.name
}

output "model_data_url" {
  value = aws_sagemaker_model.scorer.primary_container[0].model_data_url
}
