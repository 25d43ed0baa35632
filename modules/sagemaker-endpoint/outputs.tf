output "endpoint_name" {
  value = aws_sagemaker_endpoint.this.name
}

output "endpoint_arn" {
  value = aws_sagemaker_endpoint.this.arn
}

output "model_name" {
  value = aws_sagemaker_model.this.name
}

output "alarm_topic_arn" {
  value = local.topic_arn
}

output "alarm_names" {
  description = "The latency and error alarms (which roll a deployment back) and the anomaly alarm."
  value = [
    aws_cloudwatch_metric_alarm.latency.alarm_name,
    aws_cloudwatch_metric_alarm.errors.alarm_name,
    aws_cloudwatch_metric_alarm.latency_anomaly.alarm_name,
  ]
}

output "monitoring_schedule_name" {
  value = var.monitor == null ? null : aws_sagemaker_monitoring_schedule.this[0].name
}
