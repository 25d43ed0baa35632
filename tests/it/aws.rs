//! The AWS provider against the local AWS emulator (moto_server from PyPI, installed by this
//! harness into a cached venv, one server per test on a free loopback port), through the
//! real aws-sdk clients: create, no-op, update in place, replace, import, drift, destroy.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::support::Workdir;

const MOTO_VERSION: &str = "5.2.5";

fn moto_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let venv = PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()))
            .join(format!(".cache/mlform/venv-moto-{MOTO_VERSION}"));
        let bin = venv.join("bin/moto_server");
        if !bin.exists() {
            let ok = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(ok, "python3 -m venv failed");
            let ok = Command::new(venv.join("bin/python"))
                .args([
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    &format!("moto[server]=={MOTO_VERSION}"),
                ])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(ok && bin.exists(), "pip install moto[server] failed");
        }
        bin
    })
    .clone()
}

/// A running emulator, stopped on drop.
pub struct Moto {
    child: Child,
    pub url: String,
}

impl Moto {
    pub fn start() -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // moto_server with the documented-behaviour shims of tests/aws/emulator.py.
        let python = moto_bin().parent().unwrap().join("python");
        let shim = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws/emulator.py");
        let child = Command::new(python)
            .arg(shim)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Moto { child, url };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("moto_server did not start");
    }

    /// The provider block pointing every service at the emulator.
    pub fn provider_block(&self, extra: &str) -> String {
        format!(
            "provider \"aws\" {{\n  region                      = \"us-east-1\"\n  access_key                  = \"test\"\n  secret_key                  = \"test\"\n  skip_credentials_validation = true\n  skip_requesting_account_id  = true\n  skip_metadata_api_check     = true\n{extra}\n  endpoints {{\n    s3                     = \"{0}\"\n    iam                    = \"{0}\"\n    sts                    = \"{0}\"\n    sagemaker              = \"{0}\"\n    applicationautoscaling = \"{0}\"\n    cloudwatch             = \"{0}\"\n    kms                    = \"{0}\"\n    sns                    = \"{0}\"\n    ecr                    = \"{0}\"\n    sqs                    = \"{0}\"\n    lambda                 = \"{0}\"\n    ec2                    = \"{0}\"\n  }}\n}}\n",
            self.url
        )
    }

    pub async fn sdk(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .endpoint_url(&self.url)
            .load()
            .await
    }

    pub fn s3(&self) -> aws_sdk_s3::Client {
        let sdk = rt().block_on(self.sdk());
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        )
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        let sdk = rt().block_on(self.sdk());
        aws_sdk_iam::Client::new(&sdk)
    }

    pub fn sagemaker(&self) -> aws_sdk_sagemaker::Client {
        aws_sdk_sagemaker::Client::new(&rt().block_on(self.sdk()))
    }

    pub fn autoscaling(&self) -> aws_sdk_applicationautoscaling::Client {
        aws_sdk_applicationautoscaling::Client::new(&rt().block_on(self.sdk()))
    }

    pub fn cloudwatch(&self) -> aws_sdk_cloudwatch::Client {
        aws_sdk_cloudwatch::Client::new(&rt().block_on(self.sdk()))
    }

    pub fn sns(&self) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&rt().block_on(self.sdk()))
    }

    pub fn kms(&self) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::new(&rt().block_on(self.sdk()))
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&rt().block_on(self.sdk()))
    }

    pub fn lambda(&self) -> aws_sdk_lambda::Client {
        aws_sdk_lambda::Client::new(&rt().block_on(self.sdk()))
    }

    pub fn ecr(&self) -> aws_sdk_ecr::Client {
        aws_sdk_ecr::Client::new(&rt().block_on(self.sdk()))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub fn counts(text: &str) -> (usize, usize, usize) {
    let re = regex::Regex::new(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy").unwrap();
    match re.captures(text) {
        Some(c) => (
            c[1].parse().unwrap(),
            c[2].parse().unwrap(),
            c[3].parse().unwrap(),
        ),
        None => (0, 0, 0),
    }
}

#[test]
fn s3_bucket_lifecycle_against_the_emulator() {
    let moto = Moto::start();
    let w = Workdir::new();
    let config = |name: &str, team: &str| {
        format!("{}\nresource \"aws_s3_bucket\" \"data\" {{\n  bucket        = \"{name}\"\n  force_destroy = true\n  tags = {{\n    team = \"{team}\"\n  }}\n}}\n\noutput \"arn\" {{\n  value = aws_s3_bucket.data.arn\n}}\n", moto.provider_block("  default_tags {\n    tags = { managed-by = \"mlform\" }\n  }"))
    };
    w.write("main.tf", &config("training-data", "ml"));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(r.stdout.contains("1 added"), "{}", r.stdout);
    assert_eq!(
        w.ok(&["output", "-raw", "arn"]).stdout,
        "arn:aws:s3:::training-data"
    );
    let s3 = moto.s3();
    let tags = rt()
        .block_on(s3.get_bucket_tagging().bucket("training-data").send())
        .unwrap();
    let mut got: Vec<(String, String)> = tags
        .tag_set()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("managed-by".to_string(), "mlform".to_string()),
            ("team".to_string(), "ml".to_string())
        ]
    );

    // No changes on a second plan.
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // A tag change is an update in place.
    w.write("main.tf", &config("training-data", "data"));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );

    // Changed outside mlform: the plan shows drift and puts it back.
    let tagging = aws_sdk_s3::types::Tagging::builder()
        .tag_set(
            aws_sdk_s3::types::Tag::builder()
                .key("team")
                .value("rogue")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    rt().block_on(
        s3.put_bucket_tagging()
            .bucket("training-data")
            .tagging(tagging)
            .send(),
    )
    .unwrap();
    // Terraform 1.2+ shows drift in a normal plan only where it can affect the plan; a
    // refresh-only plan shows all of it.
    let r = w.run(&["plan", "-refresh-only", "-no-color"]);
    assert!(
        r.stdout.contains("aws_s3_bucket.data has changed"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\"rogue\""), "{}", r.stdout);
    let r = w.run(&["plan", "-no-color"]);
    assert!(!r.stdout.contains("changed outside"), "{}", r.stdout);
    assert!(r.stdout.contains("\"rogue\""), "{}", r.stdout);
    assert_eq!(counts(&r.stdout), (0, 1, 0));
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    // A new name replaces the bucket; the old one is gone.
    rt().block_on(
        s3.put_object()
            .bucket("training-data")
            .key("model.onnx")
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
            .send(),
    )
    .unwrap();
    w.write("main.tf", &config("training-data-v2", "data"));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(
        r.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        r.stdout
    );
    assert!(rt()
        .block_on(s3.head_bucket().bucket("training-data").send())
        .is_err());

    // Import into an empty state, then the plan is clean.
    w.ok(&["state", "rm", "aws_s3_bucket.data"]);
    w.ok(&["import", "aws_s3_bucket.data", "training-data-v2"]);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    // force_destroy is not known to AWS: importing leaves it unset, so the plan sets it.
    assert!(
        r.code == 0 || r.stdout.contains("force_destroy"),
        "{}",
        r.stdout
    );
    w.ok(&["apply", "-auto-approve"]);

    // Destroy leaves nothing.
    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt()
        .block_on(s3.head_bucket().bucket("training-data-v2").send())
        .is_err());
    assert!(w.addresses().is_empty());
}

