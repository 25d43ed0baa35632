//! Rollback against the real parts: a Deployment whose rollout does not finish on the local
//! API server, and one apply across SageMaker, IAM and S3 on the emulator and Kubernetes
//! that fails midway. The control plane runs no kubelets, so a Deployment with a replica
//! never becomes available, while one at `replicas = 0` completes its rollout: that is the
//! healthy baseline here.

use k8s_openapi::api::apps::v1::Deployment;

use crate::aws::{rt, Moto};
use crate::kubernetes::Cluster;
use crate::support::Workdir;

/// A namespace and a Deployment applied with `wait { rollout = true }`.
fn gateway(image: &str, replicas: u32, env: &str) -> String {
    format!(
        r#"
resource "kubernetes_manifest" "ns" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "Namespace"
    metadata   = {{ name = "serving" }}
  }}
}}

resource "kubernetes_manifest" "gateway" {{
  manifest = {{
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata   = {{ name = "gateway", namespace = kubernetes_manifest.ns.manifest.metadata.name }}
    spec = {{
      replicas = {replicas}
      selector = {{ matchLabels = {{ app = "gateway" }} }}
      template = {{
        metadata = {{ labels = {{ app = "gateway" }} }}
        spec = {{
          containers = [{{ name = "serve", image = "{image}", env = [{env}] }}]
        }}
      }}
    }}
  }}
  wait {{
    rollout = true
  }}
  timeouts {{
    create = "60s"
    update = "4s"
  }}
}}
"#
    )
}

/// The live Deployment's image and replica count.
fn live_gateway(cluster: &Cluster) -> (String, i32) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = cluster.client(&rt);
    let api: kube::Api<Deployment> = kube::Api::namespaced(client, "serving");
    let d = serde_json::to_value(rt.block_on(api.get("gateway")).unwrap()).unwrap();
    let image = d
        .pointer("/spec/template/spec/containers/0/image")
        .and_then(|v| v.as_str())
        .unwrap()
        .to_string();
    let replicas = d
        .pointer("/spec/replicas")
        .and_then(|v| v.as_i64())
        .unwrap_or(1);
    (image, replicas as i32)
}

/// The output from the rollback's header on.
fn rollback_phase(stdout: &str) -> &str {
    let from = stdout
        .find("The apply failed; rolling back")
        .unwrap_or_else(|| panic!("no rollback phase:\n{stdout}"));
    &stdout[from..]
}

