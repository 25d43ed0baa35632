//! SNS as terraform-aws-modules/sns manages it: a topic's delivery status logging, tracing,
//! signing and archiving settings, subscription attributes, and the topic's data
//! protection policy; against the local AWS emulator through create, a clean re-plan,
//! in-place changes, drift, import and destroy.

use crate::aws::{rt, Moto};
use crate::support::Workdir;

const ALERTS: &str = "arn:aws:sns:us-east-1:123456789012:ml-alerts";
const EVENTS: &str = "arn:aws:sns:us-east-1:123456789012:training-events.fifo";

fn data_protection(identifier: &str) -> String {
    format!(
        r#"jsonencode({{
    Name        = "alerts-protection"
    Description = ""
    Version     = "2021-06-01"
    Statement = [{{
      Sid            = "deny-inbound"
      DataDirection  = "Inbound"
      Principal      = ["*"]
      DataIdentifier = ["arn:aws:dataprotection::aws:data-identifier/{identifier}"]
      Operation      = {{ Deny = {{}} }}
    }}]
  }})"#
    )
}

fn topics_config(moto: &Moto, sample_rate: u32, filter_key: &str, identifier: &str) -> String {
    format!(
        r#"{provider}
resource "aws_iam_role" "feedback" {{
  name = "sns-delivery-status"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "sns.amazonaws.com" }} }}]
  }})
}}

resource "aws_sns_topic" "alerts" {{
  name                              = "ml-alerts"
  http_success_feedback_role_arn    = aws_iam_role.feedback.arn
  http_success_feedback_sample_rate = {sample_rate}
  http_failure_feedback_role_arn    = aws_iam_role.feedback.arn
  sqs_failure_feedback_role_arn     = aws_iam_role.feedback.arn
  tracing_config                    = "Active"
  signature_version                 = 2
}}

resource "aws_sns_topic" "events" {{
  name                        = "training-events.fifo"
  fifo_topic                  = true
  content_based_deduplication = true
  fifo_throughput_scope       = "MessageGroup"
  archive_policy              = jsonencode({{ MessageRetentionPeriod = 30 }})
}}

resource "aws_sqs_queue" "inbox" {{
  name = "alert-inbox"
}}

resource "aws_sqs_queue" "dead_letters" {{
  name = "alert-dead-letters"
}}

resource "aws_sns_topic_subscription" "inbox" {{
  topic_arn           = aws_sns_topic.alerts.arn
  protocol            = "sqs"
  endpoint            = aws_sqs_queue.inbox.arn
  filter_policy_scope = "MessageBody"
  filter_policy       = jsonencode({{ {filter_key} = ["critical"] }})
  redrive_policy      = jsonencode({{ deadLetterTargetArn = aws_sqs_queue.dead_letters.arn }})
}}

resource "aws_sns_topic_subscription" "replay" {{
  topic_arn     = aws_sns_topic.events.arn
  protocol      = "sqs"
  endpoint      = aws_sqs_queue.inbox.arn
  replay_policy = jsonencode({{ PointType = "Timestamp", StartingPoint = "2026-12-01T00:00:00Z" }})
}}

resource "aws_sns_topic_data_protection_policy" "alerts" {{
  arn    = aws_sns_topic.alerts.arn
  policy = {policy}
}}
"#,
        provider = moto.provider_block(""),
        policy = data_protection(identifier),
    )
}

#[test]
fn topic_settings_subscription_attributes_and_data_protection_apply_drift_import_destroy() {
    let moto = Moto::start();
    let sns = moto.sns();
    let topic_attribute = |arn: &str, name: &str| {
        rt().block_on(sns.get_topic_attributes().topic_arn(arn).send())
            .unwrap()
            .attributes()
            .and_then(|a| a.get(name).cloned())
    };
    let protection = || {
        rt().block_on(sns.get_data_protection_policy().resource_arn(ALERTS).send())
            .unwrap()
            .data_protection_policy()
            .unwrap_or_default()
            .to_string()
    };
    let w = Workdir::new();
    w.write(
        "main.tf",
        &topics_config(&moto, 50, "severity", "EmailAddress"),
    );
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(r.stdout.contains("8 added, 0 changed"), "{}", r.stdout);
    w.plan_is_clean();
    assert_eq!(
        topic_attribute(ALERTS, "HTTPSuccessFeedbackSampleRate").as_deref(),
        Some("50")
    );
    assert_eq!(
        topic_attribute(ALERTS, "TracingConfig").as_deref(),
        Some("Active")
    );
    assert_eq!(
        topic_attribute(EVENTS, "FifoThroughputScope").as_deref(),
        Some("MessageGroup")
    );
    assert!(protection().contains("EmailAddress"), "{}", protection());

    // A sample rate, a filter policy and the data protection policy change in place.
    w.write(
        "main.tf",
        &topics_config(&moto, 100, "level", "CreditCardNumber"),
    );
    let plan = w.plan_says("# aws_sns_topic.alerts will be updated in-place");
    for address in [
        "aws_sns_topic_subscription.inbox",
        "aws_sns_topic_data_protection_policy.alerts",
    ] {
        assert!(
            plan.stdout
                .contains(&format!("# {address} will be updated in-place")),
            "{address}:\n{}",
            plan.stdout
        );
    }
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(r.stdout.contains("0 added, 3 changed"), "{}", r.stdout);
    w.plan_is_clean();
    assert_eq!(
        topic_attribute(ALERTS, "HTTPSuccessFeedbackSampleRate").as_deref(),
        Some("100")
    );
    assert!(
        protection().contains("CreditCardNumber"),
        "{}",
        protection()
    );

    // Drift: tracing switched off and the data protection policy emptied by hand.
    rt().block_on(
        sns.set_topic_attributes()
            .topic_arn(ALERTS)
            .attribute_name("TracingConfig")
            .attribute_value("PassThrough")
            .send(),
    )
    .unwrap();
    rt().block_on(
        sns.put_data_protection_policy()
            .resource_arn(ALERTS)
            .data_protection_policy("")
            .send(),
    )
    .unwrap();
    let drift = w.plan_says("# aws_sns_topic.alerts will be updated in-place");
    assert!(
        drift
            .stdout
            .contains("# aws_sns_topic_data_protection_policy.alerts will be created"),
        "{}",
        drift.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    w.plan_is_clean();

    // Import by ARN: the topics, a subscription and the data protection policy.
    let subscription = w.ok(&[
        "state",
        "show",
        "-no-color",
        "aws_sns_topic_subscription.inbox",
    ]);
    let subscription_arn = subscription
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("arn "))
        .map(|rest| {
            rest.trim_start_matches([' ', '='])
                .trim_matches('"')
                .to_string()
        })
        .expect("the subscription's arn in state show");
    for address in [
        "aws_sns_topic.alerts",
        "aws_sns_topic.events",
        "aws_sns_topic_subscription.inbox",
        "aws_sns_topic_data_protection_policy.alerts",
    ] {
        w.ok(&["state", "rm", address]);
    }
    w.ok(&["import", "aws_sns_topic.alerts", ALERTS]);
    w.ok(&["import", "aws_sns_topic.events", EVENTS]);
    w.ok(&[
        "import",
        "aws_sns_topic_subscription.inbox",
        &subscription_arn,
    ]);
    w.ok(&[
        "import",
        "aws_sns_topic_data_protection_policy.alerts",
        ALERTS,
    ]);
    w.plan_is_clean();

    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt()
        .block_on(sns.get_topic_attributes().topic_arn(ALERTS).send())
        .is_err());
}
