//! The endpoint modules under modules/: each applies against the real parts (the local API
//! server, the emulator), re-plans clean and destroys, fed by resources of the root module.

use std::path::Path;

use kube::api::{ApiResource, DynamicObject, GroupVersionKind};

use crate::kubernetes::Cluster;
use crate::support::{copy_dir, Workdir};

fn module_into(w: &Workdir, name: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let to = w.path().join("modules").join(name);
    std::fs::create_dir_all(&to).unwrap();
    copy_dir(&root.join("modules").join(name), &to);
}

/// A minimal CustomResourceDefinition for a Prometheus Operator kind: the tests need the
/// kind served, not its schema.
fn crd(plural: &str, kind: &str) -> String {
    format!(
        r#"
resource "kubernetes_manifest" "{plural}" {{
  manifest = {{
    apiVersion = "apiextensions.k8s.io/v1"
    kind       = "CustomResourceDefinition"
    metadata   = {{ name = "{plural}.monitoring.coreos.com" }}
    spec = {{
      group = "monitoring.coreos.com"
      scope = "Namespaced"
      names = {{ plural = "{plural}", kind = "{kind}", listKind = "{kind}List" }}
      versions = [{{
        name    = "v1"
        served  = true
        storage = true
        schema  = {{ openAPIV3Schema = {{ type = "object", "x-kubernetes-preserve-unknown-fields" = true }} }}
      }}]
    }}
  }}
}}
"#
    )
}

fn k8s_endpoint_root(cluster: &Cluster, extra: &str) -> String {
    format!(
        r#"{provider}
resource "kubernetes_namespace" "serving" {{
  metadata {{
    name = "serving"
  }}
}}

module "scorer" {{
  source    = "./modules/k8s-onnx-endpoint"
  name      = "scorer"
  namespace = kubernetes_namespace.serving.metadata[0].name
  image     = "127.0.0.1:5000/mlform-serve:1"

  min_replicas = 2
  max_replicas = 6
  server       = {{ max_queue = 128, request_timeout_ms = 2000 }}
  # The local control plane runs no kubelets: no pod ever becomes ready.
  wait_for_rollout = false
  api_versions     = {{ hpa = "autoscaling/v2beta2", pdb = "policy/v1beta1" }}
{extra}}}

output "url" {{
  value = module.scorer.url
}}

output "alerts" {{
  value = module.scorer.alerts
}}
"#,
        provider = cluster.provider_block()
    )
}

#[test]
fn k8s_onnx_endpoint_module_applies_replans_clean_and_destroys() {
    let cluster = Cluster::start();
    let crds = Workdir::new();
    crds.write(
        "main.tf",
        &format!(
            "{}{}{}",
            cluster.provider_block(),
            crd("prometheusrules", "PrometheusRule"),
            crd("servicemonitors", "ServiceMonitor")
        ),
    );
    crds.ok(&["apply", "-auto-approve"]);

    let w = Workdir::new();
    module_into(&w, "k8s-onnx-endpoint");
    w.write("main.tf", &k8s_endpoint_root(&cluster, ""));
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(
        r.stdout
            .contains("Apply complete! Resources: 7 added, 0 changed, 0 destroyed."),
        "{}",
        r.stdout
    );
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "re-plan is clean:\n{}{}", r.stdout, r.stderr);

    let url = w.ok(&["output", "-raw", "url"]);
    assert_eq!(url.stdout, "http://scorer.serving.svc:8080");
    let alerts = w.ok(&["output", "-json", "alerts"]);
    let alerts: Vec<String> = serde_json::from_str(&alerts.stdout).unwrap();
    assert_eq!(
        alerts,
        [
            "OnnxEndpointQueueSaturating",
            "OnnxEndpointSheddingRequests",
            "OnnxEndpointTimingOut",
            "OnnxEndpointLatencyHigh"
        ]
    );

    // What the API server holds: the probes, the rule on the leading indicators.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = cluster.client(&rt);
    let deployments: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
        kube::Api::namespaced(client.clone(), "serving");
    let d = serde_json::to_value(rt.block_on(deployments.get("scorer")).unwrap()).unwrap();
    let container = d.pointer("/spec/template/spec/containers/0").unwrap();
    assert_eq!(
        container.pointer("/readinessProbe/httpGet/path"),
        Some(&serde_json::json!("/v2/health/ready"))
    );
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(args
        .windows(2)
        .any(|a| a[0] == "--max-queue" && a[1] == "128"));
    let gvk = GroupVersionKind::gvk("monitoring.coreos.com", "v1", "PrometheusRule");
    let rules: kube::Api<DynamicObject> =
        kube::Api::namespaced_with(client, "serving", &ApiResource::from_gvk(&gvk));
    let rule = rt.block_on(rules.get("scorer")).unwrap();
    let saturating = &rule.data["spec"]["groups"][0]["rules"][0];
    assert_eq!(saturating["alert"], "OnnxEndpointQueueSaturating");
    assert_eq!(
        saturating["expr"],
        "max by (model) (mlform_serve_queue_utilization_ratio{namespace=\"serving\",service=\"scorer\"}) > 0.5"
    );

    // A changed threshold is an in-place update of the rule only.
    w.write(
        "main.tf",
        &k8s_endpoint_root(&cluster, "  alerts = { queue_utilization = 0.7 }\n"),
    );
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(
        r.stdout
            .contains("Apply complete! Resources: 0 added, 1 changed, 0 destroyed."),
        "{}",
        r.stdout
    );
    assert_eq!(
        w.run(&["plan", "-detailed-exitcode"]).code,
        0,
        "re-plan after the update is clean"
    );

    let r = w.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(
        r.stdout
            .contains("Destroy complete! Resources: 7 destroyed."),
        "{}",
        r.stdout
    );
    assert!(w.addresses().is_empty());
    crds.ok(&["destroy", "-auto-approve"]);
}

