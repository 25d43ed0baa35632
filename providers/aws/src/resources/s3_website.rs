//! `aws_s3_bucket_website_configuration`: static website hosting of a bucket (an index and
//! error document, or a redirect of every request), with the website endpoint and domain
//! of the provider's region. Import ID: the bucket name.

use aws_sdk_s3::types::{
    Condition, ErrorDocument, IndexDocument, Protocol, Redirect as S3Redirect,
    RedirectAllRequestsTo, RoutingRule, WebsiteConfiguration,
};
use mlform_provider::{Attribute, NestedBlock, Nesting, ProviderError, Schema, Type};
use serde::{Deserialize, Serialize};

use super::s3_bucket_extras::{block, bucket, bucket_schema, built, one_of};
use crate::framework::{list_of_one, AwsResource, Created, SdkResult};
use crate::Clients;

#[derive(Default)]
pub struct Website;

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct WebsiteModel {
    id: String,
    bucket: String,
    index_document: Option<IndexDoc>,
    error_document: Option<ErrorDoc>,
    redirect_all_requests_to: Option<Redirect>,
    routing_rule: Vec<Rule>,
    website_endpoint: Option<String>,
    website_domain: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct IndexDoc {
    suffix: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ErrorDoc {
    key: String,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Redirect {
    host_name: String,
    protocol: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Rule {
    condition: Vec<RuleCondition>,
    redirect: Vec<RuleRedirect>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RuleCondition {
    http_error_code_returned_equals: Option<String>,
    key_prefix_equals: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RuleRedirect {
    host_name: Option<String>,
    http_redirect_code: Option<String>,
    protocol: Option<String>,
    replace_key_prefix_with: Option<String>,
    replace_key_with: Option<String>,
}

fn routing_rule(r: &Rule) -> Result<RoutingRule, ProviderError> {
    let Some(to) = r.redirect.first() else {
        return Err(ProviderError::InvalidConfig(
            "routing_rule needs a redirect block".into(),
        ));
    };
    if to.replace_key_prefix_with.is_some() && to.replace_key_with.is_some() {
        return Err(ProviderError::InvalidConfig(
            "routing_rule.redirect takes replace_key_prefix_with or replace_key_with, not both"
                .into(),
        ));
    }
    if let Some(p) = &to.protocol {
        one_of(p, &["http", "https"], "routing_rule.redirect.protocol")?;
    }
    let redirect = S3Redirect::builder()
        .set_host_name(to.host_name.clone())
        .set_http_redirect_code(to.http_redirect_code.clone())
        .set_protocol(to.protocol.as_deref().map(Protocol::from))
        .set_replace_key_prefix_with(to.replace_key_prefix_with.clone())
        .set_replace_key_with(to.replace_key_with.clone())
        .build();
    let condition = r.condition.first().map(|c| {
        Condition::builder()
            .set_http_error_code_returned_equals(c.http_error_code_returned_equals.clone())
            .set_key_prefix_equals(c.key_prefix_equals.clone())
            .build()
    });
    Ok(RoutingRule::builder()
        .set_condition(condition)
        .redirect(redirect)
        .build())
}

fn rule_model(r: &RoutingRule) -> Rule {
    Rule {
        condition: r
            .condition()
            .map(|c| RuleCondition {
                http_error_code_returned_equals: c
                    .http_error_code_returned_equals()
                    .map(str::to_string),
                key_prefix_equals: c.key_prefix_equals().map(str::to_string),
            })
            .into_iter()
            .collect(),
        redirect: r
            .redirect()
            .map(|to| RuleRedirect {
                host_name: to.host_name().map(str::to_string),
                http_redirect_code: to.http_redirect_code().map(str::to_string),
                protocol: to.protocol().map(|p| p.as_str().to_string()),
                replace_key_prefix_with: to.replace_key_prefix_with().map(str::to_string),
                replace_key_with: to.replace_key_with().map(str::to_string),
            })
            .into_iter()
            .collect(),
    }
}

/// Regions whose website endpoints keep the old dash form (`s3-website-REGION`).
const DASH_REGIONS: &[&str] = &[
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "eu-west-1",
    "sa-east-1",
    "us-gov-west-1",
];

fn website_domain(region: &str) -> String {
    if DASH_REGIONS.contains(&region) {
        format!("s3-website-{region}.amazonaws.com")
    } else {
        format!("s3-website.{region}.amazonaws.com")
    }
}

async fn put_website(c: &Clients, m: &WebsiteModel) -> Result<(), ProviderError> {
    let mut w = WebsiteConfiguration::builder();
    match (&m.index_document, &m.redirect_all_requests_to) {
        (Some(i), None) => {
            w = w.index_document(built(IndexDocument::builder().suffix(&i.suffix).build(), "index_document")?);
            if let Some(e) = &m.error_document {
                w = w.error_document(built(ErrorDocument::builder().key(&e.key).build(), "error_document")?);
            }
            for r in &m.routing_rule {
                w = w.routing_rules(routing_rule(r)?);
            }
        }
        (None, Some(r)) => {
            let mut b = RedirectAllRequestsTo::builder().host_name(&r.host_name);
            if let Some(p) = &r.protocol {
                one_of(p, &["http", "https"], "redirect_all_requests_to.protocol")?;
                b = b.protocol(Protocol::from(p.as_str()));
            }
            w = w.redirect_all_requests_to(built(b.build(), "redirect_all_requests_to")?);
        }
        _ => {
            return Err(ProviderError::InvalidConfig(
                "aws_s3_bucket_website_configuration needs index_document or redirect_all_requests_to, not both".into(),
            ))
        }
    }
    c.s3.put_bucket_website()
        .bucket(&m.bucket)
        .website_configuration(w.build())
        .send()
        .await
        .call("s3:PutBucketWebsite")?;
    Ok(())
}

#[async_trait::async_trait]
impl AwsResource for Website {
    type Model = WebsiteModel;
    const TYPE: &'static str = "aws_s3_bucket_website_configuration";

    fn schema() -> Schema {
        bucket_schema()
            .block(
                "index_document",
                block(
                    Nesting::Single,
                    Schema::new().attr("suffix", Attribute::required(Type::String)),
                    0,
                ),
            )
            .block(
                "error_document",
                block(
                    Nesting::Single,
                    Schema::new().attr("key", Attribute::required(Type::String)),
                    0,
                ),
            )
            .block(
                "redirect_all_requests_to",
                block(
                    Nesting::Single,
                    Schema::new()
                        .attr("host_name", Attribute::required(Type::String))
                        .attr("protocol", Attribute::optional(Type::String)),
                    0,
                ),
            )
            .block(
                "routing_rule",
                NestedBlock {
                    nesting: Nesting::List,
                    block: Schema::new()
                        .block(
                            "condition",
                            list_of_one(
                                Schema::new()
                                    .attr(
                                        "http_error_code_returned_equals",
                                        Attribute::optional(Type::String),
                                    )
                                    .attr("key_prefix_equals", Attribute::optional(Type::String)),
                                false,
                            ),
                        )
                        .block(
                            "redirect",
                            list_of_one(
                                [
                                    "host_name",
                                    "http_redirect_code",
                                    "protocol",
                                    "replace_key_prefix_with",
                                    "replace_key_with",
                                ]
                                .into_iter()
                                .fold(Schema::new(), |s, a| {
                                    s.attr(a, Attribute::optional(Type::String))
                                }),
                                true,
                            ),
                        ),
                    min_items: 0,
                    max_items: None,
                    force_new: false,
                },
            )
            .attr("website_endpoint", Attribute::computed(Type::String))
            .attr("website_domain", Attribute::computed(Type::String))
    }

    async fn create(
        &self,
        c: &Clients,
        m: &WebsiteModel,
    ) -> Result<Created<WebsiteModel>, ProviderError> {
        put_website(c, m).await?;
        Ok(m.bucket.clone().into())
    }

    async fn read(
        &self,
        c: &Clients,
        m: &WebsiteModel,
    ) -> Result<Option<WebsiteModel>, ProviderError> {
        let b = bucket(&m.id, &m.bucket);
        let out =
            c.s3.get_bucket_website()
                .bucket(&b)
                .send()
                .await
                .found("s3:GetBucketWebsite")?;
        let Some(out) = out else {
            return Ok(None);
        };
        let domain = website_domain(&c.region);
        Ok(Some(WebsiteModel {
            id: b.clone(),
            bucket: b.clone(),
            index_document: out.index_document().map(|i| IndexDoc {
                suffix: i.suffix().to_string(),
            }),
            error_document: out.error_document().map(|e| ErrorDoc {
                key: e.key().to_string(),
            }),
            redirect_all_requests_to: out.redirect_all_requests_to().map(|r| Redirect {
                host_name: r.host_name().to_string(),
                protocol: r.protocol().map(|p| p.as_str().to_string()),
            }),
            routing_rule: out.routing_rules().iter().map(rule_model).collect(),
            website_endpoint: Some(format!("{b}.{domain}")),
            website_domain: Some(domain),
        }))
    }

    async fn update(
        &self,
        c: &Clients,
        _old: &WebsiteModel,
        new: &WebsiteModel,
    ) -> Result<(), ProviderError> {
        put_website(c, new).await
    }

    async fn delete(&self, c: &Clients, m: &WebsiteModel) -> Result<(), ProviderError> {
        c.s3.delete_bucket_website()
            .bucket(bucket(&m.id, &m.bucket))
            .send()
            .await
            .gone_ok("s3:DeleteBucketWebsite")
    }
}