#[test]
fn iam_role_lifecycle_with_semantic_policy_comparison() {
    let moto = Moto::start();
    let w = Workdir::new();
    let config = |policy: &str, description: &str, path: &str| {
        format!(
            "{}\ndata \"aws_iam_policy_document\" \"trust\" {{\n  statement {{\n    actions = [\"sts:AssumeRole\"]\n    principals {{\n      type        = \"Service\"\n      identifiers = [\"sagemaker.amazonaws.com\"]\n    }}\n  }}\n}}\n\nresource \"aws_iam_role\" \"training\" {{\n  name               = \"training\"\n  path               = \"{path}\"\n  description        = \"{description}\"\n  assume_role_policy = {policy}\n}}\n\ndata \"aws_caller_identity\" \"me\" {{}}\n\noutput \"account\" {{\n  value = data.aws_caller_identity.me.account_id\n}}\n",
            moto.provider_block("")
        )
    };
    w.write(
        "main.tf",
        &config(
            "data.aws_iam_policy_document.trust.json",
            "trains models",
            "/",
        ),
    );
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(r.stdout.contains("1 added"), "{}", r.stdout);
    assert_eq!(w.ok(&["output", "-raw", "account"]).stdout, "123456789012");
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // The same policy written differently is no change.
    let same = r#"jsonencode({ Statement = [{ Principal = { Service = ["sagemaker.amazonaws.com"] }, Effect = "Allow", Action = "sts:AssumeRole" }], Version = "2012-10-17" })"#;
    w.write("main.tf", &config(same, "trains models", "/"));
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}", r.stdout);

    // Description: update in place; path: replacement.
    w.write("main.tf", &config(same, "trains bigger models", "/"));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    w.write("main.tf", &config(same, "trains bigger models", "/ml/"));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(
        r.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        r.stdout
    );

    // Drift: a tag added outside mlform shows as a change and is removed.
    let iam = moto.iam();
    rt().block_on(
        iam.tag_role()
            .role_name("training")
            .tags(
                aws_sdk_iam::types::Tag::builder()
                    .key("owner")
                    .value("someone")
                    .build()
                    .unwrap(),
            )
            .send(),
    )
    .unwrap();
    let r = w.run(&["plan", "-refresh-only", "-no-color"]);
    assert!(
        r.stdout.contains("aws_iam_role.training has changed"),
        "{}",
        r.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    // Import, then destroy.
    w.ok(&["state", "rm", "aws_iam_role.training"]);
    w.ok(&["import", "aws_iam_role.training", "training"]);
    w.ok(&["apply", "-auto-approve"]);
    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt()
        .block_on(iam.get_role().role_name("training").send())
        .is_err());
}

