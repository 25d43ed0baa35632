//! `aws_sqs_queue_policy`: a queue's access policy apart from the queue (bucket
//! notifications need S3 allowed to send). The policy is the queue's `Policy` attribute;
//! create and update wait until SQS answers the new document, as SQS applies attribute
//! changes with a delay; delete clears it. Documents compare by meaning. Known and imported
//! by the queue URL.

use mlform_provider::{poll_until, Attribute, Poll, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use crate::framework::{AwsResource, Created, SdkResult, PROPAGATION_TIMEOUT};
use crate::policy::equivalent;
use crate::Clients;

#[derive(Default)]
pub struct QueuePolicy;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct QueuePolicyModel {
    id: String,
    queue_url: String,
    policy: String,
}

/// The queue's policy as SQS answers it: `None` when the queue is gone, `""` when it has none.
async fn live_policy(c: &Clients, url: &str) -> Result<Option<String>, ProviderError> {
    let req = c
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::Policy);
    let Some(out) = req.send().await.found("sqs:GetQueueAttributes")? else {
        return Ok(None);
    };
    Ok(Some(
        out.attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::Policy))
            .cloned()
            .unwrap_or_default(),
    ))
}

async fn put(c: &Clients, url: &str, policy: &str) -> Result<(), ProviderError> {
    let req = c
        .sqs
        .set_queue_attributes()
        .queue_url(url)
        .attributes(aws_sdk_sqs::types::QueueAttributeName::Policy, policy);
    req.send().await.call("sqs:SetQueueAttributes")?;
    poll_until(
        &format!("SQS queue {url} to answer its new policy"),
        PROPAGATION_TIMEOUT,
        || async {
            Ok(match live_policy(c, url).await? {
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
impl AwsResource for QueuePolicy {
    type Model = QueuePolicyModel;
    const TYPE: &'static str = "aws_sqs_queue_policy";
    const POLICIES: &'static [&'static str] = &["policy"];
    const ID_ATTRIBUTE: Option<&'static str> = Some("queue_url");

    fn schema() -> Schema {
        Schema::new()
            .attr("queue_url", Attribute::required(Type::String).force_new())
            .attr("policy", Attribute::required(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &QueuePolicyModel,
    ) -> Result<Created<QueuePolicyModel>, ProviderError> {
        put(c, &m.queue_url, &m.policy).await?;
        Ok(m.queue_url.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &QueuePolicyModel,
    ) -> Result<Option<QueuePolicyModel>, ProviderError> {
        let url = if m.queue_url.is_empty() {
            &m.id
        } else {
            &m.queue_url
        };
        Ok(live_policy(c, url)
            .await?
            .filter(|p| !p.is_empty())
            .map(|policy| QueuePolicyModel {
                id: url.clone(),
                queue_url: url.clone(),
                policy,
            }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &QueuePolicyModel,
        new: &QueuePolicyModel,
    ) -> Result<(), ProviderError> {
        put(c, &new.queue_url, &new.policy).await
    }

    async fn delete(&self, c: &Clients, m: &QueuePolicyModel) -> Result<(), ProviderError> {
        let req = c
            .sqs
            .set_queue_attributes()
            .queue_url(&m.queue_url)
            .attributes(aws_sdk_sqs::types::QueueAttributeName::Policy, "");
        req.send().await.gone_ok("sqs:SetQueueAttributes")
    }
}
