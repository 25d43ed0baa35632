//! The Kubernetes provider against a real API server: `tests/k8s/cluster.sh` builds (once,
//! cached) and starts etcd, kube-apiserver and kube-controller-manager on loopback for each
//! test; with `KUBECONFIG` set, the tests run against that cluster instead.

use std::path::{Path, PathBuf};
use std::process::Command;

use kube::api::{Patch, PatchParams};
use serde_json::json;

use crate::support::Workdir;

/// A running local control plane (or the one `KUBECONFIG` names), stopped on drop.
pub struct Cluster {
    dir: Option<tempfile::TempDir>,
    pub kubeconfig: PathBuf,
}

impl Cluster {
    pub fn start() -> Cluster {
        if let Some(k) = std::env::var_os("KUBECONFIG").filter(|k| !k.is_empty()) {
            return Cluster {
                dir: None,
                kubeconfig: PathBuf::from(k),
            };
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/k8s/cluster.sh");
        // Build (or find) the binaries once per test run, before clusters start in parallel.
        static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
        BUILT.get_or_init(|| {
            let ok = Command::new("bash")
                .arg(&script)
                .arg("build")
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "tests/k8s/cluster.sh build failed");
        });
        let dir = tempfile::tempdir().expect("cluster dir");
        let out = Command::new("bash")
            .arg(&script)
            .arg("start")
            .arg(dir.path())
            .output()
            .expect("run cluster.sh");
        assert!(
            out.status.success(),
            "cluster.sh start failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let kubeconfig = dir.path().join("kubeconfig");
        Cluster {
            dir: Some(dir),
            kubeconfig,
        }
    }

    pub fn provider_block(&self) -> String {
        format!(
            "provider \"kubernetes\" {{\n  config_path = \"{}\"\n}}\n",
            self.kubeconfig.display()
        )
    }

    /// A client on `rt`, which must outlive it (the client's connection task runs there).
    pub fn client(&self, rt: &tokio::runtime::Runtime) -> kube::Client {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        rt.block_on(async {
            let file = kube::config::Kubeconfig::read_from(&self.kubeconfig).unwrap();
            let config = kube::Config::from_custom_kubeconfig(file, &Default::default())
                .await
                .unwrap();
            kube::Client::try_from(config).unwrap()
        })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/k8s/cluster.sh");
            let _ = Command::new("bash")
                .arg(script)
                .arg("stop")
                .arg(dir.path())
                .status();
        }
    }
}

/// The HorizontalPodAutoscaler version the cluster serves: autoscaling/v2 from 1.23 on,
/// v2beta2 before (1.20, the local API server).
fn hpa_version(cluster: &Cluster) -> &'static str {
    let rt = crate::aws::rt();
    let client = cluster.client(&rt);
    if rt
        .block_on(client.list_api_group_resources("autoscaling/v2"))
        .is_ok()
    {
        "autoscaling/v2"
    } else {
        "autoscaling/v2beta2"
    }
}

fn apps(cluster: &Cluster, data_mode: &str, image: &str, force: bool) -> String {
    let force_block = if force {
        "\n  field_manager {\n    force_conflicts = true\n  }"
    } else {
        ""
    };
    format!(
        r#"{provider}
resource "kubernetes_namespace" "apps" {{
  metadata {{
    name   = "apps"
    labels = {{ team = "ml" }}
  }}
}}

resource "kubernetes_manifest" "settings" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata = {{
      name      = "settings"
      namespace = kubernetes_namespace.apps.metadata[0].name
    }}
    data = {{
      mode      = "{data_mode}"
      threshold = "0.5"
    }}
  }}{force_block}
}}

resource "kubernetes_manifest" "scorer" {{
  manifest = {{
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata = {{
      name      = "scorer"
      namespace = kubernetes_namespace.apps.metadata[0].name
      labels    = {{ app = "scorer" }}
    }}
    spec = {{
      selector = {{ matchLabels = {{ app = "scorer" }} }}
      template = {{
        metadata = {{ labels = {{ app = "scorer" }} }}
        spec = {{
          containers = [{{
            name  = "serve"
            image = "{image}"
            ports = [{{ containerPort = 8080, protocol = "TCP" }}]
            resources = {{
              limits = {{ cpu = "1", memory = "1Gi" }}
            }}
          }}]
        }}
      }}
    }}
  }}
}}

