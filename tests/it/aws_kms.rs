//! KMS keys, aliases and grants, and the partition/region data sources read beside them,
//! against the local AWS emulator: create → no-op → update → drift → import → destroy; and
//! the KMS types mlform knows by schema but refuses by name.

use crate::aws::{counts, rt, Moto};
use crate::support::Workdir;

fn kms_config(moto: &Moto, description: &str, rotation: bool) -> String {
    format!(
        r#"{provider}
data "aws_partition" "p" {{}}
data "aws_region" "r" {{}}
data "aws_service_principal" "sm" {{
  service_name = "sagemaker"
}}

resource "aws_kms_key" "data" {{
  description             = "{description}"
  deletion_window_in_days = 7
  enable_key_rotation     = {rotation}
  tags = {{
    team = "ml"
  }}
}}

resource "aws_kms_alias" "data" {{
  name          = "alias/ml-data"
  target_key_id = aws_kms_key.data.key_id
}}

data "aws_arn" "key" {{
  arn = aws_kms_key.data.arn
}}

data "aws_kms_key" "by_alias" {{
  key_id = aws_kms_alias.data.name
}}

output "facts" {{
  value = [
    data.aws_partition.p.partition,
    data.aws_partition.p.dns_suffix,
    data.aws_region.r.name,
    data.aws_region.r.description,
    data.aws_service_principal.sm.name,
    data.aws_service_principal.sm.id,
    data.aws_arn.key.service,
    data.aws_kms_key.by_alias.id == aws_kms_key.data.key_id,
  ]
}}
"#,
        provider = moto.provider_block("")
    )
}

#[test]
fn kms_key_and_alias_lifecycle_with_region_facts() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &kms_config(&moto, "training data", false));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(
        r.stdout.contains("2 added, 0 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let facts = w.ok(&["output", "-json", "facts"]).stdout;
    let facts: serde_json::Value = serde_json::from_str(&facts).unwrap();
    assert_eq!(
        facts,
        serde_json::json!([
            "aws",
            "amazonaws.com",
            "us-east-1",
            "US East (N. Virginia)",
            "sagemaker.amazonaws.com",
            "sagemaker.us-east-1.amazonaws.com",
            "kms",
            true
        ])
    );
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // Description and rotation change in place.
    w.write(
        "main.tf",
        &kms_config(&moto, "training and eval data", true),
    );
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let state = w.state().to_string();
    assert!(state.contains("\"rotation_period_in_days\":365"), "{state}");
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}", r.stdout);

    // Drift: a tag added outside mlform is seen and removed.
    let key_id = key_id_from(&w);
    let kms = moto.kms();
    rt().block_on(
        kms.tag_resource()
            .key_id(&key_id)
            .tags(
                aws_sdk_kms::types::Tag::builder()
                    .tag_key("owner")
                    .tag_value("someone")
                    .build()
                    .unwrap(),
            )
            .send(),
    )
    .unwrap();
    let r = w.run(&["plan", "-refresh-only", "-no-color"]);
    assert!(
        r.stdout.contains("aws_kms_key.data has changed"),
        "{}",
        r.stdout
    );
    let r = w.run(&["plan", "-no-color"]);
    assert_eq!(counts(&r.stdout), (0, 1, 0), "{}", r.stdout);
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    // Import both by their terraform-provider-aws IDs.
    w.ok(&["state", "rm", "aws_kms_key.data", "aws_kms_alias.data"]);
    w.ok(&["import", "aws_kms_key.data", &key_id]);
    w.ok(&["import", "aws_kms_alias.data", "alias/ml-data"]);
    let r = w.run(&["plan", "-no-color"]);
    // The deletion window is not readable: import leaves it null, as Terraform does.
    assert_eq!(counts(&r.stdout), (0, 1, 0), "{}", r.stdout);
    assert!(
        regex::Regex::new(r"\+ deletion_window_in_days +=  *7")
            .unwrap()
            .is_match(&r.stdout),
        "{}",
        r.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    // Destroy schedules the key's deletion.
    w.ok(&["destroy", "-auto-approve"]);
    let key = rt()
        .block_on(kms.describe_key().key_id(&key_id).send())
        .unwrap();
    assert_eq!(
        key.key_metadata().and_then(|k| k.key_state()),
        Some(&aws_sdk_kms::types::KeyState::PendingDeletion)
    );
}

fn key_id_from(w: &Workdir) -> String {
    let text = w.state().to_string();
    let re = regex::Regex::new(r#""key_id":"([0-9a-f-]{36})""#).unwrap();
    re.captures(&text).expect("key_id in state")[1].to_string()
}

fn grant_config(moto: &Moto, operations: &str, extra: &str) -> String {
    format!(
        r#"{provider}
resource "aws_kms_key" "data" {{
  description             = "feature store"
  deletion_window_in_days = 7
}}

resource "aws_iam_role" "trainer" {{
  name = "trainer"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sagemaker.amazonaws.com" }} }}]
  }})
}}

resource "aws_kms_grant" "trainer" {{
  name              = "trainer"
  key_id            = aws_kms_key.data.key_id
  grantee_principal = aws_iam_role.trainer.arn
  operations        = [{operations}]
  retire_on_delete  = true
  constraints {{
    encryption_context_equals = {{
      team = "ml"
    }}
  }}
}}
{extra}"#,
        provider = moto.provider_block(""),
    )
}

