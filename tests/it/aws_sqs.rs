//! SQS as terraform-aws-modules/sqs manages it: a queue with its settings, a FIFO queue, a
//! dead-letter queue and the redrive documents between them; against the local AWS
//! emulator through create, a clean re-plan, in-place changes, drift, import and destroy.

use crate::aws::{rt, Moto};
use crate::support::Workdir;

fn queues_config(moto: &Moto, visibility: u32, retention: u32) -> String {
    format!(
        r#"{provider}
resource "aws_sqs_queue" "jobs" {{
  name                       = "training-jobs"
  visibility_timeout_seconds = {visibility}
  message_retention_seconds  = {retention}
  receive_wait_time_seconds  = 10
  sqs_managed_sse_enabled    = true
  tags                       = {{ team = "training" }}
}}

resource "aws_sqs_queue" "events" {{
  name_prefix                 = "model-events-"
  fifo_queue                  = true
  content_based_deduplication = true
}}

resource "aws_sqs_queue" "dead_letters" {{
  name = "training-jobs-dlq"
}}

resource "aws_sqs_queue_redrive_policy" "jobs" {{
  queue_url = aws_sqs_queue.jobs.url
  redrive_policy = jsonencode({{
    deadLetterTargetArn = aws_sqs_queue.dead_letters.arn
    maxReceiveCount     = 4
  }})
}}

resource "aws_sqs_queue_redrive_allow_policy" "dead_letters" {{
  queue_url = aws_sqs_queue.dead_letters.url
  redrive_allow_policy = jsonencode({{
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.jobs.arn]
  }})
}}

output "jobs_url" {{
  value = aws_sqs_queue.jobs.url
}}

output "events_url" {{
  value = aws_sqs_queue.events.url
}}
"#,
        provider = moto.provider_block(""),
    )
}

#[test]
fn queues_and_redrive_documents_apply_update_drift_import_and_destroy() {
    let moto = Moto::start();
    let sqs = moto.sqs();
    let w = Workdir::new();
    w.write("main.tf", &queues_config(&moto, 60, 86_400));
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(r.stdout.contains("5 added, 0 changed"), "{}", r.stdout);
    let output = |name: &str| {
        r.stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} = ")))
            .map(|u| u.trim_matches('"').to_string())
            .expect("the queue URL output")
    };
    let url = output("jobs_url");
    assert!(url.ends_with("/123456789012/training-jobs"), "{url}");
    // A name made from a prefix ends in .fifo for a FIFO queue, as SQS requires.
    let events_url = output("events_url");
    assert!(
        events_url.contains("/123456789012/model-events-") && events_url.ends_with(".fifo"),
        "{events_url}"
    );
    w.plan_is_clean();
    let attribute = |name: aws_sdk_sqs::types::QueueAttributeName| {
        rt().block_on(
            sqs.get_queue_attributes()
                .queue_url(&url)
                .attribute_names(name.clone())
                .send(),
        )
        .unwrap()
        .attributes()
        .and_then(|a| a.get(&name).cloned())
    };
    use aws_sdk_sqs::types::QueueAttributeName as A;
    assert_eq!(attribute(A::VisibilityTimeout).as_deref(), Some("60"));
    assert!(
        attribute(A::RedrivePolicy).is_some_and(|p| p.contains("training-jobs-dlq")),
        "{:?}",
        attribute(A::RedrivePolicy)
    );

    // Settings change in place.
    w.write("main.tf", &queues_config(&moto, 120, 172_800));
    w.plan_says("# aws_sqs_queue.jobs will be updated in-place");
    let r = w.ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(r.stdout.contains("0 added, 1 changed"), "{}", r.stdout);
    assert_eq!(attribute(A::VisibilityTimeout).as_deref(), Some("120"));
    w.plan_is_clean();

    // Drift: the timeout changed by hand, the redrive policy removed by hand.
    rt().block_on(
        sqs.set_queue_attributes()
            .queue_url(&url)
            .attributes(A::VisibilityTimeout, "5")
            .attributes(A::RedrivePolicy, "")
            .send(),
    )
    .unwrap();
    let drift = w.plan_says("# aws_sqs_queue.jobs will be updated in-place");
    assert!(
        drift
            .stdout
            .contains("# aws_sqs_queue_redrive_policy.jobs will be created"),
        "{}",
        drift.stdout
    );
    w.ok(&["apply", "-auto-approve"]);
    w.plan_is_clean();

    // Import by URL; the FIFO queue's name_prefix is recovered from its name.
    for (address, id) in [
        ("aws_sqs_queue.jobs", &url),
        ("aws_sqs_queue_redrive_policy.jobs", &url),
        ("aws_sqs_queue.events", &events_url),
    ] {
        w.ok(&["state", "rm", address]);
        w.ok(&["import", address, id]);
    }
    w.plan_is_clean();

    // A FIFO-only setting on a standard queue fails the plan.
    w.write(
        "main.tf",
        &queues_config(&moto, 120, 172_800).replace(
            "receive_wait_time_seconds  = 10",
            "receive_wait_time_seconds  = 10\n  deduplication_scope        = \"queue\"",
        ),
    );
    let r = w.run(&["plan", "-no-color"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("deduplication_scope is only for FIFO queues"),
        "{}",
        r.stderr
    );

    w.write("main.tf", &queues_config(&moto, 120, 172_800));
    w.ok(&["destroy", "-auto-approve"]);
    assert!(rt()
        .block_on(sqs.get_queue_url().queue_name("training-jobs").send())
        .is_err());
}