resource "kubernetes_manifest" "scorer_service" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "Service"
    metadata = {{
      name      = "scorer"
      namespace = kubernetes_namespace.apps.metadata[0].name
    }}
    spec = {{
      selector = {{ app = "scorer" }}
      ports    = [{{ name = "http", port = 80, targetPort = 8080, protocol = "TCP" }}]
    }}
  }}
}}

resource "kubernetes_manifest" "scorer_hpa" {{
  manifest = {{
    apiVersion = "{hpa}"
    kind       = "HorizontalPodAutoscaler"
    metadata = {{
      name      = "scorer"
      namespace = kubernetes_namespace.apps.metadata[0].name
    }}
    spec = {{
      scaleTargetRef = {{ apiVersion = "apps/v1", kind = "Deployment", name = "scorer" }}
      minReplicas    = 1
      maxReplicas    = 5
      metrics = [{{
        type     = "Resource"
        resource = {{ name = "cpu", target = {{ type = "Utilization", averageUtilization = 70 }} }}
      }}]
    }}
  }}
}}

resource "kubernetes_manifest" "crd" {{
  manifest = {{
    apiVersion = "apiextensions.k8s.io/v1"
    kind       = "CustomResourceDefinition"
    metadata   = {{ name = "trainingruns.ml.mlform.dev" }}
    spec = {{
      group = "ml.mlform.dev"
      scope = "Namespaced"
      names = {{ plural = "trainingruns", singular = "trainingrun", kind = "TrainingRun" }}
      versions = [{{
        name    = "v1"
        served  = true
        storage = true
        schema = {{
          openAPIV3Schema = {{
            type = "object"
            properties = {{
              spec = {{
                type = "object"
                properties = {{
                  epochs = {{ type = "integer" }}
                  image  = {{ type = "string" }}
                }}
              }}
            }}
          }}
        }}
      }}]
    }}
  }}
}}

resource "kubernetes_manifest" "run" {{
  manifest = {{
    apiVersion = "ml.mlform.dev/v1"
    kind       = "TrainingRun"
    metadata = {{
      name      = "nightly"
      namespace = kubernetes_namespace.apps.metadata[0].name
    }}
    spec = {{
      epochs = 10
      image  = "trainer:1"
    }}
  }}
  depends_on = [kubernetes_manifest.crd]
}}

data "kubernetes_resource" "settings" {{
  api_version = "v1"
  kind        = "ConfigMap"
  metadata {{
    name      = "settings"
    namespace = "apps"
  }}
  depends_on = [kubernetes_manifest.settings]
}}

output "settings_mode" {{
  value = data.kubernetes_resource.settings.object.data.mode
}}
"#,
        provider = cluster.provider_block(),
        hpa = hpa_version(cluster),
    )
}