#[test]
fn k8s_onnx_endpoint_module_refuses_an_autoscaler_with_nothing_to_do() {
    let cluster = Cluster::start();
    let w = Workdir::new();
    module_into(&w, "k8s-onnx-endpoint");
    w.write(
        "main.tf",
        &k8s_endpoint_root(&cluster, "  max_replicas = 2\n").replace("  max_replicas = 6\n", ""),
    );
    let r = w.run(&["plan", "-no-color"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(
            "max_replicas must be above min_replicas, or the autoscaler has nothing to do."
        ),
        "{}",
        r.stderr
    );
}

fn sagemaker_endpoint_root(moto: &crate::aws::Moto, model_key: &str, extra: &str) -> String {
    format!(
        r#"{provider}
resource "aws_s3_bucket" "models" {{
  bucket        = "scorer-models"
  force_destroy = true
}}

resource "aws_s3_object" "model" {{
  bucket  = aws_s3_bucket.models.id
  key     = "{model_key}"
  content = "weights"
}}

resource "aws_iam_role" "serving" {{
  name = "scorer-serving"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sagemaker.amazonaws.com" }} }}]
  }})
}}

module "scorer" {{
  source             = "./modules/sagemaker-endpoint"
  name               = "scorer"
  image              = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlform-serve:1"
  model_data_url     = "s3://${{aws_s3_bucket.models.id}}/${{aws_s3_object.model.key}}"
  execution_role_arn = aws_iam_role.serving.arn
  min_instances      = 1
  max_instances      = 4
  capture_s3_uri     = "s3://${{aws_s3_bucket.models.id}}/captures"
  monitor = {{
    image_uri     = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
    role_arn      = aws_iam_role.serving.arn
    output_s3_uri = "s3://${{aws_s3_bucket.models.id}}/monitoring"
  }}
  tags = {{ team = "ml" }}
{extra}}}

output "alarms" {{
  value = module.scorer.alarm_names
}}

output "schedule" {{
  value = module.scorer.monitoring_schedule_name
}}
"#,
        provider = moto.provider_block("")
    )
}

#[test]
fn sagemaker_endpoint_module_applies_rolls_out_replans_clean_and_destroys() {
    let moto = crate::aws::Moto::start();
    let w = Workdir::new();
    module_into(&w, "sagemaker-endpoint");
    w.write(
        "main.tf",
        &sagemaker_endpoint_root(&moto, "scorer/v1/model.onnx", ""),
    );
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(
        r.stdout
            .contains("Apply complete! Resources: 14 added, 0 changed, 0 destroyed."),
        "{}",
        r.stdout
    );
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "re-plan is clean:\n{}{}", r.stdout, r.stderr);
    let alarms: Vec<String> =
        serde_json::from_str(&w.ok(&["output", "-json", "alarms"]).stdout).unwrap();
    assert_eq!(
        alarms,
        ["scorer-p99-latency", "scorer-5xx", "scorer-latency-anomaly"]
    );
    assert_eq!(
        w.ok(&["output", "-raw", "schedule"]).stdout,
        "scorer-data-quality"
    );

    // Nothing the monitoring checks would flag: the endpoint is watched, the alarms page
    // someone, the autoscaling can scale.
    let check = w.run(&["check", "-format=json", "-severity-threshold=warning"]);
    let found = crate::support::rule_ids(&check.stdout);
    let rules: Vec<&str> = found.iter().map(String::as_str).collect();
    for rule in ["MLF302", "MLF305", "MLF306"] {
        assert!(!rules.contains(&rule), "{rule} flagged: {}", check.stdout);
    }

    // What SageMaker holds: blue/green with both alarms as rollback triggers, capture on.
    let sm = moto.sagemaker();
    let rt = crate::aws::rt();
    let endpoint = rt
        .block_on(sm.describe_endpoint().endpoint_name("scorer").send())
        .unwrap();
    let config_name = endpoint.endpoint_config_name().unwrap().to_string();
    let config = rt
        .block_on(
            sm.describe_endpoint_config()
                .endpoint_config_name(&config_name)
                .send(),
        )
        .unwrap();
    assert_eq!(
        config
            .data_capture_config()
            .and_then(|c| c.destination_s3_uri()),
        Some("s3://scorer-models/captures")
    );

    // A new model artifact rolls out: a new model and configuration, the endpoint switched,
    // the plan listing the alarms and rollback that guard it.
    w.write(
        "main.tf",
        &sagemaker_endpoint_root(&moto, "scorer/v2/model.onnx", ""),
    );
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("Plan: 3 to add, 1 to change, 3 to destroy."),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("scorer-p99-latency"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve", "-no-color"]);
    let endpoint = rt
        .block_on(sm.describe_endpoint().endpoint_name("scorer").send())
        .unwrap();
    assert_ne!(endpoint.endpoint_config_name(), Some(config_name.as_str()));
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "re-plan is clean:\n{}{}", r.stdout, r.stderr);

    let r = w.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(
        r.stdout
            .contains("Destroy complete! Resources: 14 destroyed."),
        "{}",
        r.stdout
    );
    assert!(w.addresses().is_empty());
}