fn platform(moto: &Moto, status: &str, block: bool, actions: &str) -> String {
    format!(
        r#"{provider}
resource "aws_s3_bucket" "data" {{
  bucket        = "platform-data"
  force_destroy = true
}}

resource "aws_s3_bucket_versioning" "data" {{
  bucket = aws_s3_bucket.data.id
  versioning_configuration {{
    status = "{status}"
  }}
}}

resource "aws_s3_bucket_public_access_block" "data" {{
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  block_public_policy     = {block}
  ignore_public_acls      = true
  restrict_public_buckets = true
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {{
  bucket = aws_s3_bucket.data.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm = "AES256"
    }}
  }}
}}

data "aws_iam_policy_document" "read" {{
  statement {{
    actions   = [{actions}]
    resources = ["${{aws_s3_bucket.data.arn}}/*"]
  }}
}}

resource "aws_iam_policy" "read" {{
  name   = "platform-read"
  policy = data.aws_iam_policy_document.read.json
}}

resource "aws_iam_role" "serving" {{
  name = "serving"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sagemaker.amazonaws.com" }} }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "read" {{
  role       = aws_iam_role.serving.name
  policy_arn = aws_iam_policy.read.arn
}}

resource "aws_iam_role_policy" "logs" {{
  role   = aws_iam_role.serving.name
  name   = "logs"
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = ["logs:PutLogEvents"], Resource = "*" }}] }})
}}

resource "aws_s3_bucket_policy" "data" {{
  bucket = aws_s3_bucket.data.id
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Sid = "DenyInsecure", Effect = "Deny", Principal = "*", Action = "s3:*", Resource = "${{aws_s3_bucket.data.arn}}/*", Condition = {{ Bool = {{ "aws:SecureTransport" = "false" }} }} }}]
  }})
}}
"#,
        provider = moto.provider_block("")
    )
}