fn plan_summary(w: &Workdir) -> String {
    let r = w.run(&["plan", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    r.stdout
        .lines()
        .find(|l| l.starts_with("Plan:"))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_deployment_whose_rollout_times_out_is_rolled_back_to_its_previous_image() {
    let cluster = Cluster::start();
    let w = Workdir::new();
    let provider = cluster.provider_block();
    w.write(
        "main.tf",
        &format!("{provider}{}", gateway("mlform-serve:v1", 0, "")),
    );
    w.ok(&["apply", "-auto-approve", "-no-color"]);
    let before = w.state();

    w.write(
        "main.tf",
        &format!("{provider}{}", gateway("mlform-serve:v2", 1, "")),
    );
    let summary = plan_summary(&w);
    assert_eq!(summary, "Plan: 0 to add, 1 to change, 0 to destroy.");
    let r = w.run(&["apply", "-auto-approve", "-no-color", "-rollback=auto"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("timed out after 4s waiting for Deployment gateway: 0/1 updated"),
        "{}",
        r.stderr
    );
    let undo = rollback_phase(&r.stdout);
    assert!(
        undo.contains("kubernetes_manifest.gateway: Modifications complete"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Rollback complete!"), "{}", r.stdout);

    // The live object and the state are the pre-apply ones; the change is planned again.
    assert_eq!(live_gateway(&cluster), ("mlform-serve:v1".to_string(), 0));
    let gateway_state = |s: &serde_json::Value| {
        s["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "gateway")
            .unwrap()["instances"][0]["attributes"]["manifest"]
            .clone()
    };
    assert_eq!(gateway_state(&w.state()), gateway_state(&before));
    assert_eq!(plan_summary(&w), summary);

    // Without rollback the update stays (as Terraform keeps a failed update), in state too.
    let r = w.run(&["apply", "-auto-approve", "-no-color", "-rollback=off"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(live_gateway(&cluster), ("mlform-serve:v2".to_string(), 1));
    let image = &gateway_state(&w.state())["spec"]["template"]["spec"]["containers"][0]["image"];
    assert_eq!(image, "mlform-serve:v2");
    w.ok(&["destroy", "-auto-approve"]);
}

/// The platform: a serving role, a data bucket and an endpoint on the emulator, and the
/// Kubernetes gateway in front of it. V2 retags the role, adds a canary bucket and a second
/// model with its endpoint configuration, switches the endpoint to it and rolls the gateway
/// out with a replica, which never becomes available.
fn platform(moto: &Moto, cluster: &Cluster, version: &str) -> String {
    let variant = |v: &str| {
        format!(
            r#"
resource "aws_sagemaker_model" "{v}" {{
  name               = "scorer-{v}"
  execution_role_arn = aws_iam_role.serving.arn
  primary_container {{
    image          = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlform-serve:{v}"
    model_data_url = "s3://${{aws_s3_bucket.models.id}}/scorer/{v}/model.onnx"
  }}
}}

resource "aws_sagemaker_endpoint_configuration" "{v}" {{
  name = "scorer-{v}"
  production_variants {{
    variant_name           = "primary"
    model_name             = aws_sagemaker_model.{v}.name
    initial_instance_count = 1
    instance_type          = "ml.m5.large"
  }}
}}
"#
        )
    };
    let v2 = version == "v2";
    let mut text = format!(
        r#"{aws}{k8s}
resource "aws_iam_role" "serving" {{
  name = "rollback-serving"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sagemaker.amazonaws.com" }} }}]
  }})
  tags = {{ model = "{version}" }}
}}

resource "aws_s3_bucket" "models" {{
  bucket        = "rollback-models"
  force_destroy = true
}}

resource "aws_sagemaker_endpoint" "scorer" {{
  name                 = "rollback-scorer"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.{version}.name
}}
{v1}"#,
        aws = moto.provider_block(""),
        k8s = cluster.provider_block(),
        v1 = variant("v1"),
    );
    if v2 {
        text.push_str(&variant("v2"));
        text.push_str(
            r#"
resource "aws_s3_bucket" "canary" {
  bucket        = "rollback-canary"
  force_destroy = true
}
"#,
        );
    }
    let env = r#"{ name = "ENDPOINT", value = aws_sagemaker_endpoint.scorer.name }, { name = "CAPTURES", value = "s3://${aws_s3_bucket.models.id}/captures" }"#;
    let env = if v2 {
        format!(r#"{env}, {{ name = "CANARY", value = aws_s3_bucket.canary.id }}"#)
    } else {
        env.to_string()
    };
    text.push_str(&gateway(
        &format!("mlform-serve:{version}"),
        u32::from(v2),
        &env,
    ));
    text
}

#[test]
fn a_mixed_aws_and_kubernetes_apply_that_fails_midway_rolls_both_back() {
    let moto = Moto::start();
    let cluster = Cluster::start();
    let w = Workdir::new();
    w.write("main.tf", &platform(&moto, &cluster, "v1"));
    w.ok(&["apply", "-auto-approve", "-no-color"]);
    let addresses = w.addresses();
    let before = w.state();

    w.write("main.tf", &platform(&moto, &cluster, "v2"));
    let summary = plan_summary(&w);
    assert_eq!(summary, "Plan: 3 to add, 3 to change, 0 to destroy.");
    let r = w.run_env(
        &["apply", "-auto-approve", "-no-color"],
        &[("MLFORM_ROLLBACK", "auto")],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // The AWS side finished before the gateway failed, and is undone after it, in reverse.
    let undo = rollback_phase(&r.stdout);
    let pos = |s: &str| {
        undo.find(s)
            .unwrap_or_else(|| panic!("{s} missing:\n{}", r.stdout))
    };
    let restored = |a: &str| pos(&format!("{a}: Modifications complete"));
    let deleted = |a: &str| pos(&format!("{a}: Destruction complete"));
    assert!(restored("kubernetes_manifest.gateway") < restored("aws_sagemaker_endpoint.scorer"));
    assert!(
        restored("aws_sagemaker_endpoint.scorer")
            < deleted("aws_sagemaker_endpoint_configuration.v2")
    );
    assert!(deleted("aws_sagemaker_endpoint_configuration.v2") < deleted("aws_sagemaker_model.v2"));
    assert!(restored("kubernetes_manifest.gateway") < deleted("aws_s3_bucket.canary"));
    assert!(restored("aws_iam_role.serving") > 0);
    assert!(r.stdout.contains("Rollback complete!"), "{}", r.stdout);

    // Live objects on both sides are the pre-apply ones.
    assert_eq!(live_gateway(&cluster), ("mlform-serve:v1".to_string(), 0));
    let sm = moto.sagemaker();
    let endpoint = rt()
        .block_on(
            sm.describe_endpoint()
                .endpoint_name("rollback-scorer")
                .send(),
        )
        .unwrap();
    assert_eq!(endpoint.endpoint_config_name(), Some("scorer-v1"));
    assert!(rt()
        .block_on(
            sm.describe_endpoint_config()
                .endpoint_config_name("scorer-v2")
                .send()
        )
        .is_err());
    assert!(rt()
        .block_on(sm.describe_model().model_name("scorer-v2").send())
        .is_err());
    assert!(rt()
        .block_on(moto.s3().head_bucket().bucket("rollback-canary").send())
        .is_err());
    let tags = rt()
        .block_on(
            moto.iam()
                .list_role_tags()
                .role_name("rollback-serving")
                .send(),
        )
        .unwrap();
    let model_tag: Vec<&str> = tags
        .tags()
        .iter()
        .filter(|t| t.key() == "model")
        .map(|t| t.value())
        .collect();
    assert_eq!(model_tag, vec!["v1"]);

    // So is the state, with the history recording the rollback; the change is planned again.
    assert_eq!(w.addresses(), addresses);
    let after = w.state();
    for r in before["resources"].as_array().unwrap() {
        let now = after["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["type"] == r["type"] && x["name"] == r["name"])
            .unwrap();
        assert_eq!(
            now["instances"][0]["attributes"], r["instances"][0]["attributes"],
            "{} {}",
            r["type"], r["name"]
        );
    }
    assert_eq!(after["lineage"], before["lineage"]);
    assert!(after["serial"].as_u64() > before["serial"].as_u64());
    let history = w.ok(&["history", "-json"]);
    let runs: serde_json::Value = serde_json::from_str(&history.stdout).unwrap();
    let last = runs["runs"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["result"], "rolled_back", "{last}");
    assert_eq!(last["rollback"]["deleted"], 3, "{last}");
    assert_eq!(last["rollback"]["restored"], 3, "{last}");
    assert_eq!(plan_summary(&w), summary);
    w.ok(&["destroy", "-auto-approve"]);
}

/// A SageMaker endpoint switched to a new model, then a health gate (`data "http"` with a
/// postcondition) that fails: the endpoint goes back to its configuration, the new model
/// and configuration are deleted, the state is the pre-apply one and the next plan shows
/// the same change again.
#[test]
fn a_failing_gate_after_an_endpoint_update_rolls_the_endpoint_back() {
    let moto = Moto::start();
    let server = crate::serve::Server::start(&[
        "--model",
        crate::serve::models().join("mlp.onnx").to_str().unwrap(),
    ]);
    let config = |version: &str, gate: &str| {
        let variant = |v: &str| {
            format!(
                r#"
resource "aws_sagemaker_model" "{v}" {{
  name               = "gated-{v}"
  execution_role_arn = aws_iam_role.serving.arn
  primary_container {{
    image          = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlform-serve:{v}"
    model_data_url = "s3://gated-models/{v}/model.onnx"
  }}
}}

resource "aws_sagemaker_endpoint_configuration" "{v}" {{
  name = "gated-{v}"
  production_variants {{
    variant_name           = "primary"
    model_name             = aws_sagemaker_model.{v}.name
    initial_instance_count = 1
    instance_type          = "ml.m5.large"
  }}
}}
"#
            )
        };
        let mut text = format!(
            r#"{aws}
resource "aws_iam_role" "serving" {{
  name = "gated-serving"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sagemaker.amazonaws.com" }} }}]
  }})
}}

resource "aws_sagemaker_endpoint" "scorer" {{
  name                 = "gated-scorer"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.{version}.name
}}
{v1}{gate}"#,
            aws = moto.provider_block(""),
            v1 = variant("v1"),
        );
        if version == "v2" {
            text.push_str(&variant("v2"));
        }
        text
    };
    let w = Workdir::new();
    w.write("main.tf", &config("v1", ""));
    w.ok(&["apply", "-auto-approve", "-no-color"]);
    let before = w.state();

    // The model server on loopback stands in for the endpoint's readiness: a model it does
    // not serve answers 404.
    let gate = format!(
        r#"
data "http" "ready" {{
  url        = "http://{}/v2/models/gated-v2/ready"
  depends_on = [aws_sagemaker_endpoint.scorer]

  lifecycle {{
    postcondition {{
      condition     = self.status_code == 200
      error_message = "The endpoint is not ready: HTTP ${{self.status_code}}."
    }}
  }}
}}
"#,
        server.addr
    );
    w.write("main.tf", &config("v2", &gate));
    let summary = plan_summary(&w);
    assert_eq!(summary, "Plan: 2 to add, 1 to change, 0 to destroy.");
    let r = w.run(&["apply", "-auto-approve", "-no-color", "-rollback=auto"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("The endpoint is not ready: HTTP 404."),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("Rollback complete! Resources: 2 deleted, 1 restored, 0 reinstated."),
        "{}",
        r.stdout
    );

    let sm = moto.sagemaker();
    let endpoint = rt()
        .block_on(sm.describe_endpoint().endpoint_name("gated-scorer").send())
        .unwrap();
    assert_eq!(endpoint.endpoint_config_name(), Some("gated-v1"));
    assert!(rt()
        .block_on(
            sm.describe_endpoint_config()
                .endpoint_config_name("gated-v2")
                .send()
        )
        .is_err());
    assert!(rt()
        .block_on(sm.describe_model().model_name("gated-v2").send())
        .is_err());
    let after = w.state();
    assert_eq!(after["resources"], before["resources"]);
    assert_eq!(plan_summary(&w), summary);
    w.write("main.tf", &config("v1", ""));
    w.ok(&["destroy", "-auto-approve"]);
}
