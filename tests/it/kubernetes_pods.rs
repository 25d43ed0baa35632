//! Kinds that run pods to completion, and the pod spec's scheduling and volume fields,
//! against the local API server: a Job completes (or times out, staying in state), a
//! CronJob updates in place and imports, and a deployment's pod spec carries DNS settings,
//! host aliases, readiness gates, spread constraints and projected volumes.

use crate::kubernetes::Cluster;
use crate::support::{squash, Workdir};

fn batch(provider: &str, completions: u32, schedule: &str, parallelism: u32) -> String {
    format!(
        r#"{provider}
resource "kubernetes_job_v1" "evaluate" {{
  metadata {{
    name = "evaluate"
  }}
  spec {{
    completions = {completions}
    parallelism = {parallelism}
    template {{
      metadata {{
        labels = {{ app = "evaluate" }}
      }}
      spec {{
        restart_policy = "Never"
        container {{
          name    = "evaluate"
          image   = "mlform-serve:test"
          command = ["mlform", "version"]
        }}
      }}
    }}
  }}
  timeouts {{
    create = "30s"
  }}
}}

resource "kubernetes_cron_job_v1" "retrain" {{
  metadata {{
    name = "retrain"
  }}
  spec {{
    schedule           = "{schedule}"
    concurrency_policy = "Forbid"
    job_template {{
      metadata {{
        labels = {{ app = "retrain" }}
      }}
      spec {{
        backoff_limit = 2
        template {{
          metadata {{
            labels = {{ app = "retrain" }}
          }}
          spec {{
            restart_policy = "OnFailure"
            container {{
              name  = "train"
              image = "trainer:1"
            }}
          }}
        }}
      }}
    }}
  }}
}}
"#
    )
}

#[test]
fn jobs_complete_and_cron_jobs_update_in_place_import_and_destroy() {
    let cluster = Cluster::start();
    let provider = cluster.provider_block();
    let w = Workdir::new();
    // A Job of zero completions completes at once: the wait for completion ends.
    w.write("main.tf", &batch(&provider, 0, "0 3 * * *", 1));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("2 added"), "{}", r.stdout);
    // The labels and selector the Job controller adds are not drift.
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    let rt = crate::aws::rt();
    let client = cluster.client(&rt);
    let jobs: kube::Api<k8s_openapi::api::batch::v1::Job> =
        kube::Api::namespaced(client.clone(), "default");
    let job = rt.block_on(jobs.get("evaluate")).unwrap();
    let status = job.status.unwrap();
    assert!(
        status
            .conditions
            .unwrap_or_default()
            .iter()
            .any(|c| c.type_ == "Complete" && c.status == "True"),
        "the job has not completed"
    );

    // A new schedule and a new parallelism change in place; a Job's pod template cannot
    // change, so completions replace it.
    w.write("main.tf", &batch(&provider, 0, "30 4 * * 1", 2));
    let r = w.run(&["plan", "-no-color"]);
    let text = squash(&r.stdout);
    assert!(
        text.contains("kubernetes_cron_job_v1.retrain will be updated in-place"),
        "{}",
        r.stdout
    );
    assert!(
        text.contains("kubernetes_job_v1.evaluate will be updated in-place"),
        "{}",
        r.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.write("main.tf", &batch(&provider, 1, "30 4 * * 1", 2));
    let r = w.run(&["plan", "-no-color"]);
    assert!(
        squash(&r.stdout).contains("kubernetes_job_v1.evaluate must be replaced"),
        "{}",
        r.stdout
    );

    // Import the cron job by NAMESPACE/NAME: the same blocks plan no change.
    w.write("main.tf", &batch(&provider, 0, "30 4 * * 1", 2));
    w.ok(&["state", "rm", "kubernetes_cron_job_v1.retrain"]);
    w.ok(&[
        "import",
        "kubernetes_cron_job_v1.retrain",
        "default/retrain",
    ]);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt.block_on(jobs.get_opt("evaluate")).unwrap().is_none());

    // With no kubelet, a Job with a pod to run never completes: the wait ends at its
    // timeout, naming the job's counts, and the Job stays in state.
    let pending = Workdir::new();
    pending.write(
        "main.tf",
        &batch(&provider, 1, "0 3 * * *", 1).replace("create = \"30s\"", "create = \"3s\""),
    );
    let r = pending.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let err = squash(&r.stderr);
    assert!(err.contains("Job evaluate to complete"), "{}", r.stderr);
    assert!(err.contains("succeeded"), "{}", r.stderr);
    assert!(
        pending
            .addresses()
            .contains(&"kubernetes_job_v1.evaluate".to_string()),
        "{:?}",
        pending.addresses()
    );
    pending.ok(&["destroy", "-auto-approve"]);
}

