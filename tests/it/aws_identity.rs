//! IAM users and groups and what they are granted, and the account-wide IAM objects,
//! against the local AWS emulator: create → no-op → update → drift → import → destroy for
//! each resource type of the framework.

use crate::aws::{counts, rt, Moto};
use crate::support::Workdir;

fn iam_config(moto: &Moto, team: &str, action: &str) -> String {
    format!(
        r#"{provider}
resource "aws_iam_group" "ds" {{
  name = "data-science"
}}

resource "aws_iam_user" "alice" {{
  name          = "alice"
  path          = "/ml/"
  force_destroy = true
  tags = {{
    team = "{team}"
  }}
}}

resource "aws_iam_user_group_membership" "alice" {{
  user   = aws_iam_user.alice.name
  groups = [aws_iam_group.ds.name]
}}

resource "aws_iam_group_policy_attachment" "read_only" {{
  group      = aws_iam_group.ds.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}}

resource "aws_iam_user_policy" "data" {{
  name = "data"
  user = aws_iam_user.alice.name
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["{action}"], Resource = "*" }}]
  }})
}}

resource "aws_iam_access_key" "alice" {{
  user = aws_iam_user.alice.name
}}

resource "aws_iam_role" "notebook" {{
  name                 = "notebook"
  permissions_boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
  inline_policy {{
    name = "logs"
    policy = jsonencode({{
      Version   = "2012-10-17"
      Statement = [{{ Effect = "Allow", Action = "logs:PutLogEvents", Resource = "*" }}]
    }})
  }}
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sagemaker.amazonaws.com" }} }}]
  }})
}}

resource "aws_iam_instance_profile" "notebook" {{
  name_prefix = "nb-"
  role        = aws_iam_role.notebook.name
}}

output "secret" {{
  value     = aws_iam_access_key.alice.secret
  sensitive = true
}}
"#,
        provider = moto.provider_block("")
    )
}