#[test]
fn manifests_apply_show_ownership_drift_conflicts_import_and_destroy() {
    let cluster = Cluster::start();
    let w = Workdir::new();
    w.write("main.tf", &apps(&cluster, "batch", "scorer:1", false));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("7 added"), "{}", r.stdout);
    assert_eq!(w.ok(&["output", "-raw", "settings_mode"]).stdout, "batch");
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // Updates in place: a ConfigMap value and the Deployment's image.
    w.write("main.tf", &apps(&cluster, "online", "scorer:2", false));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("0 added, 2 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    // Another manager scales the Deployment (as an HPA does): mlform never set replicas, so
    // that is not drift.
    let rt = crate::aws::rt();
    let client = cluster.client(&rt);
    let deployments: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
        kube::Api::namespaced(client.clone(), "apps");
    let by = |manager: &str| PatchParams {
        field_manager: Some(manager.into()),
        ..Default::default()
    };
    rt.block_on(deployments.patch(
        "scorer",
        &by("horizontal-pod-autoscaler"),
        &Patch::Merge(json!({"spec": {"replicas": 3}})),
    ))
    .unwrap();
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // Another manager changes a field mlform owns: drift, then a conflict on apply.
    let config_maps: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
        kube::Api::namespaced(client, "apps");
    rt.block_on(config_maps.patch(
        "settings",
        &by("kubectl-edit"),
        &Patch::Merge(json!({"data": {"mode": "rogue"}})),
    ))
    .unwrap();
    let r = w.run(&["plan", "-refresh-only", "-no-color"]);
    assert!(
        r.stdout
            .contains("kubernetes_manifest.settings has changed"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\"rogue\""), "{}", r.stdout);
    assert!(
        !r.stdout.contains("kubernetes_manifest.scorer has changed"),
        "{}",
        r.stdout
    );
    let r = w.run(&["plan", "-no-color"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("apply conflict"), "{}", r.stderr);
    assert!(r.stderr.contains("force_conflicts"), "{}", r.stderr);
    w.write("main.tf", &apps(&cluster, "online", "scorer:2", true));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let live = rt.block_on(config_maps.get("settings")).unwrap();
    assert_eq!(live.data.unwrap()["mode"], "online");
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    // mlform owns the field again: the configuration can drop force_conflicts.
    w.write("main.tf", &apps(&cluster, "online", "scorer:2", false));
    w.ok(&["apply", "-auto-approve"]);

    // Import into an empty state reads back what mlform applied: no changes.
    for (address, id) in [
        (
            "kubernetes_manifest.settings",
            "apiVersion=v1,kind=ConfigMap,namespace=apps,name=settings",
        ),
        (
            "kubernetes_manifest.scorer",
            "apiVersion=apps/v1,kind=Deployment,namespace=apps,name=scorer",
        ),
        ("kubernetes_namespace.apps", "apps"),
    ] {
        w.ok(&["state", "rm", address]);
        w.ok(&["import", address, id]);
    }
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    let r = w.run(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(w.addresses().is_empty());
    let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> =
        kube::Api::all(cluster.client(&rt));
    assert!(rt.block_on(namespaces.get_opt("apps")).unwrap().is_none());
}

#[test]
fn training_sandbox_applies_in_dependency_order() {
    let cluster = Cluster::start();
    let w = Workdir::new();
    // One manifest comes from YAML, as teams keep them.
    w.write(
        "limits.yaml",
        "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: defaults\n  namespace: sandbox-alice\nspec:\n  limits:\n    - type: Container\n      default:\n        cpu: \"1\"\n        memory: 2Gi\n      defaultRequest:\n        cpu: 500m\n        memory: 1Gi\n",
    );
    w.write(
        "main.tf",
        &format!(
            r#"{provider}
resource "kubernetes_namespace" "sandbox" {{
  metadata {{
    name   = "sandbox-alice"
    labels = {{ purpose = "training-sandbox" }}
  }}
}}

locals {{
  ns = kubernetes_namespace.sandbox.metadata[0].name
}}

resource "kubernetes_manifest" "quota" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "ResourceQuota"
    metadata   = {{ name = "compute", namespace = local.ns }}
    spec = {{
      hard = {{ "requests.cpu" = "8", "requests.memory" = "32Gi", "limits.cpu" = "16", "limits.memory" = "64Gi", pods = "20" }}
    }}
  }}
}}

resource "kubernetes_manifest" "limits" {{
  manifest   = yamldecode(file("${{path.module}}/limits.yaml"))
  depends_on = [kubernetes_namespace.sandbox]
}}

resource "kubernetes_manifest" "deny_all" {{
  manifest = {{
    apiVersion = "networking.k8s.io/v1"
    kind       = "NetworkPolicy"
    metadata   = {{ name = "default-deny", namespace = local.ns }}
    spec = {{
      podSelector = {{}}
      policyTypes = ["Ingress", "Egress"]
    }}
  }}
}}

resource "kubernetes_manifest" "trainer" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "ServiceAccount"
    metadata   = {{ name = "trainer", namespace = local.ns }}
  }}
}}

