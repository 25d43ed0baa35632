//! The typed workload and policy kinds (terraform-provider-kubernetes's schemas, nested
//! blocks as lists) against the local API server: a serving namespace with a deployment,
//! a service, an autoscaler, RBAC, a quota, a limit range and a network policy applies,
//! re-plans clean despite the server's defaults, updates in place, shows drift, replaces
//! on a force-new change, imports and destroys.

use kube::api::{Patch, PatchParams};
use serde_json::json;

use crate::kubernetes::Cluster;
use crate::support::{squash, Workdir};

fn serving(provider: &str, image: &str, role: &str) -> String {
    format!(
        r#"{provider}
resource "kubernetes_namespace_v1" "serving" {{
  metadata {{
    name = "serving"
  }}
}}

locals {{
  ns = kubernetes_namespace_v1.serving.metadata[0].name
}}

resource "kubernetes_service_account_v1" "server" {{
  metadata {{
    name      = "model-server"
    namespace = local.ns
  }}
}}

resource "kubernetes_config_map_v1" "model" {{
  metadata {{
    name      = "model"
    namespace = local.ns
  }}
  data = {{ MODEL_NAME = "resnet" }}
}}

resource "kubernetes_deployment_v1" "web" {{
  metadata {{
    name      = "web"
    namespace = local.ns
    labels    = {{ app = "web" }}
  }}
  spec {{
    replicas = 0
    selector {{
      match_labels = {{ app = "web" }}
    }}
    template {{
      metadata {{
        labels = {{ app = "web" }}
      }}
      spec {{
        service_account_name = kubernetes_service_account_v1.server.metadata[0].name
        container {{
          name  = "server"
          image = "{image}"
          args  = ["serve", "--port", "8080"]
          port {{
            container_port = 8080
            name           = "http"
          }}
          env {{
            name  = "MODEL_NAME"
            value = "resnet"
          }}
          env {{
            name = "POD_NAME"
            value_from {{
              field_ref {{
                field_path = "metadata.name"
              }}
            }}
          }}
          resources {{
            limits   = {{ cpu = "0.5", memory = "1Gi" }}
            requests = {{ cpu = "250m", memory = "512Mi" }}
          }}
          readiness_probe {{
            http_get {{
              path = "/v2/health/ready"
              port = "8080"
            }}
            period_seconds = 5
          }}
          volume_mount {{
            name       = "model"
            mount_path = "/etc/model"
            read_only  = true
          }}
        }}
        volume {{
          name = "model"
          config_map {{
            name = kubernetes_config_map_v1.model.metadata[0].name
          }}
        }}
      }}
    }}
  }}
}}

resource "kubernetes_service_v1" "web" {{
  metadata {{
    name      = "web"
    namespace = local.ns
  }}
  spec {{
    selector = {{ app = "web" }}
    port {{
      name        = "http"
      port        = 80
      target_port = "8080"
    }}
  }}
}}

resource "kubernetes_horizontal_pod_autoscaler_v2" "web" {{
  metadata {{
    name      = "web"
    namespace = local.ns
  }}
  spec {{
    min_replicas = 1
    max_replicas = 4
    scale_target_ref {{
      api_version = "apps/v1"
      kind        = "Deployment"
      name        = kubernetes_deployment_v1.web.metadata[0].name
    }}
    metric {{
      type = "Resource"
      resource {{
        name = "cpu"
        target {{
          type                = "Utilization"
          average_utilization = 70
        }}
      }}
    }}
  }}
}}

resource "kubernetes_role_v1" "reader" {{
  metadata {{
    name      = "{role}"
    namespace = local.ns
  }}
  rule {{
    api_groups = [""]
    resources  = ["configmaps", "secrets"]
    verbs      = ["get", "list", "watch"]
  }}
}}

resource "kubernetes_role_binding_v1" "server" {{
  metadata {{
    name      = "model-server"
    namespace = local.ns
  }}
  role_ref {{
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = kubernetes_role_v1.reader.metadata[0].name
  }}
  subject {{
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.server.metadata[0].name
    namespace = local.ns
  }}
}}

resource "kubernetes_resource_quota_v1" "serving" {{
  metadata {{
    name      = "serving"
    namespace = local.ns
  }}
  spec {{
    hard = {{ pods = "20", "limits.cpu" = "8", "limits.memory" = "16Gi" }}
  }}
}}

resource "kubernetes_limit_range_v1" "serving" {{
  metadata {{
    name      = "serving"
    namespace = local.ns
  }}
  spec {{
    limit {{
      type    = "Container"
      default = {{ cpu = "1", memory = "1Gi" }}
    }}
  }}
}}

resource "kubernetes_network_policy_v1" "web" {{
  metadata {{
    name      = "web"
    namespace = local.ns
  }}
  spec {{
    pod_selector {{
      match_labels = {{ app = "web" }}
    }}
    ingress {{
      from {{
        namespace_selector {{
          match_labels = {{ team = "gateway" }}
        }}
      }}
      ports {{
        port     = "8080"
        protocol = "TCP"
      }}
    }}
    policy_types = ["Ingress"]
  }}
}}

output "cluster_ip" {{
  value = kubernetes_service_v1.web.spec[0].cluster_ip
}}
"#
    )
}