#[test]
fn data_bucket_and_iam_policies_against_the_emulator() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write(
        "main.tf",
        &platform(&moto, "Enabled", true, "\"s3:GetObject\""),
    );
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(r.stdout.contains("9 added"), "{}", r.stdout);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    let s3 = moto.s3();
    let v = rt()
        .block_on(s3.get_bucket_versioning().bucket("platform-data").send())
        .unwrap();
    assert_eq!(v.status().map(|s| s.as_str()), Some("Enabled"));
    let iam = moto.iam();
    let attached = rt()
        .block_on(
            iam.list_attached_role_policies()
                .role_name("serving")
                .send(),
        )
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 1);

    // In-place updates: versioning, public access block, the managed policy's document.
    w.write(
        "main.tf",
        &platform(
            &moto,
            "Suspended",
            false,
            "\"s3:GetObject\", \"s3:ListBucket\"",
        ),
    );
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(
        r.stdout.contains("0 added, 3 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let pab = rt()
        .block_on(s3.get_public_access_block().bucket("platform-data").send())
        .unwrap();
    assert_eq!(
        pab.public_access_block_configuration()
            .and_then(|c| c.block_public_policy()),
        Some(false)
    );

    // Import by the terraform-provider-aws ID formats.
    for (addr, id) in [
        (
            "aws_s3_bucket_public_access_block.data",
            "platform-data".to_string(),
        ),
        ("aws_s3_bucket_versioning.data", "platform-data".to_string()),
        (
            "aws_s3_bucket_server_side_encryption_configuration.data",
            "platform-data".to_string(),
        ),
        ("aws_s3_bucket_policy.data", "platform-data".to_string()),
        ("aws_iam_role_policy.logs", "serving:logs".to_string()),
        (
            "aws_iam_policy.read",
            "arn:aws:iam::123456789012:policy/platform-read".to_string(),
        ),
        (
            "aws_iam_role_policy_attachment.read",
            "serving/arn:aws:iam::123456789012:policy/platform-read".to_string(),
        ),
    ] {
        w.ok(&["state", "rm", addr]);
        w.ok(&["import", addr, &id]);
    }
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // Destroy in dependency order leaves nothing behind.
    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt()
        .block_on(s3.head_bucket().bucket("platform-data").send())
        .is_err());
    assert!(rt()
        .block_on(iam.get_role().role_name("serving").send())
        .is_err());
    let policies = rt()
        .block_on(
            iam.list_policies()
                .scope(aws_sdk_iam::types::PolicyScopeType::Local)
                .send(),
        )
        .unwrap();
    assert!(policies.policies().is_empty(), "{:?}", policies.policies());
}

#[test]
fn s3_object_uploads_content_and_files_and_updates_on_change() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("model.onnx", "weights-v1");
    let config = format!(
        "{}\nresource \"aws_s3_bucket\" \"models\" {{\n  bucket        = \"models\"\n  force_destroy = true\n}}\n\nresource \"aws_s3_object\" \"model\" {{\n  bucket      = aws_s3_bucket.models.id\n  key         = \"scorer/model.onnx\"\n  source      = \"${{path.module}}/model.onnx\"\n  source_hash = filemd5(\"${{path.module}}/model.onnx\")\n}}\n\nresource \"aws_s3_object\" \"config\" {{\n  bucket       = aws_s3_bucket.models.id\n  key          = \"scorer/config.json\"\n  content      = jsonencode({{ threshold = 0.5 }})\n  content_type = \"application/json\"\n}}\n",
        moto.provider_block("")
    );
    w.write("main.tf", &config);
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(r.stdout.contains("3 added"), "{}", r.stdout);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let s3 = moto.s3();
    let body = rt().block_on(async {
        s3.get_object()
            .bucket("models")
            .key("scorer/model.onnx")
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes()
    });
    assert_eq!(&body[..], b"weights-v1");

    // A changed model file is an update of the object, not a replacement.
    w.write("model.onnx", "weights-v2");
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(
        r.stdout
            .contains("aws_s3_object.model will be updated in-place"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let body = rt().block_on(async {
        s3.get_object()
            .bucket("models")
            .key("scorer/model.onnx")
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes()
    });
    assert_eq!(&body[..], b"weights-v2");
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    w.ok(&["state", "rm", "aws_s3_object.config"]);
    w.ok(&[
        "import",
        "aws_s3_object.config",
        "models/scorer/config.json",
    ]);
    w.ok(&["apply", "-auto-approve"]);
    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt()
        .block_on(s3.head_bucket().bucket("models").send())
        .is_err());
}

#[test]
fn large_s3_object_goes_up_in_parts() {
    let moto = Moto::start();
    let w = Workdir::new();
    // 65 MiB: over the 64 MiB single-upload limit, so five 16 MiB parts.
    let big: Vec<u8> = (0..65 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(w.path().join("big.bin"), &big).unwrap();
    w.write(
        "main.tf",
        &format!("{}\nresource \"aws_s3_bucket\" \"b\" {{\n  bucket        = \"big\"\n  force_destroy = true\n}}\n\nresource \"aws_s3_object\" \"o\" {{\n  bucket = aws_s3_bucket.b.id\n  key    = \"big.bin\"\n  source = \"big.bin\"\n}}\n", moto.provider_block("")),
    );
    w.ok(&["apply", "-auto-approve"]);
    let s3 = moto.s3();
    let head = rt()
        .block_on(s3.head_object().bucket("big").key("big.bin").send())
        .unwrap();
    assert_eq!(head.content_length(), Some(big.len() as i64));
    assert!(
        head.e_tag().unwrap_or_default().contains("-5"),
        "multipart ETag expected, got {:?}",
        head.e_tag()
    );
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);
    w.ok(&["destroy", "-auto-approve"]);
}