const SCHEDULED: &str = r#"
resource "kubernetes_deployment_v1" "scorer" {
  metadata {
    name = "scorer"
  }
  spec {
    replicas = 0
    selector {
      match_labels = { app = "scorer" }
    }
    template {
      metadata {
        labels = { app = "scorer" }
      }
      spec {
        container {
          name  = "server"
          image = "mlform-serve:1"
          volume_mount {
            name       = "identity"
            mount_path = "/var/run/identity"
            read_only  = true
          }
        }
        dns_config {
          nameservers = ["10.0.0.10"]
          searches    = ["models.svc.cluster.local"]
          option {
            name  = "ndots"
            value = "2"
          }
        }
        host_aliases {
          ip        = "10.0.0.20"
          hostnames = ["registry.internal"]
        }
        readiness_gate {
          condition_type = "example.com/model-loaded"
        }
        topology_spread_constraint {
          topology_key       = "topology.kubernetes.io/zone"
          when_unsatisfiable = "ScheduleAnyway"
          label_selector {
            match_labels = { app = "scorer" }
          }
        }
        volume {
          name = "identity"
          projected {
            sources {
              service_account_token {
                audience = "sts.amazonaws.com"
                path     = "token"
              }
            }
            sources {
              downward_api {
                items {
                  path = "labels"
                  field_ref {
                    field_path = "metadata.labels"
                  }
                }
              }
            }
          }
        }
        volume {
          name = "shared"
          nfs {
            server = "10.0.0.30"
            path   = "/exports/features"
          }
        }
      }
    }
  }
}
"#;

#[test]
fn pod_specs_take_dns_aliases_gates_spread_and_projected_volumes() {
    let cluster = Cluster::start();
    let w = Workdir::new();
    w.write(
        "main.tf",
        &format!("{}{SCHEDULED}", cluster.provider_block()),
    );
    w.ok(&["apply", "-auto-approve"]);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    let rt = crate::aws::rt();
    let deployments: kube::Api<k8s_openapi::api::apps::v1::Deployment> =
        kube::Api::namespaced(cluster.client(&rt), "default");
    let d = rt.block_on(deployments.get("scorer")).unwrap();
    let pod = d.spec.template.spec.unwrap();
    let spread = &pod.topology_spread_constraints.unwrap()[0];
    assert_eq!(
        (spread.max_skew, spread.when_unsatisfiable.as_str()),
        (1, "ScheduleAnyway")
    );
    let dns = pod.dns_config.unwrap();
    assert_eq!(dns.options.unwrap()[0].value.as_deref(), Some("2"));
    assert_eq!(pod.host_aliases.unwrap()[0].ip, "10.0.0.20");
    assert_eq!(
        pod.readiness_gates.unwrap()[0].condition_type,
        "example.com/model-loaded"
    );
    let volumes = pod.volumes.unwrap();
    let projected = volumes[0].projected.as_ref().unwrap();
    let token = projected.sources.as_ref().unwrap()[0]
        .service_account_token
        .as_ref()
        .unwrap();
    assert_eq!(token.expiration_seconds, Some(3600));
    assert_eq!(volumes[1].nfs.as_ref().unwrap().server, "10.0.0.30");

    w.ok(&["state", "rm", "kubernetes_deployment_v1.scorer"]);
    w.ok(&[
        "import",
        "kubernetes_deployment_v1.scorer",
        "default/scorer",
    ]);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.ok(&["destroy", "-auto-approve"]);
}
