//! Registry credentials from ECR's GetAuthorizationToken, against the local AWS emulator and
//! Debian's docker-registry asking for Basic authentication: `mlform image push -ecr`, and
//! `data "aws_ecr_authorization_token"` feeding the `mlform` provider's `registry_auth`.
//! The registry's only user is the token's (`AWS`, with the password the emulator issues),
//! so a push without the token is refused and one with it lands.

use crate::aws::Moto;
use crate::image::{build, have, server_bin, skopeo_digest_as, start_registry_with, Registry};
use crate::serve::{models, ort_library};
use crate::support::Workdir;

/// The password in the emulator's ECR token for its default account (moto issues
/// `ACCOUNT-auth-token`; real ECR, a 12-hour secret).
const ECR_PASSWORD: &str = "123456789012-auth-token";

fn registry_for_ecr_token(w: &Workdir) -> (Registry, String) {
    let hash = bcrypt::hash(ECR_PASSWORD, 4).unwrap();
    let htpasswd = w.path().join("htpasswd");
    std::fs::write(&htpasswd, format!("AWS:{hash}\n")).unwrap();
    start_registry_with(w.path(), Some(&htpasswd))
}

fn aws_env(moto: &Moto) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", moto.url.clone()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

#[test]
fn image_push_logs_in_with_an_ecr_token() {
    if !have("docker-registry", &["--version"]) || !have("skopeo", &["--version"]) {
        return;
    }
    let moto = Moto::start();
    let w = Workdir::new();
    let digest = build(&w, "img", Some(&models().join("mlp.onnx")));
    let (_registry, addr) = registry_for_ecr_token(&w);
    let target = format!("{addr}/models/mlp:v1");
    let env = aws_env(&moto);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let refused = w.run_env(&["image", "push", "img", &target], &env);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("needs a user name and password"),
        "{}",
        refused.stderr
    );

    let push = w.run_env(&["image", "push", "-ecr", "img", &target], &env);
    assert_eq!(push.code, 0, "{}", push.stderr);
    assert_eq!(push.stdout.trim(), digest);
    assert!(!push.stderr.contains(ECR_PASSWORD), "{}", push.stderr);
    let creds = format!("AWS:{ECR_PASSWORD}");
    assert_eq!(
        skopeo_digest_as(&target, Some(&creds)).as_deref(),
        Some(digest.as_str())
    );

    // Without a region the login cannot start, and says so.
    let no_region = w.run_env(
        &["image", "push", "-ecr", "img", &target],
        &[
            ("AWS_ENDPOINT_URL", moto.url.as_str()),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    assert_eq!(no_region.code, 1);
    assert!(
        no_region.stderr.contains("ECR login for"),
        "{}",
        no_region.stderr
    );
}

#[test]
fn ecr_token_data_source_feeds_the_provider_registry_auth() {
    if !have("docker-registry", &["--version"]) || !have("skopeo", &["--version"]) {
        return;
    }
    let moto = Moto::start();
    let w = Workdir::new();
    let (_registry, addr) = registry_for_ecr_token(&w);
    std::fs::copy(models().join("mlp.onnx"), w.path().join("model.onnx")).unwrap();
    w.write(
        "main.tf",
        &format!(
            r#"{provider}
data "aws_ecr_authorization_token" "registry" {{}}

provider "mlform" {{
  registry_auth {{
    address  = "http://{addr}"
    username = data.aws_ecr_authorization_token.registry.user_name
    password = data.aws_ecr_authorization_token.registry.password
  }}
}}

resource "mlform_serving_image" "scorer" {{
  repository  = "{addr}/models/scorer"
  tag         = "v1"
  model       = "${{path.module}}/model.onnx"
  server      = "{server}"
  ort_library = "{ort}"
}}

output "registry" {{
  value = {{
    user     = data.aws_ecr_authorization_token.registry.user_name
    endpoint = data.aws_ecr_authorization_token.registry.proxy_endpoint
    expires  = data.aws_ecr_authorization_token.registry.expires_at
    id       = data.aws_ecr_authorization_token.registry.id
  }}
}}

output "password" {{
  value     = data.aws_ecr_authorization_token.registry.password
  sensitive = true
}}
"#,
            provider = moto.provider_block(""),
            server = server_bin().display(),
            ort = ort_library().display()
        ),
    );
    let plan = w.run(&["plan", "-no-color"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let apply = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    for out in [&plan.stdout, &apply.stdout, &plan.stderr, &apply.stderr] {
        assert!(!out.contains(ECR_PASSWORD), "the token leaked:\n{out}");
    }
    let registry: serde_json::Value =
        serde_json::from_str(&w.ok(&["output", "-json", "registry"]).stdout).unwrap();
    assert_eq!(
        registry,
        serde_json::json!({
            "user": "AWS",
            "endpoint": "https://123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "expires": "2015-01-01T00:00:00Z",
            "id": "us-east-1",
        })
    );
    assert_eq!(w.ok(&["output", "-raw", "password"]).stdout, ECR_PASSWORD);
    let state = w.state();
    let image = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "mlform_serving_image")
        .expect("the image is in state");
    assert!(
        !image.to_string().contains(ECR_PASSWORD),
        "the image's state holds no credentials: {image}"
    );
    let target = format!("{addr}/models/scorer:v1");
    let creds = format!("AWS:{ECR_PASSWORD}");
    let pushed = skopeo_digest_as(&target, Some(&creds)).expect("pushed");
    assert!(image.to_string().contains(&pushed));

    // Refresh and destroy use the provider's credentials too.
    let again = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    let destroy = w.run(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(destroy.code, 0, "{}{}", destroy.stdout, destroy.stderr);
    assert_eq!(skopeo_digest_as(&target, Some(&creds)), None);
}
