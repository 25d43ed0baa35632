//! Bucket notification destinations the way public bucket modules grant them (the shape of
//! terraform-aws-modules/s3-bucket's `notification` module), against the local AWS
//! emulator: an SQS queue policy and a Lambda permission letting S3 deliver, beside the
//! bucket notification that uses them. The queue and the function exist already (made with
//! the SDK, as another team's). Apply, a clean re-plan, an in-place change, drift, import,
//! destroy.

use crate::aws::{rt, Moto};
use crate::support::{squash, Workdir};

const ACCOUNT: &str = "123456789012";

/// An empty zip archive: enough for the emulator to hold a function.
const EMPTY_ZIP: &[u8] = &[
    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

fn notifications(
    moto: &Moto,
    queue_url: &str,
    queue_arn: &str,
    function_arn: &str,
    actions: &str,
) -> String {
    format!(
        r#"{provider}
resource "aws_s3_bucket" "events" {{
  bucket = "model-drops"
}}

data "aws_iam_policy_document" "sqs" {{
  statement {{
    sid       = "AllowS3"
    actions   = [{actions}]
    resources = ["{queue_arn}"]
    principals {{
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }}
    condition {{
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.events.arn]
    }}
  }}
}}

resource "aws_sqs_queue_policy" "allow" {{
  queue_url = "{queue_url}"
  policy    = data.aws_iam_policy_document.sqs.json
}}

resource "aws_lambda_permission" "allow" {{
  statement_id_prefix = "AllowLambdaS3BucketNotification-"
  action              = "lambda:InvokeFunction"
  function_name       = "{function_arn}"
  principal           = "s3.amazonaws.com"
  source_arn          = aws_s3_bucket.events.arn
  source_account      = "{ACCOUNT}"
}}

resource "aws_s3_bucket_notification" "this" {{
  bucket = aws_s3_bucket.events.id

  queue {{
    queue_arn = "{queue_arn}"
    events    = ["s3:ObjectCreated:*"]
  }}

  lambda_function {{
    lambda_function_arn = "{function_arn}"
    events              = ["s3:ObjectCreated:*"]
    filter_suffix       = ".onnx"
  }}

  depends_on = [aws_sqs_queue_policy.allow, aws_lambda_permission.allow]
}}

output "statement_id" {{
  value = aws_lambda_permission.allow.statement_id
}}
"#,
        provider = moto.provider_block(""),
    )
}

#[test]
fn queue_policy_and_lambda_permission_for_bucket_notifications() {
    let moto = Moto::start();
    // The destinations another team owns.
    let iam = moto.iam();
    let role = rt()
        .block_on(
            iam.create_role()
                .role_name("indexer")
                .assume_role_policy_document(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
                )
                .send(),
        )
        .unwrap();
    let lambda = moto.lambda();
    let function = rt()
        .block_on(
            lambda
                .create_function()
                .function_name("index-models")
                .runtime(aws_sdk_lambda::types::Runtime::Python312)
                .role(role.role().unwrap().arn())
                .handler("index.handler")
                .code(
                    aws_sdk_lambda::types::FunctionCode::builder()
                        .zip_file(aws_sdk_lambda::primitives::Blob::new(EMPTY_ZIP))
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let function_arn = function.function_arn().unwrap().to_string();
    let sqs = moto.sqs();
    let queue_url = rt()
        .block_on(sqs.create_queue().queue_name("model-drops").send())
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let queue_arn = format!("arn:aws:sqs:us-east-1:{ACCOUNT}:model-drops");
    let policy_of_queue = || {
        rt().block_on(
            sqs.get_queue_attributes()
                .queue_url(&queue_url)
                .attribute_names(aws_sdk_sqs::types::QueueAttributeName::Policy)
                .send(),
        )
        .unwrap()
        .attributes()
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::Policy)
                .cloned()
        })
        .unwrap_or_default()
    };

    let w = Workdir::new();
    let config =
        |actions: &str| notifications(&moto, &queue_url, &queue_arn, &function_arn, actions);
    w.write("main.tf", &config("\"sqs:SendMessage\""));
    let r = w.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("4 added"), "{}", r.stdout);
    let statement = w.output("statement_id");
    assert!(
        statement.starts_with("AllowLambdaS3BucketNotification-"),
        "{statement}"
    );
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    // Lambda holds the statement with its conditions; SQS the policy.
    let policy = rt()
        .block_on(lambda.get_policy().function_name("index-models").send())
        .unwrap();
    let text = policy.policy().unwrap();
    assert!(text.contains(&statement), "{text}");
    assert!(text.contains("arn:aws:s3:::model-drops"), "{text}");
    assert!(text.contains(ACCOUNT), "{text}");
    assert!(policy_of_queue().contains("sqs:SendMessage"));

    // A wider grant updates the queue policy in place; the permission is untouched.
    w.write(
        "main.tf",
        &config("\"sqs:SendMessage\", \"sqs:GetQueueAttributes\""),
    );
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_sqs_queue_policy.allow will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    assert!(policy_of_queue().contains("sqs:GetQueueAttributes"));

    // Drift: a queue policy replaced by hand is put back.
    rt().block_on(
        sqs.set_queue_attributes()
            .queue_url(&queue_url)
            .attributes(
                aws_sdk_sqs::types::QueueAttributeName::Policy,
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"*"}]}"#,
            )
            .send(),
    )
    .unwrap();
    let plan = w.run(&["plan", "-no-color"]);
    assert!(plan.stdout.contains("1 to change"), "{}", plan.stdout);
    w.ok(&["apply", "-auto-approve"]);

    // A permission removed by hand is created again.
    rt().block_on(
        lambda
            .remove_permission()
            .function_name("index-models")
            .statement_id(&statement)
            .send(),
    )
    .unwrap();
    let plan = w.run(&["plan", "-no-color"]);
    assert!(
        plan.stdout
            .contains("# aws_lambda_permission.allow will be created"),
        "{}",
        plan.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    let statement = w.output("statement_id");

    // Import: the queue policy by URL, the permission by FUNCTION/STATEMENT_ID.
    w.ok(&[
        "state",
        "rm",
        "aws_sqs_queue_policy.allow",
        "aws_lambda_permission.allow",
    ]);
    w.ok(&["import", "aws_sqs_queue_policy.allow", &queue_url]);
    let bad = w.run(&["import", "aws_lambda_permission.allow", &statement]);
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
    assert!(
        squash(&bad.stderr).contains("expected FUNCTION/STATEMENT_ID"),
        "{}",
        bad.stderr
    );
    w.ok(&[
        "import",
        "aws_lambda_permission.allow",
        &format!("{function_arn}/{statement}"),
    ]);
    let clean = w.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    w.ok(&["destroy", "-auto-approve"]);
    assert!(policy_of_queue().is_empty());
    let after = rt().block_on(lambda.get_policy().function_name("index-models").send());
    assert!(
        after.is_err()
            || !after
                .unwrap()
                .policy()
                .unwrap_or_default()
                .contains(&statement)
    );
}