#[test]
fn iam_users_groups_and_grants_lifecycle() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &iam_config(&moto, "ml", "s3:GetObject"));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(
        r.stdout.contains("8 added, 0 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let secret = w.ok(&["output", "-raw", "secret"]).stdout;
    assert!(secret.len() >= 20, "{secret:?}");
    let state = w.state().to_string();
    assert!(state.contains(r#""name_prefix":"nb-""#), "{state}");
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // New tags and a new inline policy change in place; the secret is kept.
    w.write("main.tf", &iam_config(&moto, "research", "s3:ListBucket"));
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(
        r.stdout.contains("0 added, 2 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(w.ok(&["output", "-raw", "secret"]).stdout, secret);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}", r.stdout);

    // Drift: alice removed from her group outside mlform.
    let iam = moto.iam();
    rt().block_on(
        iam.remove_user_from_group()
            .user_name("alice")
            .group_name("data-science")
            .send(),
    )
    .unwrap();
    let r = w.run(&["plan", "-refresh-only", "-no-color"]);
    assert!(
        r.stdout
            .contains("aws_iam_user_group_membership.alice has changed"),
        "{}",
        r.stdout
    );
    let r = w.run(&["plan", "-no-color"]);
    assert_eq!(counts(&r.stdout), (0, 1, 0), "{}", r.stdout);
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    // Import by terraform-provider-aws IDs.
    let profile = w.state().to_string();
    let profile = regex::Regex::new(r#""name":"(nb-\d{26})""#)
        .unwrap()
        .captures(&profile)
        .expect("generated profile name")[1]
        .to_string();
    w.ok(&[
        "state",
        "rm",
        "aws_iam_user.alice",
        "aws_iam_group.ds",
        "aws_iam_user_group_membership.alice",
        "aws_iam_group_policy_attachment.read_only",
        "aws_iam_user_policy.data",
        "aws_iam_instance_profile.notebook",
    ]);
    for (address, id) in [
        ("aws_iam_user.alice", "alice"),
        ("aws_iam_group.ds", "data-science"),
        ("aws_iam_user_group_membership.alice", "alice/data-science"),
        (
            "aws_iam_group_policy_attachment.read_only",
            "data-science/arn:aws:iam::aws:policy/ReadOnlyAccess",
        ),
        ("aws_iam_user_policy.data", "alice:data"),
        ("aws_iam_instance_profile.notebook", profile.as_str()),
    ] {
        w.ok(&["import", address, id]);
    }
    let r = w.run(&["plan", "-no-color"]);
    // force_destroy is not readable: import leaves it null, as Terraform does.
    assert_eq!(counts(&r.stdout), (0, 1, 0), "{}", r.stdout);
    assert!(
        regex::Regex::new(r"\+ force_destroy +=  *true")
            .unwrap()
            .is_match(&r.stdout),
        "{}",
        r.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}", r.stdout);

    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt()
        .block_on(iam.get_user().user_name("alice").send())
        .is_err());
    assert!(rt()
        .block_on(iam.get_group().group_name("data-science").send())
        .is_err());
    assert!(rt()
        .block_on(
            iam.get_instance_profile()
                .instance_profile_name(&profile)
                .send()
        )
        .is_err());
}

fn account_config(moto: &Moto, client_ids: &str, description: &str) -> String {
    format!(
        r#"{provider}
resource "aws_iam_openid_connect_provider" "ci" {{
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = [{client_ids}]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
  tags = {{
    purpose = "ci"
  }}
}}

resource "aws_iam_saml_provider" "sso" {{
  name                   = "corp-sso"
  saml_metadata_document = "<EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"corp\"></EntityDescriptor>"
}}

resource "aws_iam_account_alias" "this" {{
  account_alias = "ml-platform-dev"
}}

resource "aws_iam_service_linked_role" "autoscaling" {{
  aws_service_name = "sagemaker.application-autoscaling.amazonaws.com"
  description      = "{description}"
}}
"#,
        provider = moto.provider_block("")
    )
}

#[test]
fn account_wide_iam_objects_lifecycle() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write(
        "main.tf",
        &account_config(&moto, "\"sts.amazonaws.com\"", "scaling"),
    );
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(
        r.stdout.contains("4 added, 0 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // A second audience and a new description change in place.
    w.write(
        "main.tf",
        &account_config(
            &moto,
            "\"sts.amazonaws.com\", \"ml-ci\"",
            "endpoint scaling",
        ),
    );
    let r = w.ok(&["apply", "-auto-approve"]);
    assert!(
        r.stdout.contains("0 added, 2 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    // Import everything back by its ID.
    let state = w.state().to_string();
    let arn = |pattern: &str| {
        regex::Regex::new(pattern)
            .unwrap()
            .captures(&state)
            .expect(pattern)[1]
            .to_string()
    };
    let oidc = arn(r#""(arn:aws:iam::\d+:oidc-provider/[^"]+)""#);
    let saml = arn(r#""(arn:aws:iam::\d+:saml-provider/corp-sso)""#);
    let linked = arn(r#""(arn:aws:iam::\d+:role/aws-service-role/[^"]+)""#);
    w.ok(&[
        "state",
        "rm",
        "aws_iam_openid_connect_provider.ci",
        "aws_iam_saml_provider.sso",
        "aws_iam_account_alias.this",
        "aws_iam_service_linked_role.autoscaling",
    ]);
    w.ok(&["import", "aws_iam_openid_connect_provider.ci", &oidc]);
    w.ok(&["import", "aws_iam_saml_provider.sso", &saml]);
    w.ok(&["import", "aws_iam_account_alias.this", "ml-platform-dev"]);
    w.ok(&["import", "aws_iam_service_linked_role.autoscaling", &linked]);
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}", r.stdout);

    w.ok(&["destroy", "-auto-approve"]);
    let iam = moto.iam();
    let aliases = rt().block_on(iam.list_account_aliases().send()).unwrap();
    assert!(aliases.account_aliases().is_empty());
    let providers = rt()
        .block_on(iam.list_open_id_connect_providers().send())
        .unwrap();
    assert!(providers.open_id_connect_provider_list().is_empty());
}

#[test]
fn iam_role_and_policy_data_sources_read_what_another_team_made() {
    let moto = Moto::start();
    let platform = Workdir::new();
    platform.write(
        "main.tf",
        &format!(
            r#"{provider}
resource "aws_iam_role" "serving" {{
  name = "vision-serving"
  path = "/ml/"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ Service = "sagemaker.amazonaws.com" }}, Action = "sts:AssumeRole" }}]
  }})
  tags = {{ team = "vision" }}
}}

resource "aws_iam_policy" "read_models" {{
  name        = "read-models"
  path        = "/ml/"
  description = "Read model artifacts"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::models/*" }}]
  }})
}}
"#,
            provider = moto.provider_block("")
        ),
    );
    platform.ok(&["apply", "-auto-approve"]);
    let reader = Workdir::new();
    reader.write(
        "main.tf",
        &format!(
            r#"{provider}
data "aws_iam_role" "serving" {{
  name = "vision-serving"
}}

data "aws_iam_policy" "by_name" {{
  name        = "read-models"
  path_prefix = "/ml/"
}}

data "aws_iam_policy" "by_arn" {{
  arn = data.aws_iam_policy.by_name.arn
}}

output "role_arn" {{
  value = data.aws_iam_role.serving.arn
}}

output "trusts_sagemaker" {{
  value = jsondecode(data.aws_iam_role.serving.assume_role_policy).Statement[0].Principal.Service
}}

output "team" {{
  value = data.aws_iam_role.serving.tags.team
}}

output "policy_action" {{
  value = jsondecode(data.aws_iam_policy.by_arn.policy).Statement[0].Action
}}

output "policy_path" {{
  value = data.aws_iam_policy.by_name.path
}}
"#,
            provider = moto.provider_block("")
        ),
    );
    let r = reader.ok(&["apply", "-auto-approve"]);
    for expected in [
        "role_arn = \"arn:aws:iam::123456789012:role/ml/vision-serving\"",
        "trusts_sagemaker = \"sagemaker.amazonaws.com\"",
        "team = \"vision\"",
        "policy_action = \"s3:GetObject\"",
        "policy_path = \"/ml/\"",
    ] {
        assert!(
            r.stdout.contains(expected),
            "{expected} missing:\n{}",
            r.stdout
        );
    }
    let missing = Workdir::new();
    missing.write(
        "main.tf",
        &format!(
            "{}data \"aws_iam_role\" \"x\" {{\n  name = \"nobody\"\n}}\n",
            moto.provider_block("")
        ),
    );
    let r = missing.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("no IAM role named \"nobody\""),
        "{}",
        r.stderr
    );
}

#[test]
fn exclusive_policy_attachment_detaches_what_others_attached() {
    let moto = Moto::start();
    let w = Workdir::new();
    let config = |roles: &str| {
        format!(
            r#"{provider}
resource "aws_iam_role" "trainer" {{
  name = "trainer"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = {{ Service = "sagemaker.amazonaws.com" }}, Action = "sts:AssumeRole" }}]
  }})
}}

resource "aws_iam_role" "server" {{
  name               = "server"
  assume_role_policy = aws_iam_role.trainer.assume_role_policy
}}

resource "aws_iam_user" "analyst" {{
  name = "analyst"
}}

resource "aws_iam_policy" "read" {{
  name = "read-datasets"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }}]
  }})
}}

resource "aws_iam_policy_attachment" "read" {{
  name       = "read-datasets"
  policy_arn = aws_iam_policy.read.arn
  roles      = [{roles}]
  users      = [aws_iam_user.analyst.name]
}}
"#,
            provider = moto.provider_block("")
        )
    };
    w.write("main.tf", &config("aws_iam_role.trainer.name"));
    w.ok(&["apply", "-auto-approve"]);
    let iam = moto.iam();
    let rt = crate::aws::rt();
    let attached = |role: &str| {
        rt.block_on(iam.list_attached_role_policies().role_name(role).send())
            .unwrap()
            .attached_policies()
            .iter()
            .any(|p| p.policy_name() == Some("read-datasets"))
    };
    assert!(attached("trainer") && !attached("server"));
    let r = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Someone attaches the policy to another role: exclusive means that is drift to undo.
    let arn = rt
        .block_on(
            iam.list_policies()
                .scope(aws_sdk_iam::types::PolicyScopeType::Local)
                .send(),
        )
        .unwrap()
        .policies()
        .iter()
        .find(|p| p.policy_name() == Some("read-datasets"))
        .and_then(|p| p.arn().map(str::to_string))
        .unwrap();
    rt.block_on(
        iam.attach_role_policy()
            .role_name("server")
            .policy_arn(&arn)
            .send(),
    )
    .unwrap();
    let r = w.run(&["plan", "-refresh-only", "-no-color"]);
    assert!(r.stdout.contains("changed outside"), "{}", r.stdout);
    let r = w.run(&["plan", "-no-color"]);
    assert!(
        r.stdout
            .contains("aws_iam_policy_attachment.read will be updated in-place"),
        "{}",
        r.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    assert!(attached("trainer") && !attached("server"));
    // Moving the attachment to the other role detaches the first.
    w.write("main.tf", &config("aws_iam_role.server.name"));
    w.ok(&["apply", "-auto-approve"]);
    assert!(!attached("trainer") && attached("server"));
    w.ok(&["destroy", "-auto-approve"]);
}

fn credentials_config(moto: &Moto, min_length: u32, key_status: &str) -> String {
    format!(
        r#"{provider}
resource "aws_iam_user" "analyst" {{
  name          = "analyst"
  force_destroy = true
}}

resource "aws_iam_user_login_profile" "analyst" {{
  user                    = aws_iam_user.analyst.name
  password_length         = 24
  password_reset_required = true
}}

resource "aws_iam_user_ssh_key" "analyst" {{
  username   = aws_iam_user.analyst.name
  encoding   = "SSH"
  public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEr0ZLkbnDNF0Bvr8R7BHYLx4HjhbT1Vd5aL+KYDhnhJ analyst@example"
  status     = "{key_status}"
}}

resource "aws_iam_account_password_policy" "strict" {{
  minimum_password_length        = {min_length}
  require_lowercase_characters   = true
  require_uppercase_characters   = true
  require_numbers                = true
  require_symbols                = true
  allow_users_to_change_password = true
  max_password_age               = 90
  password_reuse_prevention      = 5
}}

output "password" {{
  value     = aws_iam_user_login_profile.analyst.password
  sensitive = true
}}
"#,
        provider = moto.provider_block(""),
    )
}

#[test]
fn login_profiles_ssh_keys_and_the_password_policy_lifecycle() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &credentials_config(&moto, 14, "Active"));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("password = \""), "{}", r.stdout);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    let out = w.run(&["output", "-raw", "password"]);
    let password = out.stdout.trim().to_string();
    assert_eq!(password.chars().count(), 24, "{password}");
    for class in [
        char::is_ascii_lowercase as fn(&char) -> bool,
        char::is_ascii_uppercase,
        char::is_ascii_digit,
        char::is_ascii_punctuation,
    ] {
        assert!(password.chars().any(|c| class(&c)), "{password}");
    }

    let iam = moto.iam();
    let policy = || {
        rt().block_on(iam.get_account_password_policy().send())
            .unwrap()
            .password_policy
            .unwrap()
    };
    assert_eq!(policy().minimum_password_length(), Some(14));

    w.write("main.tf", &credentials_config(&moto, 16, "Inactive"));
    let plan = w.run(&["plan", "-no-color"]);
    for updated in [
        "# aws_iam_account_password_policy.strict will be updated in-place",
        "# aws_iam_user_ssh_key.analyst will be updated in-place",
    ] {
        assert!(plan.stdout.contains(updated), "{}", plan.stdout);
    }
    w.ok(&["apply", "-auto-approve"]);
    assert_eq!(policy().minimum_password_length(), Some(16));

    // Drift: the login profile deleted by hand is created again.
    rt().block_on(iam.delete_login_profile().user_name("analyst").send())
        .unwrap();
    let drift = w.run(&["plan", "-no-color"]);
    assert!(
        drift
            .stdout
            .contains("# aws_iam_user_login_profile.analyst will be created"),
        "{}",
        drift.stdout
    );
    w.ok(&["apply", "-auto-approve"]);

    let state = w.run(&["state", "show", "aws_iam_user_ssh_key.analyst"]);
    let key_id = state
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("ssh_public_key_id"))
        .and_then(|l| l.split('"').nth(1))
        .unwrap()
        .to_string();
    w.ok(&["state", "rm", "aws_iam_user_ssh_key.analyst"]);
    w.ok(&[
        "import",
        "aws_iam_user_ssh_key.analyst",
        &format!("analyst:{key_id}:SSH"),
    ]);
    w.ok(&["state", "rm", "aws_iam_account_password_policy.strict"]);
    w.ok(&[
        "import",
        "aws_iam_account_password_policy.strict",
        "iam-account-password-policy",
    ]);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt()
        .block_on(iam.get_account_password_policy().send())
        .is_err());
}

fn versioned_policy_config(moto: &Moto, revision: u32, owner: &str) -> String {
    format!(
        r#"{provider}
resource "aws_iam_policy" "models" {{
  name_prefix = "models-"
  description = "Read the model store"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "arn:aws:s3:::models-{revision}/*" }}]
  }})
  tags = {{ owner = "{owner}" }}
}}

resource "aws_iam_role" "trainer" {{
  name = "trainer"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sagemaker.amazonaws.com" }} }}]
  }})
}}

resource "aws_iam_role_policy" "logs" {{
  role = aws_iam_role.trainer.name
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["logs:PutLogEvents"], Resource = "*" }}]
  }})
}}

output "policy_arn" {{
  value = aws_iam_policy.models.arn
}}

output "inline_id" {{
  value = aws_iam_role_policy.logs.id
}}
"#,
        provider = moto.provider_block("")
    )
}

/// A managed policy changed more often than IAM keeps versions, retagged alone, and
/// imported with its generated name, beside an inline policy with a default name.
#[test]
fn managed_policy_versions_tags_and_generated_names() {
    let moto = Moto::start();
    let w = Workdir::new();
    w.write("main.tf", &versioned_policy_config(&moto, 1, "vision"));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let arn = w.output("policy_arn");
    assert!(arn.contains(":policy/models-"), "{arn}");
    let inline_id = w.output("inline_id");
    assert!(inline_id.starts_with("trainer:terraform-"), "{inline_id}");

    // Six new documents: each the default version, never more than IAM's five kept.
    for revision in 2..=7 {
        w.write(
            "main.tf",
            &versioned_policy_config(&moto, revision, "vision"),
        );
        w.ok(&["apply", "-auto-approve"]);
    }
    let iam = moto.iam();
    let versions = rt()
        .block_on(iam.list_policy_versions().policy_arn(&arn).send())
        .unwrap();
    assert!(versions.versions().len() <= 5, "{:?}", versions.versions());
    let default = versions
        .versions()
        .iter()
        .find(|v| v.is_default_version())
        .and_then(|v| v.version_id())
        .unwrap()
        .to_string();
    let doc = rt()
        .block_on(
            iam.get_policy_version()
                .policy_arn(&arn)
                .version_id(default)
                .send(),
        )
        .unwrap();
    let text = doc.policy_version().and_then(|v| v.document()).unwrap();
    assert!(text.contains("models-7"), "{text}");
    assert_eq!(w.run(&["plan", "-detailed-exitcode"]).code, 0);

    // Tags alone change in place, by tagging.
    w.write("main.tf", &versioned_policy_config(&moto, 7, "platform"));
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let p = rt()
        .block_on(iam.get_policy().policy_arn(&arn).send())
        .unwrap();
    let tags = p.policy().unwrap().tags();
    assert!(
        tags.iter()
            .any(|t| t.key() == "owner" && t.value() == "platform"),
        "{tags:?}"
    );

    // Import by ARN and ROLE:NAME: the generated names keep their prefix (or none).
    w.ok(&[
        "state",
        "rm",
        "aws_iam_policy.models",
        "aws_iam_role_policy.logs",
    ]);
    w.ok(&["import", "aws_iam_policy.models", &arn]);
    w.ok(&["import", "aws_iam_role_policy.logs", &inline_id]);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt()
        .block_on(iam.get_policy().policy_arn(&arn).send())
        .is_err());
}

/// The region's Availability Zones, as public modules spread subnets and instances over
/// them: every zone in name order with its ID, narrowed by state, filters and exclusions.
#[test]
fn availability_zones_of_the_region() {
    let moto = Moto::start();
    let w = Workdir::new();
    let config = |state: &str| {
        format!(
            r#"{provider}
data "aws_availability_zones" "all" {{}}

data "aws_availability_zones" "some" {{
  state         = "{state}"
  exclude_names = ["us-east-1a"]
  filter {{
    name   = "zone-type"
    values = ["availability-zone"]
  }}
}}

output "zones" {{
  value = {{
    id       = data.aws_availability_zones.all.id
    names    = data.aws_availability_zones.all.names
    zone_ids = data.aws_availability_zones.all.zone_ids
    some     = data.aws_availability_zones.some.names
  }}
}}
"#,
            provider = moto.provider_block("")
        )
    };
    w.write("main.tf", &config("available"));
    w.ok(&["apply", "-auto-approve"]);
    let zones: serde_json::Value =
        serde_json::from_str(&w.ok(&["output", "-json", "zones"]).stdout).unwrap();
    assert_eq!(zones["id"], "us-east-1");
    let names: Vec<&str> = zones["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(names.len() >= 3, "{zones}");
    assert_eq!(names[0], "us-east-1a");
    assert!(names.windows(2).all(|p| p[0] < p[1]), "{zones}");
    assert_eq!(zones["zone_ids"].as_array().unwrap().len(), names.len());
    let some = zones["some"].as_array().unwrap();
    assert_eq!(some.len(), names.len() - 1, "{zones}");
    assert!(!some.iter().any(|n| n == "us-east-1a"), "{zones}");

    // A state AWS does not have is refused, naming the ones it has.
    w.write("main.tf", &config("sleeping"));
    let r = w.run(&["plan", "-no-color"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        crate::support::squash(&r.stderr).contains("available, information, impaired, unavailable"),
        "{}",
        r.stderr
    );
}