pub fn serving(moto: &Moto, object_key: &str) -> String {
    format!(
        r#"{provider}
resource "aws_s3_bucket" "models" {{
  bucket        = "serving-models"
  force_destroy = true
}}

resource "aws_s3_object" "model" {{
  bucket  = aws_s3_bucket.models.id
  key     = "{object_key}"
  content = "weights"
}}

resource "aws_iam_role" "serving" {{
  name = "serving"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sagemaker.amazonaws.com" }} }}]
  }})
}}

resource "aws_sagemaker_model" "scorer" {{
  execution_role_arn = aws_iam_role.serving.arn
  primary_container {{
    image          = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlform-serve:latest"
    model_data_url = "s3://${{aws_s3_bucket.models.id}}/${{aws_s3_object.model.key}}"
    environment    = {{ MODEL_NAME = "scorer" }}
  }}
}}

resource "aws_sagemaker_endpoint_configuration" "scorer" {{
  production_variants {{
    model_name             = aws_sagemaker_model.scorer.name
    initial_instance_count = 1
    instance_type          = "ml.m5.large"
  }}
}}

resource "aws_sagemaker_endpoint" "scorer" {{
  name                 = "scorer"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.scorer.name
  timeouts {{
    create = "30m"
  }}
}}
"#,
        provider = moto.provider_block("  endpoints {\n  }")
    )
    .replace("  endpoints {\n  }\n", "")
}

#[test]
fn sagemaker_endpoint_rolls_to_a_new_configuration_when_the_model_changes() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &serving(&moto, "scorer/v1/model.onnx"));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(r.stdout.contains("6 added"), "{}", r.stdout);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // A new model artifact: new object, new model, new endpoint configuration created before
    // the old one is deleted, and the endpoint switched in place.
    w.write("main.tf", &serving(&moto, "scorer/v2/model.onnx"));
    let r = w.run(&["plan", "-no-color"]);
    assert!(
        r.stdout
            .contains("+/- resource \"aws_sagemaker_endpoint_configuration\" \"scorer\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("~ resource \"aws_sagemaker_endpoint\" \"scorer\""),
        "{}",
        r.stdout
    );
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    let pos = |s: &str| {
        r.stdout
            .find(s)
            .unwrap_or_else(|| panic!("{s} missing:\n{}", r.stdout))
    };
    assert!(
        pos("aws_sagemaker_endpoint_configuration.scorer: Creation complete")
            < pos("aws_sagemaker_endpoint.scorer: Modifications complete")
    );
    assert!(pos("aws_sagemaker_endpoint.scorer: Modifications complete") < pos("aws_sagemaker_endpoint_configuration.scorer (deposed object): Destruction complete"));
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // Generated names are the import IDs; imported, the objects plan no change.
    for kind in [
        "aws_sagemaker_model",
        "aws_sagemaker_endpoint_configuration",
    ] {
        let state = w.state();
        let resource = state["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["type"] == kind)
            .unwrap();
        let name = resource["instances"][0]["attributes"]["name"]
            .as_str()
            .unwrap()
            .to_string();
        let address = format!("{kind}.scorer");
        w.ok(&["state", "rm", &address]);
        w.ok(&["import", &address, &name]);
        let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    }

    w.ok(&["state", "rm", "aws_sagemaker_endpoint.scorer"]);
    w.ok(&["import", "aws_sagemaker_endpoint.scorer", "scorer"]);
    // As with Terraform, an import knows no `timeouts`: adding them is the only change, and
    // applying it calls no SageMaker API.
    let r = w.run(&["plan", "-no-color"]);
    assert!(r.stdout.contains("+ timeouts {"), "{}", r.stdout);
    assert!(
        r.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        r.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.ok(&["destroy", "-auto-approve"]);
    assert!(w.addresses().is_empty());
}
