//! `aws_sqs_queue_policy`, `aws_sqs_queue_redrive_policy` and
//! `aws_sqs_queue_redrive_allow_policy`: one JSON attribute of a queue managed apart from
//! the queue (bucket notifications need S3 allowed to send; a dead-letter queue names its
//! sources). Each is the queue's `Policy`, `RedrivePolicy` or `RedriveAllowPolicy`
//! attribute; create and update wait until SQS answers the new document, as SQS applies
//! attribute changes with a delay; delete clears it. Documents compare by meaning. Known
//! and imported by the queue URL.

use aws_sdk_sqs::types::QueueAttributeName;
use mlform_provider::{poll_until, Attribute, Poll, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use crate::framework::{AwsResource, Created, SdkResult, PROPAGATION_TIMEOUT};
use crate::policy::equivalent;
use crate::Clients;

pub const POLICY: u8 = 0;
pub const REDRIVE: u8 = 1;
pub const REDRIVE_ALLOW: u8 = 2;

/// One queue attribute as a resource: `POLICY`, `REDRIVE` or `REDRIVE_ALLOW`.
#[derive(Default)]
pub struct QueueDocument<const KIND: u8>;

/// The model of every kind: `queue_url` and the kind's own document argument.
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct QueueDocumentModel {
    id: String,
    queue_url: String,
    policy: Option<String>,
    redrive_policy: Option<String>,
    redrive_allow_policy: Option<String>,
}

/// The argument and the queue attribute of a kind.
const fn kind(k: u8) -> (&'static str, &'static str) {
    match k {
        POLICY => ("policy", "Policy"),
        REDRIVE => ("redrive_policy", "RedrivePolicy"),
        _ => ("redrive_allow_policy", "RedriveAllowPolicy"),
    }
}

impl QueueDocumentModel {
    fn document(&self, k: u8) -> &str {
        match k {
            POLICY => &self.policy,
            REDRIVE => &self.redrive_policy,
            _ => &self.redrive_allow_policy,
        }
        .as_deref()
        .unwrap_or_default()
    }

    fn with_document(url: &str, k: u8, document: String) -> QueueDocumentModel {
        let mut m = QueueDocumentModel {
            id: url.to_string(),
            queue_url: url.to_string(),
            ..QueueDocumentModel::default()
        };
        *match k {
            POLICY => &mut m.policy,
            REDRIVE => &mut m.redrive_policy,
            _ => &mut m.redrive_allow_policy,
        } = Some(document);
        m
    }
}

/// A queue attribute as SQS answers it: `None` when the queue is gone, `""` when unset.
pub(crate) async fn live_attribute(
    c: &Clients,
    url: &str,
    attribute: &str,
) -> Result<Option<String>, ProviderError> {
    let name = QueueAttributeName::from(attribute);
    let req = c
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(name.clone());
    let Some(out) = req.send().await.found("sqs:GetQueueAttributes")? else {
        return Ok(None);
    };
    Ok(Some(
        out.attributes()
            .and_then(|a| a.get(&name))
            .cloned()
            .unwrap_or_default(),
    ))
}

/// Sets a JSON queue attribute and waits until SQS answers it.
pub(crate) async fn put(
    c: &Clients,
    url: &str,
    attribute: &str,
    policy: &str,
) -> Result<(), ProviderError> {
    let req = c
        .sqs
        .set_queue_attributes()
        .queue_url(url)
        .attributes(QueueAttributeName::from(attribute), policy);
    req.send().await.call("sqs:SetQueueAttributes")?;
    poll_until(
        &format!("SQS queue {url} to answer its new {attribute}"),
        PROPAGATION_TIMEOUT,
        || async {
            Ok(match live_attribute(c, url, attribute).await? {
                Some(p) if p == policy || (!policy.is_empty() && equivalent(&p, policy)) => {
                    Poll::Ready(())
                }
                Some(_) => Poll::Pending("the previous policy".into()),
                None => Poll::Pending("no queue".into()),
            })
        },
    )
    .await
}

#[async_trait::async_trait]
impl<const KIND: u8> AwsResource for QueueDocument<KIND> {
    type Model = QueueDocumentModel;
    const TYPE: &'static str = match KIND {
        POLICY => "aws_sqs_queue_policy",
        REDRIVE => "aws_sqs_queue_redrive_policy",
        _ => "aws_sqs_queue_redrive_allow_policy",
    };
    const POLICIES: &'static [&'static str] = &[kind(KIND).0];
    const ID_ATTRIBUTE: Option<&'static str> = Some("queue_url");

    fn schema() -> Schema {
        Schema::new()
            .attr("queue_url", Attribute::required(Type::String).force_new())
            .attr(kind(KIND).0, Attribute::required(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &QueueDocumentModel,
    ) -> Result<Created<QueueDocumentModel>, ProviderError> {
        put(c, &m.queue_url, kind(KIND).1, m.document(KIND)).await?;
        Ok(m.queue_url.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &QueueDocumentModel,
    ) -> Result<Option<QueueDocumentModel>, ProviderError> {
        let url = if m.queue_url.is_empty() {
            &m.id
        } else {
            &m.queue_url
        };
        Ok(live_attribute(c, url, kind(KIND).1)
            .await?
            .filter(|p| !p.is_empty())
            .map(|document| QueueDocumentModel::with_document(url, KIND, document)))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &QueueDocumentModel,
        new: &QueueDocumentModel,
    ) -> Result<(), ProviderError> {
        put(c, &new.queue_url, kind(KIND).1, new.document(KIND)).await
    }

    async fn delete(&self, c: &Clients, m: &QueueDocumentModel) -> Result<(), ProviderError> {
        let req = c
            .sqs
            .set_queue_attributes()
            .queue_url(&m.queue_url)
            .attributes(QueueAttributeName::from(kind(KIND).1), "");
        req.send().await.gone_ok("sqs:SetQueueAttributes")
    }
}