#[test]
fn workloads_and_policies_apply_replan_clean_drift_replace_import_and_destroy() {
    let cluster = Cluster::start();
    let provider = cluster.provider_block();
    let w = Workdir::new();
    w.write("main.tf", &serving(&provider, "mlform-serve:1", "reader"));
    // The governance checks read the typed kinds: the quota and the limits are there, the
    // only network policy selects some pods, so nothing denies by default.
    let r = w.run(&["check", "-format=json", "-severity-threshold=warning"]);
    let found = crate::support::rule_ids(&r.stdout);
    let rules: Vec<&str> = found.iter().map(String::as_str).collect();
    assert!(rules.contains(&"MLF403"), "{rules:?}");
    assert!(
        !rules.contains(&"MLF402") && !rules.contains(&"MLF401"),
        "{rules:?}"
    );
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("11 added"), "{}", r.stdout);
    assert!(r.stdout.contains("cluster_ip = \"10."), "{}", r.stdout);

    // The objects hold what the blocks said, in the API's own shape.
    let rt = crate::aws::rt();
    let client = cluster.client(&rt);
    let deployments: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
        kube::Api::namespaced(client.clone(), "serving");
    let d = rt.block_on(deployments.get("web")).unwrap();
    let spec = d.spec;
    assert_eq!(spec.replicas, Some(0));
    let pod = spec.template.spec.unwrap();
    assert_eq!(pod.service_account_name.as_deref(), Some("model-server"));
    let c = &pod.containers[0];
    assert_eq!(c.image.as_deref(), Some("mlform-serve:1"));
    assert_eq!(c.ports.as_ref().unwrap()[0].container_port, 8080);
    let limits = c.resources.as_ref().unwrap().limits.as_ref().unwrap();
    assert_eq!(limits["cpu"].0, "500m", "the server's spelling of 0.5");
    let probe = c
        .readiness_probe
        .as_ref()
        .unwrap()
        .http_get
        .as_ref()
        .unwrap();
    assert_eq!(
        probe.port,
        k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(8080)
    );
    let services: kube::Api<k8s_openapi::api::core::v1::Service> =
        kube::Api::namespaced(client.clone(), "serving");
    let s = rt.block_on(services.get("web")).unwrap().spec.unwrap();
    assert_eq!(s.type_.as_deref(), Some("ClusterIP"));
    let roles: kube::Api<k8s_openapi::api::rbac::v1::Role> =
        kube::Api::namespaced(client.clone(), "serving");
    let role = rt.block_on(roles.get("reader")).unwrap();
    assert_eq!(role.rules.unwrap()[0].verbs, vec!["get", "list", "watch"]);

    // The server's defaults and rewrites are not changes.
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // A new image updates the deployment in place; nothing else moves.
    w.write("main.tf", &serving(&provider, "mlform-serve:2", "reader"));
    let r = w.run(&["plan", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("~ resource \"kubernetes_deployment_v1\" \"web\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("\"mlform-serve:1\" -> \"mlform-serve:2\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        r.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    let d = rt.block_on(deployments.get("web")).unwrap();
    assert_eq!(
        d.spec.template.spec.unwrap().containers[0].image.as_deref(),
        Some("mlform-serve:2")
    );
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // Drift: an image set by hand is changed back; a field mlform never set is not drift.
    rt.block_on(deployments.patch(
        "web",
        &PatchParams::default(),
        &Patch::Strategic(json!({"spec": {"template": {"spec": {
            "containers": [{"name": "server", "image": "hotfix:9"}],
            "nodeSelector": {"pool": "gpu"}}}}})),
    ))
    .unwrap();
    let r = w.run(&["plan", "-no-color"]);
    assert!(
        r.stdout.contains("\"hotfix:9\" -> \"mlform-serve:2\""),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("pool"), "{}", r.stdout);
    assert!(r.stdout.contains("1 to change"), "{}", r.stdout);
    w.ok(&["apply", "-auto-approve"]);

    // A binding's role_ref cannot change in place: the binding is replaced.
    w.write("main.tf", &serving(&provider, "mlform-serve:2", "viewer"));
    let r = w.run(&["plan", "-no-color"]);
    let out = squash(&r.stdout);
    assert!(
        out.contains("kubernetes_role_binding_v1.server must be replaced"),
        "{}",
        r.stdout
    );
    assert!(out.contains("# forces replacement"), "{}", r.stdout);
    w.ok(&["apply", "-auto-approve"]);
    let bindings: kube::Api<k8s_openapi::api::rbac::v1::RoleBinding> =
        kube::Api::namespaced(client.clone(), "serving");
    let b = rt.block_on(bindings.get("model-server")).unwrap();
    assert_eq!(b.role_ref.name, "viewer");

    // Import by NAMESPACE/NAME: the same blocks then plan no change.
    let other = Workdir::new();
    other.write(
        "main.tf",
        &format!(
            "{provider}\nresource \"kubernetes_deployment_v1\" \"adopted\" {{\n{}\n}}\n",
            deployment_body(&serving(&provider, "mlform-serve:2", "viewer"))
                .replace("local.ns", "\"serving\"")
                .replace(
                    "kubernetes_service_account_v1.server.metadata[0].name",
                    "\"model-server\""
                )
                .replace(
                    "kubernetes_config_map_v1.model.metadata[0].name",
                    "\"model\""
                )
                // Set by hand above, and part of the object adopted.
                .replace(
                    "container {",
                    "node_selector = { pool = \"gpu\" }\n        container {"
                )
        ),
    );
    other.ok(&["import", "kubernetes_deployment_v1.adopted", "serving/web"]);
    let r = other.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt.block_on(deployments.get_opt("web")).unwrap().is_none());
    assert!(rt.block_on(services.get_opt("web")).unwrap().is_none());
}

/// The body of the `kubernetes_deployment_v1.web` block in [`serving`].
fn deployment_body(config: &str) -> String {
    let start = config
        .find("resource \"kubernetes_deployment_v1\" \"web\" {")
        .unwrap();
    let rest = &config[start..];
    let end = rest.find("\n}\n").unwrap();
    rest[rest.find('\n').unwrap() + 1..end].to_string()
}

#[test]
fn a_rollout_that_cannot_finish_times_out_and_keeps_the_deployment_in_state() {
    let cluster = Cluster::start();
    let w = Workdir::new();
    let config = |wait: bool| {
        format!(
            r#"{}
resource "kubernetes_deployment" "stuck" {{
  metadata {{
    name = "stuck"
  }}
  spec {{
    replicas = "1"
    selector {{
      match_labels = {{ app = "stuck" }}
    }}
    template {{
      metadata {{
        labels = {{ app = "stuck" }}
      }}
      spec {{
        container {{
          name  = "app"
          image = "mlform-serve:1"
        }}
      }}
    }}
  }}
  wait_for_rollout = {wait}
  timeouts {{
    create = "3s"
  }}
}}
"#,
            cluster.provider_block()
        )
    };
    // No kubelet runs here: one replica never becomes available.
    w.write("main.tf", &config(true));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let err = squash(&r.stderr);
    assert!(err.contains("Deployment stuck to roll out"), "{}", r.stderr);
    assert!(err.contains("last seen"), "{}", r.stderr);
    let r = w.ok(&["state", "list"]);
    assert!(
        r.stdout.contains("kubernetes_deployment.stuck"),
        "{}",
        r.stdout
    );
    // Without the wait the same deployment applies at once.
    w.write("main.tf", &config(false));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.ok(&["destroy", "-auto-approve"]);
}

#[test]
fn typed_blocks_are_checked_against_the_schema() {
    let w = Workdir::new();
    w.write(
        "main.tf",
        r#"
resource "kubernetes_deployment_v1" "web" {
  metadata {
    name = "web"
  }
  spec {
    replicas = "two"
    template {
      spec {
        container {
          name  = "app"
          image = "x"
          gpu   = 1
        }
      }
    }
  }
}
"#,
    );
    let r = w.run(&["validate", "-no-color"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let err = squash(&r.stderr);
    assert!(err.contains("Unsupported argument"), "{}", r.stderr);
    assert!(err.contains("main.tf:13:11"), "{}", r.stderr);
    // The blocks around the bad argument are there: no count error hides it.
    assert!(!err.contains("Insufficient blocks"), "{}", r.stderr);
}

#[test]
fn a_namespace_can_wait_for_its_default_service_account() {
    let cluster = Cluster::start();
    let w = Workdir::new();
    w.write(
        "main.tf",
        &format!(
            r#"{}
resource "kubernetes_namespace_v1" "jobs" {{
  metadata {{
    name = "training-jobs"
  }}
  wait_for_default_service_account = true
}}
"#,
            cluster.provider_block()
        ),
    );
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Once the namespace counts as created, pods in it can use the default account.
    let rt = crate::aws::rt();
    let accounts: kube::Api<k8s_openapi::api::core::v1::ServiceAccount> =
        kube::Api::namespaced(cluster.client(&rt), "training-jobs");
    assert!(rt.block_on(accounts.get_opt("default")).unwrap().is_some());
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.ok(&["destroy", "-auto-approve"]);
}

fn stateful(provider: &str, min_available: &str) -> String {
    format!(
        r#"{provider}
resource "kubernetes_persistent_volume_claim_v1" "cache" {{
  metadata {{
    name = "model-cache"
  }}
  spec {{
    access_modes = ["ReadWriteOnce"]
    resources {{
      requests = {{ storage = "1Gi" }}
    }}
  }}
  wait_until_bound = false
}}

resource "kubernetes_stateful_set_v1" "index" {{
  metadata {{
    name = "feature-index"
  }}
  spec {{
    replicas     = 0
    service_name = "feature-index"
    selector {{
      match_labels = {{ app = "feature-index" }}
    }}
    template {{
      metadata {{
        labels = {{ app = "feature-index" }}
      }}
      spec {{
        container {{
          name  = "index"
          image = "feature-index:3"
          volume_mount {{
            name       = "data"
            mount_path = "/data"
          }}
        }}
      }}
    }}
    volume_claim_template {{
      metadata {{
        name = "data"
      }}
      spec {{
        access_modes = ["ReadWriteOnce"]
        resources {{
          requests = {{ storage = "2Gi" }}
        }}
      }}
    }}
  }}
}}

resource "kubernetes_daemon_set_v1" "gpu_plugin" {{
  metadata {{
    name = "gpu-device-plugin"
  }}
  spec {{
    selector {{
      match_labels = {{ app = "gpu-device-plugin" }}
    }}
    template {{
      metadata {{
        labels = {{ app = "gpu-device-plugin" }}
      }}
      spec {{
        toleration {{
          key      = "nvidia.com/gpu"
          operator = "Exists"
          effect   = "NoSchedule"
        }}
        container {{
          name  = "plugin"
          image = "device-plugin:0.14"
          security_context {{
            allow_privilege_escalation = false
          }}
        }}
      }}
    }}
  }}
}}

resource "kubernetes_pod_disruption_budget_v1" "web" {{
  metadata {{
    name = "web"
  }}
  spec {{
    min_available = "{min_available}"
    selector {{
      match_labels = {{ app = "web" }}
    }}
  }}
}}

resource "kubernetes_ingress_v1" "models" {{
  metadata {{
    name = "models"
  }}
  spec {{
    rule {{
      host = "models.example.com"
      http {{
        path {{
          path      = "/v2"
          path_type = "Prefix"
          backend {{
            service {{
              name = "web"
              port {{
                number = 80
              }}
            }}
          }}
        }}
      }}
    }}
    tls {{
      hosts       = ["models.example.com"]
      secret_name = "models-tls"
    }}
  }}
}}
"#
    )
}

#[test]
fn claims_stateful_and_daemon_sets_disruption_budgets_and_ingresses() {
    let cluster = Cluster::start();
    let provider = cluster.provider_block();
    let w = Workdir::new();
    w.write("main.tf", &stateful(&provider, "1"));
    // A stateful set at zero replicas, and a daemon set on a cluster without nodes, finish
    // their rollouts (no kubelet runs here).
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("5 added"), "{}", r.stdout);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    let rt = crate::aws::rt();
    let client = cluster.client(&rt);
    let ingresses: kube::Api<k8s_openapi::api::networking::v1::Ingress> =
        kube::Api::namespaced(client.clone(), "default");
    let ing = rt.block_on(ingresses.get("models")).unwrap();
    let rule = &ing.spec.unwrap().rules.unwrap()[0];
    let path = &rule.http.as_ref().unwrap().paths[0];
    assert_eq!(path.path_type, "Prefix");
    assert_eq!(
        path.backend
            .service
            .as_ref()
            .unwrap()
            .port
            .as_ref()
            .unwrap()
            .number,
        Some(80)
    );

    // A budget cannot change in place: it is replaced.
    w.write("main.tf", &stateful(&provider, "50%"));
    let r = w.run(&["plan", "-no-color"]);
    assert!(
        squash(&r.stdout).contains("kubernetes_pod_disruption_budget_v1.web must be replaced"),
        "{}",
        r.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // Import the stateful set by NAMESPACE/NAME: the same blocks plan no change.
    w.ok(&["state", "rm", "kubernetes_stateful_set_v1.index"]);
    w.ok(&[
        "import",
        "kubernetes_stateful_set_v1.index",
        "default/feature-index",
    ]);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt.block_on(ingresses.get_opt("models")).unwrap().is_none());

    // With no volume provisioner here, waiting for a claim to bind ends at its timeout.
    let claim = Workdir::new();
    claim.write(
        "main.tf",
        &format!(
            r#"{provider}
resource "kubernetes_persistent_volume_claim_v1" "waits" {{
  metadata {{
    name = "waits"
  }}
  spec {{
    access_modes = ["ReadWriteOnce"]
    resources {{
      requests = {{ storage = "1Gi" }}
    }}
  }}
  timeouts {{
    create = "2s"
  }}
}}
"#
        ),
    );
    let r = claim.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        squash(&r.stderr)
            .contains("PersistentVolumeClaim waits to be bound (last seen: phase Pending)"),
        "{}",
        r.stderr
    );
    claim.ok(&["destroy", "-auto-approve"]);
}
