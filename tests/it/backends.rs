//! State backends: the S3 backend on the local AWS emulator (lock object created with a
//! conditional write, workspaces under `env:/`, journal segments that survive SIGKILL,
//! force-unlock, state migration), local workspaces, and `terraform_remote_state` reading
//! one configuration's outputs into another.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::aws::Moto;
use crate::support::Workdir;

/// One runtime for the test's own SDK calls, so the client's connections outlive each call.
fn rt() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    })
}

fn s3_client(moto: &Moto) -> aws_sdk_s3::Client {
    let sdk = rt().block_on(moto.sdk());
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    )
}

/// `mlform apply -auto-approve` in the background, output captured.
fn spawn_apply(w: &Workdir, extra: &[&str]) -> std::process::Child {
    Command::new(crate::support::bin())
        .args(["apply", "-auto-approve", "-no-color"])
        .args(extra)
        .current_dir(w.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

const BUCKET: &str = "team-state";
const KEY: &str = "ml/platform.tfstate";

fn make_bucket(moto: &Moto) -> aws_sdk_s3::Client {
    let s3 = s3_client(moto);
    rt().block_on(s3.create_bucket().bucket(BUCKET).send())
        .unwrap();
    s3
}

/// The arguments that vary by machine, passed with -backend-config as a CI job would.
fn backend_hcl(moto: &Moto) -> String {
    format!(
        "access_key = \"test\"\nsecret_key = \"test\"\nendpoints = {{\n  s3  = \"{0}\"\n  sts = \"{0}\"\n}}\n",
        moto.url
    )
}

fn s3_config(body: &str) -> String {
    format!(
        "terraform {{\n  backend \"s3\" {{\n    bucket         = \"{BUCKET}\"\n    key            = \"{KEY}\"\n    region         = \"us-east-1\"\n    use_lockfile   = true\n    use_path_style = true\n    encrypt        = true\n  }}\n}}\n\n{body}"
    )
}

fn keys(s3: &aws_sdk_s3::Client, prefix: &str) -> Vec<String> {
    let out = rt()
        .block_on(s3.list_objects_v2().bucket(BUCKET).prefix(prefix).send())
        .unwrap();
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

fn object(s3: &aws_sdk_s3::Client, key: &str) -> Option<Vec<u8>> {
    let out = rt()
        .block_on(s3.get_object().bucket(BUCKET).key(key).send())
        .ok()?;
    Some(
        rt().block_on(out.body.collect())
            .unwrap()
            .into_bytes()
            .to_vec(),
    )
}

const PLATFORM: &str = r#"
variable "db_password" {
  type      = string
  sensitive = true
  default   = "hunter2-secret"
}

resource "terraform_data" "bucket" {
  input = "ml-data-${terraform.workspace}"
}

output "bucket" {
  value = terraform_data.bucket.output
}

output "workspace" {
  value = terraform.workspace
}

output "db_password" {
  value     = var.db_password
  sensitive = true
}
"#;

#[test]
fn s3_backend_keeps_state_workspaces_and_feeds_remote_state() {
    let moto = Moto::start();
    let s3 = make_bucket(&moto);
    let w = Workdir::new();
    w.write("main.tf", &s3_config(PLATFORM));
    w.write("backend.hcl", &backend_hcl(&moto));

    // Without init, Terraform's "Backend initialization required".
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("Backend initialization required"),
        "{}",
        r.stderr
    );
    assert!(r
        .stderr
        .contains("Initial configuration of the requested backend \"s3\""));

    let init = w.ok(&["init", "-backend-config=backend.hcl"]);
    assert!(
        init.stdout
            .contains("Successfully configured the backend \"s3\""),
        "{}",
        init.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    assert!(
        !w.path().join("mlform.tfstate").exists(),
        "state stays out of the working directory"
    );
    let state = object(&s3, KEY).expect("state object");
    let text = String::from_utf8(state).unwrap();
    assert!(text.contains("ml-data-default"));
    assert!(
        !keys(&s3, "").iter().any(|k| k.ends_with(".tflock")),
        "lock released"
    );
    assert!(
        keys(&s3, &format!("{KEY}.journal/")).is_empty(),
        "journal folded into the snapshot"
    );
    let replan = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(replan.code, 0, "{}{}", replan.stdout, replan.stderr);

    // state pull prints the stored state; output reads it back.
    let pulled = w.ok(&["state", "pull"]).stdout;
    assert!(pulled.contains("\"lineage\""));
    assert_eq!(
        w.ok(&["output", "-raw", "bucket"]).stdout,
        "ml-data-default"
    );

    // Workspaces isolate: dev's state is at env:/dev/KEY.
    let new = w.ok(&["workspace", "new", "dev"]);
    assert!(new
        .stdout
        .contains("Created and switched to workspace \"dev\"!"));
    let plan = w.ok(&["plan"]);
    assert!(plan.stdout.contains("1 to add"), "{}", plan.stdout);
    w.ok(&["apply", "-auto-approve"]);
    let dev =
        String::from_utf8(object(&s3, &format!("env:/dev/{KEY}")).expect("dev state")).unwrap();
    assert!(dev.contains("ml-data-dev"));
    assert_eq!(w.ok(&["workspace", "list"]).stdout, "  default\n* dev\n\n");
    w.ok(&["workspace", "select", "default"]);
    assert_eq!(w.ok(&["output", "-raw", "workspace"]).stdout, "default");
    let refused = w.run(&["workspace", "delete", "dev"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("terraform_data.bucket"),
        "{}",
        refused.stderr
    );

    // Another team's configuration reads these outputs; the sensitive one stays sensitive.
    let reader = Workdir::new();
    let remote = format!(
        r#"
data "terraform_remote_state" "platform" {{
  backend = "s3"
  config = {{
    bucket                      = "{BUCKET}"
    key                         = "{KEY}"
    region                      = "us-east-1"
    access_key                  = "test"
    secret_key                  = "test"
    use_path_style              = true
    skip_credentials_validation = true
    endpoints                   = {{ s3 = "{url}" }}
  }}
  workspace = "dev"
}}

resource "terraform_data" "consumer" {{
  input = data.terraform_remote_state.platform.outputs.bucket
}}

output "upstream" {{
  value = data.terraform_remote_state.platform.outputs.bucket
}}

output "password_length" {{
  value     = length(data.terraform_remote_state.platform.outputs.db_password)
  sensitive = true
}}
"#,
        url = moto.url
    );
    reader.write("main.tf", &remote);
    let applied = reader.ok(&["apply", "-auto-approve"]);
    assert!(
        applied.stdout.contains("upstream = \"ml-data-dev\""),
        "{}",
        applied.stdout
    );
    assert!(!applied.stdout.contains("hunter2"), "{}", applied.stdout);
    reader.write(
        "leak.tf",
        "output \"leak\" {\n  value = data.terraform_remote_state.platform.outputs.db_password\n}\n",
    );
    let leak = reader.run(&["plan"]);
    assert_eq!(leak.code, 1, "{}", leak.stdout);
    assert!(leak.stderr.contains("sensitive"), "{}", leak.stderr);
    assert!(!leak.stderr.contains("hunter2") && !leak.stdout.contains("hunter2"));
}

#[test]
fn s3_lock_refuses_a_second_apply_and_force_unlock_clears_a_dead_holder() {
    let moto = Moto::start();
    let s3 = make_bucket(&moto);
    let w = Workdir::new();
    w.write(
        "main.tf",
        &s3_config(
            "resource \"time_sleep\" \"wait\" {\n  create_duration = \"4s\"\n}\nresource \"terraform_data\" \"after\" {\n  input = time_sleep.wait.id\n}\n",
        ),
    );
    // Locking switched on at init, as a KEY=VALUE string.
    let config = std::fs::read_to_string(w.path().join("main.tf")).unwrap();
    w.write(
        "main.tf",
        &config.replace("    use_lockfile   = true\n", ""),
    );
    w.write("backend.hcl", &backend_hcl(&moto));
    w.ok(&[
        "init",
        "-backend-config=backend.hcl",
        "-backend-config=use_lockfile=true",
    ]);

    // Two applies at once: one proceeds, the other exits 1 naming the holder.
    let spawn = || spawn_apply(&w, &[]);
    let first = spawn();
    let started = Instant::now();
    while !keys(&s3, "").iter().any(|k| k.ends_with(".tflock")) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the first apply never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = spawn().wait_with_output().unwrap();
    let first = first.wait_with_output().unwrap();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("Error acquiring the state lock"), "{err}");
    assert!(
        err.contains("Operation: OperationTypeApply") && err.contains("Who:"),
        "{err}"
    );
    assert!(err.contains(&format!("s3://{BUCKET}/{KEY}")), "{err}");

    // A holder that died left its lock object: plan is refused until force-unlock.
    let dead = serde_json::json!({
        "ID": "6bd4a3c2-0d3f-4c5e-9d7b-1f2e3a4b5c6d",
        "Operation": "OperationTypeApply",
        "Info": "",
        "Who": "ci@runner-7",
        "Version": "1.11.4",
        "Created": "2026-11-30T23:59:00Z",
        "Path": format!("{BUCKET}/{KEY}"),
    });
    rt().block_on(
        s3.put_object()
            .bucket(BUCKET)
            .key(format!("{KEY}.tflock"))
            .body(serde_json::to_vec(&dead).unwrap().into())
            .send(),
    )
    .unwrap();
    let refused = w.run(&["plan"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("ci@runner-7"), "{}", refused.stderr);
    let wrong = w.run(&["force-unlock", "-force", "not-the-id"]);
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("does not match existing lock ID"),
        "{}",
        wrong.stderr
    );
    let unlocked = w.ok(&[
        "force-unlock",
        "-force",
        "6bd4a3c2-0d3f-4c5e-9d7b-1f2e3a4b5c6d",
    ]);
    assert!(unlocked.stdout.contains("successfully unlocked"));
    let plan = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}

fn plan_adds(text: &str) -> usize {
    let re = regex::Regex::new(r"Plan: (\d+) to add").unwrap();
    re.captures(text)
        .map(|c| c[1].parse().unwrap())
        .unwrap_or(0)
}

#[test]
fn s3_sigkill_mid_apply_three_times_then_the_remainder() {
    let total = 1000;
    let moto = Moto::start();
    let s3 = make_bucket(&moto);
    let w = Workdir::new();
    let body = crate::crash::chains(100, 10);
    w.write("main.tf", &s3_config(&body));
    w.write("backend.hcl", &backend_hcl(&moto));
    w.ok(&["init", "-backend-config=backend.hcl"]);
    let journal = format!("{KEY}.journal/");
    let mut done_before = 0;
    for kill in 1..=3 {
        // Segments a killed run left behind; this run's own are the new ones.
        let leftover = keys(&s3, &journal);
        let mut child = Command::new(crate::support::bin())
            .args(["apply", "-auto-approve", "-parallelism=4"])
            .current_dir(w.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill once this run wrote a few journal segments, while it is still applying.
        let started = Instant::now();
        let mut killed = false;
        while started.elapsed() < Duration::from_secs(120) {
            let fresh = keys(&s3, &journal)
                .into_iter()
                .filter(|k| !leftover.contains(k))
                .count();
            if fresh >= 3 {
                child.kill().unwrap();
                killed = true;
                break;
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.wait();
        assert!(killed, "apply {kill} finished before it could be killed");
        // The dead process's lock object stays, as in Terraform; clear it by its ID.
        let lock: serde_json::Value =
            serde_json::from_slice(&object(&s3, &format!("{KEY}.tflock")).expect("lock left"))
                .unwrap();
        w.ok(&["force-unlock", "-force", lock["ID"].as_str().unwrap()]);
        let done = w.ok(&["state", "list"]).stdout.lines().count();
        assert!(
            done > done_before && done < total,
            "kill {kill}: {done} of {total} recorded"
        );
        let plan = w.ok(&["plan"]);
        assert_eq!(plan_adds(&plan.stdout), total - done, "kill {kill}");
        done_before = done;
    }
    let applied = w.ok(&["apply", "-auto-approve"]);
    assert!(
        applied.stdout.contains(&format!(
            "Resources: {} added, 0 changed, 0 destroyed",
            total - done_before
        )),
        "{}",
        applied.stdout
    );
    let listed = w.ok(&["state", "list"]).stdout;
    assert_eq!(listed.lines().count(), total);
    let replan = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(replan.code, 0, "{}", replan.stdout);
    assert!(keys(&s3, &journal).is_empty());
}

#[test]
fn local_state_migrates_to_s3_with_init_migrate_state() {
    let moto = Moto::start();
    let s3 = make_bucket(&moto);
    let w = Workdir::new();
    w.write("main.tf", PLATFORM);
    w.ok(&["apply", "-auto-approve"]);
    w.ok(&["workspace", "new", "qa"]);
    w.ok(&["apply", "-auto-approve"]);
    w.ok(&["workspace", "select", "default"]);
    w.write("main.tf", &s3_config(PLATFORM));
    w.write("backend.hcl", &backend_hcl(&moto));
    let refused = w.run(&["init", "-backend-config=backend.hcl"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("-migrate-state"),
        "{}",
        refused.stderr
    );
    let migrated = w.ok(&["init", "-backend-config=backend.hcl", "-migrate-state"]);
    assert!(
        migrated
            .stdout
            .contains("Copied the state of workspace \"qa\""),
        "{}",
        migrated.stdout
    );
    assert!(object(&s3, KEY).is_some() && object(&s3, &format!("env:/qa/{KEY}")).is_some());
    let plan = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    // Changing the block afterwards needs init again.
    w.write(
        "main.tf",
        &s3_config(PLATFORM).replace("encrypt        = true", "encrypt        = false"),
    );
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("Backend configuration block has changed"),
        "{}",
        r.stderr
    );
}

#[test]
fn local_workspaces_match_terraform() {
    let w = Workdir::new();
    w.write("main.tf", PLATFORM);
    let mut transcript = String::new();
    for args in [
        &["workspace", "new", "dev"][..],
        &["workspace", "list"],
        &["workspace", "show"],
        &["apply", "-auto-approve"],
        &["workspace", "select", "default"],
        &["workspace", "select", "nope"],
        &["workspace", "new", "dev"],
        &["workspace", "new", "a/b"],
        &["workspace", "delete", "default"],
        &["workspace", "delete", "dev"],
        &["workspace", "delete", "-force", "dev"],
        &["workspace", "select", "-or-create", "qa"],
        &["workspace", "list"],
        &["force-unlock", "-force", "some-id"],
    ] {
        let r = w.run(args);
        transcript.push_str(&format!(
            "$ mlform {}\n{}{}[exit {}]\n\n",
            args.join(" "),
            r.stdout,
            r.stderr,
            r.code
        ));
    }
    assert!(w.path().join("mlform.tfstate.d/qa").is_dir());
    assert!(!w.path().join("mlform.tfstate.d/dev").exists());
    insta::assert_snapshot!(crate::support::normalize(&transcript));
}

const ENCRYPTION: &str = r#"
terraform {
  encryption {
    key_provider "pbkdf2" "team" {}
    method "aes_gcm" "team" {
      keys = key_provider.pbkdf2.team
    }
    method "unencrypted" "legacy" {}
    state {
      method   = method.aes_gcm.team
      enforced = true
      fallback {
        method = method.unencrypted.legacy
      }
    }
    plan {
      method = method.aes_gcm.team
    }
  }
}
"#;

fn passphrase(p: &str) -> String {
    format!("key_provider \"pbkdf2\" \"team\" {{\n  passphrase = \"{p}\"\n}}\n")
}

#[test]
fn encrypted_state_and_plans_hold_no_secret_in_the_clear() {
    let moto = Moto::start();
    let s3 = make_bucket(&moto);
    let w = Workdir::new();
    w.write("main.tf", &s3_config(PLATFORM));
    w.write("backend.hcl", &backend_hcl(&moto));
    w.ok(&["init", "-backend-config=backend.hcl"]);
    // Plaintext state first; then the team turns encryption on, migrating through the
    // unencrypted fallback.
    w.ok(&["apply", "-auto-approve"]);
    assert!(String::from_utf8(object(&s3, KEY).unwrap())
        .unwrap()
        .contains("hunter2-secret"));
    w.write("encryption.tf", ENCRYPTION);
    let key = passphrase("correct-horse-battery-staple");
    let env = [("TF_ENCRYPTION", key.as_str())];
    w.write(
        "main.tf",
        &s3_config(&PLATFORM.replace("ml-data-", "ml-datasets-")),
    );
    let applied = w.run_env(&["apply", "-auto-approve"], &env);
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    let sealed = String::from_utf8(object(&s3, KEY).unwrap()).unwrap();
    assert!(sealed.contains("\"encrypted_data\"") && sealed.contains("key_provider.pbkdf2.team"));
    for secret in ["hunter2", "ml-datasets", "terraform_data"] {
        assert!(!sealed.contains(secret), "{secret} in the clear: {sealed}");
    }
    let replan = w.run_env(&["plan", "-detailed-exitcode", "-out=p.plan"], &env);
    assert_eq!(replan.code, 0, "{}{}", replan.stdout, replan.stderr);
    let plan = std::fs::read_to_string(w.path().join("p.plan")).unwrap();
    assert!(
        plan.contains("encrypted_data")
            && !plan.contains("hunter2")
            && !plan.contains("ml-datasets")
    );
    let shown = w.run_env(&["show", "p.plan"], &env);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert_eq!(
        w.run_env(&["output", "-raw", "bucket"], &env).stdout,
        "ml-datasets-default"
    );

    // A wrong passphrase is a clear error, and nothing is overwritten.
    let wrong = passphrase("not-the-team-passphrase");
    let r = w.run_env(
        &["apply", "-auto-approve"],
        &[("TF_ENCRYPTION", wrong.as_str())],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("wrong passphrase"), "{}", r.stderr);
    assert_eq!(
        String::from_utf8(object(&s3, KEY).unwrap()).unwrap(),
        sealed
    );
    // Without any passphrase: the key provider says what is missing.
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("needs a passphrase"), "{}", r.stderr);
}

#[test]
fn remote_state_reads_a_local_state_file_of_another_configuration() {
    let upstream = Workdir::new();
    upstream.write("main.tf", PLATFORM);
    upstream.ok(&["apply", "-auto-approve"]);
    let reader = Workdir::new();
    reader.write(
        "main.tf",
        &format!(
            "data \"terraform_remote_state\" \"platform\" {{\n  backend = \"local\"\n  config = {{\n    path = \"{}\"\n  }}\n  defaults = {{\n    region = \"eu-west-1\"\n    bucket = \"unused\"\n  }}\n}}\n\noutput \"bucket\" {{\n  value = data.terraform_remote_state.platform.outputs.bucket\n}}\n\noutput \"region\" {{\n  value = data.terraform_remote_state.platform.outputs.region\n}}\n",
            upstream.path().join("mlform.tfstate").display()
        ),
    );
    let applied = reader.ok(&["apply", "-auto-approve"]);
    assert!(
        applied.stdout.contains("bucket = \"ml-data-default\""),
        "{}",
        applied.stdout
    );
    assert!(
        applied.stdout.contains("region = \"eu-west-1\""),
        "{}",
        applied.stdout
    );
}

fn kubernetes_backend(cluster: &crate::kubernetes::Cluster) -> String {
    format!(
        "terraform {{\n  backend \"kubernetes\" {{\n    secret_suffix = \"ml-platform\"\n    config_path   = \"{}\"\n  }}\n}}\n",
        cluster.kubeconfig.display()
    )
}

fn secret_names(client: &kube::Client) -> Vec<String> {
    let api: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(client.clone(), "default");
    let mut names: Vec<String> = rt()
        .block_on(api.list(&Default::default()))
        .unwrap()
        .items
        .into_iter()
        .filter_map(|s| s.metadata.name)
        .filter(|n| n.starts_with("tfstate-"))
        .collect();
    names.sort();
    names
}

#[test]
fn kubernetes_backend_keeps_state_in_secrets_and_locks_with_a_lease() {
    let cluster = crate::kubernetes::Cluster::start();
    let client = cluster.client(rt());
    let w = Workdir::new();
    w.write(
        "main.tf",
        &format!(
            "{}resource \"time_sleep\" \"wait\" {{\n  create_duration = \"3s\"\n}}\nresource \"terraform_data\" \"model\" {{\n  input = \"resnet-${{terraform.workspace}}\"\n}}\noutput \"model\" {{\n  value = terraform_data.model.output\n}}\noutput \"token\" {{\n  value     = \"s3cr3t-token\"\n  sensitive = true\n}}\n",
            kubernetes_backend(&cluster)
        ),
    );
    w.ok(&["init"]);
    w.ok(&["apply", "-auto-approve"]);
    assert!(!w.path().join("mlform.tfstate").exists());
    // Terraform's layout: a gzip-compressed `tfstate` key in tfstate-WORKSPACE-SUFFIX,
    // labelled so that Terraform lists it as a workspace.
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(client.clone(), "default");
    let secret = rt()
        .block_on(secrets.get("tfstate-default-ml-platform"))
        .unwrap();
    let labels = secret.metadata.labels.clone().unwrap();
    assert_eq!(labels.get("tfstate").map(String::as_str), Some("true"));
    assert_eq!(
        labels.get("tfstateSecretSuffix").map(String::as_str),
        Some("ml-platform")
    );
    assert_eq!(
        labels.get("tfstateWorkspace").map(String::as_str),
        Some("default")
    );
    let gz = secret.data.unwrap().remove("tfstate").unwrap().0;
    let mut json = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut json).unwrap();
    let state: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(state["lineage"].as_str().map(str::len), Some(36));
    assert!(json.contains("resnet-default"), "{json}");
    // No journal segment outlives the apply.
    assert_eq!(secret_names(&client), ["tfstate-default-ml-platform"]);

    // Workspaces are Secrets of their own.
    w.ok(&["workspace", "new", "staging"]);
    w.ok(&["apply", "-auto-approve"]);
    let list = w.ok(&["workspace", "list"]);
    assert_eq!(list.stdout, "  default\n* staging\n\n");
    assert_eq!(
        secret_names(&client),
        ["tfstate-default-ml-platform", "tfstate-staging-ml-platform"]
    );
    let out = w.ok(&["output", "-raw", "model"]);
    assert_eq!(out.stdout, "resnet-staging");
    w.ok(&["workspace", "select", "default"]);

    // Two applies at once: the Lease lets one through, the other names the holder.
    let spawn = || spawn_apply(&w, &["-replace=time_sleep.wait"]);
    let leases: kube::Api<k8s_openapi::api::coordination::v1::Lease> =
        kube::Api::namespaced(client.clone(), "default");
    let held = || {
        rt().block_on(leases.get_opt("lock-tfstate-default-ml-platform"))
            .unwrap()
            .and_then(|l| l.spec?.holder_identity)
            .filter(|h| !h.is_empty())
    };
    let first = spawn();
    let started = Instant::now();
    while held().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the first apply never took the lease"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = spawn().wait_with_output().unwrap();
    let first = first.wait_with_output().unwrap();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("Error acquiring the state lock"), "{err}");
    assert!(
        err.contains("secret default/tfstate-default-ml-platform"),
        "{err}"
    );
    // Released as Terraform releases it: the Lease stays, with no holder.
    assert_eq!(held(), None);

    // A dead holder's lock is cleared by force-unlock with its ID.
    let mut lease = rt()
        .block_on(leases.get("lock-tfstate-default-ml-platform"))
        .unwrap();
    lease
        .spec
        .get_or_insert_with(Default::default)
        .holder_identity = Some("0d7c9a1e-dead-4c5e-9d7b-1f2e3a4b5c6d".into());
    lease
        .metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(
            "lockInfo".into(),
            serde_json::json!({"ID": "0d7c9a1e-dead-4c5e-9d7b-1f2e3a4b5c6d", "Operation": "OperationTypeApply", "Who": "ci@runner-9", "Version": "1.11.4", "Created": "2026-11-30T23:59:00Z", "Info": "", "Path": ""}).to_string(),
        );
    rt().block_on(leases.replace(
        "lock-tfstate-default-ml-platform",
        &Default::default(),
        &lease,
    ))
    .unwrap();
    let refused = w.run(&["plan"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("ci@runner-9"), "{}", refused.stderr);
    w.ok(&[
        "force-unlock",
        "-force",
        "0d7c9a1e-dead-4c5e-9d7b-1f2e3a4b5c6d",
    ]);
    let plan = w.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);

    // Another configuration reads the outputs; the sensitive one stays sensitive.
    let reader = Workdir::new();
    reader.write(
        "main.tf",
        &format!(
            "data \"terraform_remote_state\" \"platform\" {{\n  backend = \"kubernetes\"\n  config = {{\n    secret_suffix = \"ml-platform\"\n    config_path   = \"{}\"\n  }}\n}}\noutput \"model\" {{\n  value = data.terraform_remote_state.platform.outputs.model\n}}\noutput \"token\" {{\n  value = data.terraform_remote_state.platform.outputs.token\n}}\n",
            cluster.kubeconfig.display()
        ),
    );
    let r = reader.run(&["plan"]);
    assert_eq!(r.code, 1, "an unmarked sensitive output must be refused");
    assert!(r.stderr.contains("sensitive"), "{}", r.stderr);
    reader.write(
        "main.tf",
        &std::fs::read_to_string(reader.path().join("main.tf"))
            .unwrap()
            .replace("outputs.token\n}", "outputs.token\n  sensitive = true\n}"),
    );
    let applied = reader.ok(&["apply", "-auto-approve"]);
    assert!(
        applied.stdout.contains("model = \"resnet-default\""),
        "{}",
        applied.stdout
    );
    assert!(!applied.stdout.contains("s3cr3t"), "{}", applied.stdout);
}

#[test]
fn aws_kms_key_provider_seals_state_with_a_data_key_from_kms() {
    let moto = Moto::start();
    let s3 = make_bucket(&moto);
    let kms = moto.kms();
    let key_id = rt()
        .block_on(kms.create_key().description("mlform state").send())
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    let other_key = rt()
        .block_on(kms.create_key().description("another team").send())
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id;
    let encryption = |key: &str| {
        format!(
            "terraform {{\n  encryption {{\n    key_provider \"aws_kms\" \"team\" {{\n      kms_key_id = \"{key}\"\n      key_spec   = \"AES_256\"\n      region     = \"us-east-1\"\n      access_key = \"test\"\n      secret_key = \"test\"\n      endpoints  = {{ kms = \"{}\" }}\n    }}\n    method \"aes_gcm\" \"team\" {{\n      keys = key_provider.aws_kms.team\n    }}\n    state {{\n      method   = method.aes_gcm.team\n      enforced = true\n    }}\n    plan {{\n      method = method.aes_gcm.team\n    }}\n  }}\n}}\n",
            moto.url
        )
    };
    let w = Workdir::new();
    w.write("main.tf", &s3_config(PLATFORM));
    w.write("encryption.tf", &encryption(&key_id));
    w.write("backend.hcl", &backend_hcl(&moto));
    w.ok(&["init", "-backend-config=backend.hcl"]);
    w.ok(&["apply", "-auto-approve"]);
    let sealed = String::from_utf8(object(&s3, KEY).unwrap()).unwrap();
    assert!(
        sealed.contains("key_provider.aws_kms.team") && sealed.contains("\"encrypted_data\""),
        "{sealed}"
    );
    for secret in ["hunter2", "ml-data", "terraform_data"] {
        assert!(!sealed.contains(secret), "{secret} in the clear: {sealed}");
    }
    // The stored metadata is the wrapped data key only.
    let envelope: serde_json::Value = serde_json::from_str(&sealed).unwrap();
    let meta = envelope["meta"]["key_provider.aws_kms.team"]
        .as_str()
        .unwrap();
    let meta = String::from_utf8(base64_decode(meta)).unwrap();
    assert!(meta.starts_with("{\"ciphertext_blob\":"), "{meta}");
    // Reading it back unwraps the data key with kms:Decrypt.
    let plan = w.run(&["plan", "-detailed-exitcode", "-out=p.plan"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let saved = std::fs::read_to_string(w.path().join("p.plan")).unwrap();
    assert!(saved.contains("key_provider.aws_kms.team") && !saved.contains("hunter2"));
    w.ok(&["apply", "p.plan"]);
    // Another KMS key cannot open it: a clear error, and nothing is overwritten.
    let sealed_now = object(&s3, KEY).unwrap();
    w.write("encryption.tf", &encryption(&other_key));
    let r = w.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("could not unwrap the data key"),
        "{}",
        r.stderr
    );
    assert_eq!(object(&s3, KEY).unwrap(), sealed_now);
    // A key KMS does not have stops the command before anything is written.
    w.write("encryption.tf", &encryption("alias/missing"));
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("could not make a data key"),
        "{}",
        r.stderr
    );
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[test]
fn remote_state_opens_encrypted_state_with_remote_state_data_sources() {
    let key = passphrase("correct-horse-battery-staple");
    let env = [("TF_ENCRYPTION", key.as_str())];
    let platform = Workdir::new();
    platform.write("main.tf", PLATFORM);
    platform.write(
        "encryption.tf",
        "terraform {\n  encryption {\n    method \"aes_gcm\" \"team\" {\n      keys = key_provider.pbkdf2.team\n    }\n    state {\n      method = method.aes_gcm.team\n    }\n  }\n}\n",
    );
    platform.ok_env(&["apply", "-auto-approve"], &env);
    let state = std::fs::read_to_string(platform.path().join("mlform.tfstate")).unwrap();
    assert!(state.contains("encrypted_data") && !state.contains("ml-data-default"));
    let reader = Workdir::new();
    let read = format!(
        "data \"terraform_remote_state\" \"platform\" {{\n  backend = \"local\"\n  config = {{\n    path = \"{}\"\n  }}\n}}\noutput \"bucket\" {{\n  value = data.terraform_remote_state.platform.outputs.bucket\n}}\n",
        platform.path().join("mlform.tfstate").display()
    );
    reader.write("main.tf", &read);
    // Without remote_state_data_sources the reader cannot open it, and says why.
    let r = reader.run(&["plan"]);
    assert_eq!(r.code, 1);
    let text = r.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("key_provider.pbkdf2.team"), "{text}");
    reader.write(
        "encryption.tf",
        "terraform {\n  encryption {\n    method \"aes_gcm\" \"team\" {\n      keys = key_provider.pbkdf2.team\n    }\n    remote_state_data_sources {\n      default {\n        method = method.aes_gcm.team\n      }\n    }\n  }\n}\n",
    );
    let applied = reader.ok_env(&["apply", "-auto-approve"], &env);
    assert!(
        applied.stdout.contains("bucket = \"ml-data-default\""),
        "{}",
        applied.stdout
    );
    // The reader's own state stays plaintext: it configured no state target.
    let own = std::fs::read_to_string(reader.path().join("mlform.tfstate")).unwrap();
    assert!(own.contains("ml-data-default"));
}