#[test]
fn kms_grant_lifecycle_and_the_keys_mlform_refuses_by_name() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write(
        "main.tf",
        &grant_config(&moto, "\"Encrypt\", \"Decrypt\"", ""),
    );
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.plan_is_clean();
    let shown = w.ok(&["state", "show", "aws_kms_grant.trainer"]).stdout;
    assert!(
        shown.contains("grant_token") && shown.contains("(sensitive value)"),
        "{shown}"
    );
    let key_id = key_id_from(&w);
    let kms = moto.kms();
    let grants = || {
        rt().block_on(kms.list_grants().key_id(&key_id).send())
            .unwrap()
            .grants
            .unwrap_or_default()
    };
    let live = grants();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].name(), Some("trainer"));
    let grant_id = live[0].grant_id().unwrap().to_string();

    // Every argument replaces a grant: KMS has no update.
    w.write(
        "main.tf",
        &grant_config(&moto, "\"Encrypt\", \"Decrypt\", \"GenerateDataKey\"", ""),
    );
    w.plan_says("# aws_kms_grant.trainer must be replaced");
    w.ok(&["apply", "-auto-approve"]);
    let live = grants();
    assert_eq!(live.len(), 1);
    assert_ne!(live[0].grant_id(), Some(grant_id.as_str()));
    assert_eq!(live[0].operations().len(), 3);
    let grant_id = live[0].grant_id().unwrap().to_string();

    // Drift: the grant revoked by hand is planned again.
    rt().block_on(
        kms.revoke_grant()
            .key_id(&key_id)
            .grant_id(&grant_id)
            .send(),
    )
    .unwrap();
    w.plan_says("# aws_kms_grant.trainer will be created");
    w.ok(&["apply", "-auto-approve"]);

    let grant_id = grants()[0].grant_id().unwrap().to_string();
    w.ok(&["state", "rm", "aws_kms_grant.trainer"]);
    let bad = w.run(&["import", "aws_kms_grant.trainer", &grant_id]);
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("KEY_ID:GRANT_ID"), "{}", bad.stderr);
    w.ok(&[
        "import",
        "aws_kms_grant.trainer",
        &format!("{key_id}:{grant_id}"),
    ]);
    // What import cannot know (the token, mlform's retire switch) is planned, not drift
    // of the grant itself: the grant is kept.
    let after = w.run(&["plan", "-no-color"]);
    assert!(
        !after.stdout.contains("must be replaced") && !after.stdout.contains("will be created"),
        "{}",
        after.stdout
    );

    // Types whose schema is known but which mlform does not manage are refused by name.
    let replica = "resource \"aws_kms_replica_key\" \"copy\" {\n  primary_key_arn = aws_kms_key.data.arn\n}\n";
    w.write(
        "main.tf",
        &grant_config(
            &moto,
            "\"Encrypt\", \"Decrypt\", \"GenerateDataKey\"",
            replica,
        ),
    );
    let refused = w.run(&["plan", "-no-color"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused
            .stderr
            .contains("aws_kms_replica_key is not supported by mlform"),
        "{}",
        refused.stderr
    );

    w.write(
        "main.tf",
        &grant_config(&moto, "\"Encrypt\", \"Decrypt\", \"GenerateDataKey\"", ""),
    );
    w.ok(&["destroy", "-auto-approve"]);
    let gone = rt().block_on(kms.list_grants().key_id(&key_id).send());
    assert!(
        gone.map(|o| o.grants.unwrap_or_default().is_empty())
            .unwrap_or(true),
        "the grant outlived destroy"
    );
}