resource "kubernetes_manifest" "trainer_binding" {{
  manifest = {{
    apiVersion = "rbac.authorization.k8s.io/v1"
    kind       = "RoleBinding"
    metadata   = {{ name = "trainer-edit", namespace = local.ns }}
    roleRef    = {{ apiGroup = "rbac.authorization.k8s.io", kind = "ClusterRole", name = "edit" }}
    subjects = [{{
      kind      = "ServiceAccount"
      name      = kubernetes_manifest.trainer.manifest.metadata.name
      namespace = local.ns
    }}]
  }}
}}
"#,
            provider = cluster.provider_block()
        ),
    );
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("6 added"), "{}", r.stdout);
    let pos = |s: &str| {
        r.stdout
            .find(s)
            .unwrap_or_else(|| panic!("{s} missing:\n{}", r.stdout))
    };
    let ns_done = pos("kubernetes_namespace.sandbox: Creation complete");
    for dependent in [
        "kubernetes_manifest.quota: Creating...",
        "kubernetes_manifest.limits: Creating...",
        "kubernetes_manifest.deny_all: Creating...",
        "kubernetes_manifest.trainer: Creating...",
    ] {
        assert!(ns_done < pos(dependent), "{dependent} before the namespace");
    }
    assert!(
        pos("kubernetes_manifest.trainer: Creation complete")
            < pos("kubernetes_manifest.trainer_binding: Creating...")
    );
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // A sandbox with quota and default-deny passes the namespace checks.
    let r = w.run(&["check", "-no-color", "-severity-threshold=note"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = w.run(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(w.addresses().is_empty());
}

/// `wait` blocks until fields and conditions hold, and a rollout that cannot finish (this
/// control plane runs no kubelets) fails at its timeout with what is still pending.
#[test]
fn waits_for_fields_and_report_rollouts_that_do_not_finish() {
    let cluster = Cluster::start();
    let w = Workdir::new();
    w.write(
        "main.tf",
        &format!(
            r#"{provider}
resource "kubernetes_manifest" "ns" {{
  manifest = {{
    apiVersion = "v1"
    kind       = "Namespace"
    metadata   = {{ name = "waits" }}
  }}
  wait {{
    fields = {{ "status.phase" = "Active" }}
  }}
}}

resource "kubernetes_manifest" "web" {{
  manifest = {{
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata   = {{ name = "web", namespace = kubernetes_manifest.ns.manifest.metadata.name }}
    spec = {{
      replicas = 2
      selector = {{ matchLabels = {{ app = "web" }} }}
      template = {{
        metadata = {{ labels = {{ app = "web" }} }}
        spec     = {{ containers = [{{ name = "web", image = "nginx:1.27" }}] }}
      }}
    }}
  }}
  wait {{
    rollout = true
  }}
  timeouts {{
    create = "3s"
  }}
}}
"#,
            provider = cluster.provider_block()
        ),
    );
    // Policy checks see the missing limits, quota and default-deny policy.
    let r = w.run(&["check", "-format=json", "-severity-threshold=warning"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let found = crate::support::rule_ids(&r.stdout);
    let rules: Vec<&str> = found.iter().map(String::as_str).collect();
    for rule in ["MLF401", "MLF402", "MLF403"] {
        assert!(rules.contains(&rule), "{rule} missing: {rules:?}");
    }

    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("kubernetes_manifest.ns: Creation complete"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains("timed out after 3s waiting for Deployment web"),
        "{}",
        r.stderr
    );
    // The deployment that timed out exists, so it is kept in state, tainted as Terraform
    // keeps a create that failed partway, and the next plan replaces it.
    assert_eq!(
        w.addresses(),
        vec![
            "kubernetes_manifest.ns".to_string(),
            "kubernetes_manifest.web".to_string()
        ]
    );
    let web = &w.state()["resources"][1]["instances"][0];
    assert_eq!(web["status"], "tainted", "{web}");
    let r = w.run(&["plan", "-no-color"]);
    assert!(
        r.stdout
            .contains("# kubernetes_manifest.web is tainted, so must be replaced"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{}",
        r.stdout
    );
    w.ok(&["plan", "-out=tainted.plan"]);
    let shown: serde_json::Value =
        serde_json::from_str(&w.ok(&["show", "-json", "tainted.plan"]).stdout).unwrap();
    let web = shown["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "kubernetes_manifest.web")
        .unwrap();
    assert_eq!(web["action_reason"], "replace_because_tainted", "{web}");
    w.ok(&["destroy", "-auto-approve"]);
}

#[test]
fn typed_resources_have_list_metadata_and_keep_secrets_out_of_plans() {
    let cluster = Cluster::start();
    let w = Workdir::new();
    let config = |model: &str, token: &str| {
        format!(
            r#"{provider}
resource "kubernetes_namespace" "serving" {{
  metadata {{
    name   = "serving"
    labels = {{ team = "vision" }}
  }}
}}

resource "kubernetes_config_map" "model" {{
  metadata {{
    name      = "model-config"
    namespace = kubernetes_namespace.serving.metadata[0].name
  }}
  data = {{
    MODEL_URI = "{model}"
  }}
}}

resource "kubernetes_secret" "registry" {{
  metadata {{
    name      = "registry-token"
    namespace = kubernetes_namespace.serving.metadata[0].name
  }}
  data = {{
    token = "{token}"
  }}
}}

resource "kubernetes_service_account" "server" {{
  metadata {{
    name      = "model-server"
    namespace = kubernetes_namespace.serving.metadata[0].name
  }}
  automount_service_account_token = false
}}

output "config_map_id" {{
  value = kubernetes_config_map.model.id
}}

output "namespace_uid" {{
  value = kubernetes_namespace.serving.metadata[0].uid
}}
"#,
            provider = cluster.provider_block()
        )
    };
    w.write(
        "main.tf",
        &config("s3://models/resnet/1", "tok-3f9a-secret"),
    );
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("4 added"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("config_map_id = \"serving/model-config\""),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("tok-3f9a-secret"), "{}", r.stdout);
    // The API holds what the resources said: the secret base64-encoded, as the provider does.
    let rt = crate::aws::rt();
    let client = cluster.client(&rt);
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(client.clone(), "serving");
    let s = rt.block_on(secrets.get("registry-token")).unwrap();
    assert_eq!(s.type_.as_deref(), Some("Opaque"));
    assert_eq!(
        s.data.unwrap().get("token").map(|b| b.0.clone()),
        Some(b"tok-3f9a-secret".to_vec())
    );
    let sas: kube::Api<k8s_openapi::api::core::v1::ServiceAccount> =
        kube::Api::namespaced(client.clone(), "serving");
    let sa = rt.block_on(sas.get("model-server")).unwrap();
    assert_eq!(sa.automount_service_account_token, Some(false));
    // Re-plan is clean.
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // A new model URI updates the config map in place; a new token never shows.
    w.write(
        "main.tf",
        &config("s3://models/resnet/2", "tok-77aa-rotated"),
    );
    let r = w.run(&["plan", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("~ resource \"kubernetes_config_map\" \"model\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("\"s3://models/resnet/2\""),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("tok-77aa") && !r.stdout.contains("tok-3f9a"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("2 to change"), "{}", r.stdout);
    w.ok(&["apply", "-auto-approve"]);
    // Drift: a value changed with kubectl shows as changed outside mlform.
    let maps: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
        kube::Api::namespaced(client.clone(), "serving");
    rt.block_on(maps.patch(
        "model-config",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"MODEL_URI": "s3://models/hotfix"}})),
    ))
    .unwrap();
    let r = w.run(&["plan", "-refresh-only", "-no-color"]);
    assert!(r.stdout.contains("changed outside"), "{}", r.stdout);
    let r = w.run(&["plan", "-no-color"]);
    assert!(
        r.stdout
            .contains("\"s3://models/hotfix\" -> \"s3://models/resnet/2\""),
        "{}",
        r.stdout
    );
    // Import by NAMESPACE/NAME, as terraform-provider-kubernetes takes it.
    let other = Workdir::new();
    other.write(
        "main.tf",
        &format!(
            "{}resource \"kubernetes_config_map\" \"adopted\" {{\n  metadata {{\n    name      = \"model-config\"\n    namespace = \"serving\"\n  }}\n  data = {{\n    MODEL_URI = \"s3://models/hotfix\"\n  }}\n}}\n",
            cluster.provider_block()
        ),
    );
    other.ok(&[
        "import",
        "kubernetes_config_map.adopted",
        "serving/model-config",
    ]);
    let r = other.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt.block_on(maps.get_opt("model-config")).unwrap().is_none());
}
