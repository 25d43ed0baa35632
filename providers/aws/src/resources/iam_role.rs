//! `aws_iam_role`: a role with its trust policy, compared by meaning so a reformatted policy is
//! not a change. Import ID: the role name. Delete detaches managed policies and removes
//! inline ones first, as AWS requires.

use std::sync::Arc;

use mlform_provider::{
    Attribute, PathStep, PlanRequest, Planned, ProviderError, Resource, Schema, Type, Value,
};

use crate::error::{classify, code};
use crate::policy::equivalent;
use crate::Clients;

pub fn schema() -> Schema {
    Schema::new()
        .attr(
            "name",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("name_prefix", Attribute::optional(Type::String).force_new())
        .attr(
            "path",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr(
            "assume_role_policy",
            Attribute::required(Type::String).describe("The trust policy (JSON)."),
        )
        .attr("description", Attribute::optional(Type::String))
        .attr(
            "max_session_duration",
            Attribute::optional_computed(Type::Number),
        )
        .attr("force_detach_policies", Attribute::optional(Type::Bool))
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("tags_all", Attribute::computed(Type::map(Type::String)))
        .attr("id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr("unique_id", Attribute::computed(Type::String))
        .attr("create_date", Attribute::computed(Type::String))
}

pub struct IamRole {
    pub clients: Arc<Clients>,
}

impl IamRole {
    async fn get(&self, name: &str) -> Result<Option<Value>, ProviderError> {
        let out = match self.clients.iam.get_role().role_name(name).send().await {
            Ok(o) => o,
            Err(e) if code(&e) == "NoSuchEntity" => return Ok(None),
            Err(e) => return Err(classify("iam:GetRole", &e)),
        };
        let Some(r) = out.role() else { return Ok(None) };
        let policy = r
            .assume_role_policy_document()
            .map(|p| {
                urlencoding::decode(p)
                    .map(|c| c.into_owned())
                    .unwrap_or_else(|_| p.to_string())
            })
            .unwrap_or_default();
        Ok(Some(Value::object([
            ("name", Value::from(r.role_name())),
            ("id", Value::from(r.role_name())),
            ("path", Value::from(r.path())),
            ("arn", Value::from(r.arn())),
            ("unique_id", Value::from(r.role_id())),
            ("create_date", Value::from(r.create_date().to_string())),
            ("assume_role_policy", Value::from(policy)),
            (
                "description",
                r.description().map(Value::from).unwrap_or(Value::Null),
            ),
            (
                "max_session_duration",
                Value::from(r.max_session_duration().unwrap_or(3600) as f64),
            ),
            (
                "tags_all",
                super::tags_value(r.tags().iter().map(|t| (t.key(), t.value()))),
            ),
        ])))
    }
}

#[async_trait::async_trait]
impl Resource for IamRole {
    fn schema(&self) -> Schema {
        schema()
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let Some(name) = prior.get_attr("name").as_str() else {
            return Ok(None);
        };
        let Some(live) = self.get(name).await? else {
            return Ok(None);
        };
        let mut m = prior.as_map().cloned().unwrap_or_default();
        for (k, v) in live.as_map().cloned().unwrap_or_default() {
            m.insert(k, v);
        }
        let all = m.get("tags_all").cloned().unwrap_or(Value::Null);
        m.insert(
            "tags".into(),
            self.clients.own_tags(&all, prior.get_attr("tags")),
        );
        Ok(Some(Value::Map(m)))
    }

    fn normalize(&self, prior: &Value, live: Value) -> Value {
        // The same trust policy written differently is not drift.
        match (
            prior.get_attr("assume_role_policy").as_str(),
            live.get_attr("assume_role_policy").as_str(),
        ) {
            (Some(p), Some(l)) if p != l && equivalent(p, l) => {
                let mut m = live.as_map().cloned().unwrap_or_default();
                m.insert("assume_role_policy".into(), Value::from(p));
                Value::Map(m)
            }
            _ => live,
        }
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut planned = mlform_provider::plan_by_schema(&self.schema(), request.clone())?;
        let mut m = planned.state.as_map().cloned().unwrap_or_default();
        m.insert(
            "tags_all".into(),
            self.clients.tags_all(request.config.get_attr("tags")),
        );
        if let Some(p) = request.prior {
            if let (Some(old), Some(new)) = (
                p.get_attr("assume_role_policy").as_str(),
                request.config.get_attr("assume_role_policy").as_str(),
            ) {
                if equivalent(old, new) {
                    m.insert("assume_role_policy".into(), Value::from(old));
                }
            }
            if request.config.get_attr("name").is_null()
                && request
                    .config
                    .get_attr("name_prefix")
                    .same_data(p.get_attr("name_prefix"))
            {
                m.insert("name".into(), p.get_attr("name").clone());
                planned
                    .requires_replace
                    .retain(|path| path != &vec![PathStep::GetAttr("name".into())]);
            }
        }
        if request.config.get_attr("path").is_null()
            && (request.prior.is_none() || !planned.requires_replace.is_empty())
        {
            m.insert("path".into(), Value::from("/"));
        }
        if request.config.get_attr("max_session_duration").is_null()
            && (request.prior.is_none() || !planned.requires_replace.is_empty())
        {
            m.insert("max_session_duration".into(), Value::from(3600.0));
        }
        if let Some(n) = m.get("name").and_then(|v| v.as_str()).map(str::to_string) {
            m.insert("id".into(), Value::from(n));
        }
        planned.state = Value::Map(m);
        Ok(planned)
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let name = super::unique_name(
            planned.get_attr("name"),
            planned.get_attr("name_prefix"),
            "terraform-",
        );
        let mut req = self
            .clients
            .iam
            .create_role()
            .role_name(&name)
            .assume_role_policy_document(
                planned
                    .get_attr("assume_role_policy")
                    .as_str()
                    .unwrap_or_default(),
            )
            .path(planned.get_attr("path").as_str().unwrap_or("/"))
            .max_session_duration(
                planned
                    .get_attr("max_session_duration")
                    .as_f64()
                    .unwrap_or(3600.0) as i32,
            )
            .set_tags(Some(super::iam_tags(planned.get_attr("tags_all"))?));
        if let Some(d) = planned.get_attr("description").as_str() {
            req = req.description(d);
        }
        req.send()
            .await
            .map_err(|e| classify("iam:CreateRole", &e))?;
        let live = self.get(&name).await?.ok_or_else(|| {
            ProviderError::Api(format!(
                "role {name} disappeared right after it was created"
            ))
        })?;
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        for (k, v) in live.as_map().cloned().unwrap_or_default() {
            if k != "assume_role_policy" {
                m.insert(k, v);
            }
        }
        Ok(Value::Map(m))
    }

    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        let name = prior
            .get_attr("name")
            .as_str()
            .unwrap_or_default()
            .to_string();
        let iam = &self.clients.iam;
        if !prior
            .get_attr("assume_role_policy")
            .same_data(planned.get_attr("assume_role_policy"))
        {
            iam.update_assume_role_policy()
                .role_name(&name)
                .policy_document(
                    planned
                        .get_attr("assume_role_policy")
                        .as_str()
                        .unwrap_or_default(),
                )
                .send()
                .await
                .map_err(|e| classify("iam:UpdateAssumeRolePolicy", &e))?;
        }
        if !prior
            .get_attr("description")
            .same_data(planned.get_attr("description"))
            || !prior
                .get_attr("max_session_duration")
                .same_data(planned.get_attr("max_session_duration"))
        {
            iam.update_role()
                .role_name(&name)
                .description(planned.get_attr("description").as_str().unwrap_or_default())
                .max_session_duration(
                    planned
                        .get_attr("max_session_duration")
                        .as_f64()
                        .unwrap_or(3600.0) as i32,
                )
                .send()
                .await
                .map_err(|e| classify("iam:UpdateRole", &e))?;
        }
        let (old, new) = (prior.get_attr("tags_all"), planned.get_attr("tags_all"));
        if !old.same_data(new) {
            let (removed, _) = crate::client::tag_changes(old, new);
            if !removed.is_empty() {
                iam.untag_role()
                    .role_name(&name)
                    .set_tag_keys(Some(removed))
                    .send()
                    .await
                    .map_err(|e| classify("iam:UntagRole", &e))?;
            }
            let set = super::iam_tags(new)?;
            if !set.is_empty() {
                iam.tag_role()
                    .role_name(&name)
                    .set_tags(Some(set))
                    .send()
                    .await
                    .map_err(|e| classify("iam:TagRole", &e))?;
            }
        }
        let live = self
            .get(&name)
            .await?
            .ok_or_else(|| ProviderError::Api(format!("role {name} is gone")))?;
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        for (k, v) in live.as_map().cloned().unwrap_or_default() {
            if k != "assume_role_policy" {
                m.insert(k, v);
            }
        }
        Ok(Value::Map(m))
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        let name = prior
            .get_attr("name")
            .as_str()
            .unwrap_or_default()
            .to_string();
        let iam = &self.clients.iam;
        match iam
            .list_attached_role_policies()
            .role_name(&name)
            .send()
            .await
        {
            Ok(out) => {
                for p in out.attached_policies() {
                    if let Some(arn) = p.policy_arn() {
                        iam.detach_role_policy()
                            .role_name(&name)
                            .policy_arn(arn)
                            .send()
                            .await
                            .map_err(|e| classify("iam:DetachRolePolicy", &e))?;
                    }
                }
            }
            Err(e) if code(&e) == "NoSuchEntity" => return Ok(()),
            Err(e) => return Err(classify("iam:ListAttachedRolePolicies", &e)),
        }
        if let Ok(out) = iam.list_role_policies().role_name(&name).send().await {
            for p in out.policy_names() {
                iam.delete_role_policy()
                    .role_name(&name)
                    .policy_name(p)
                    .send()
                    .await
                    .map_err(|e| classify("iam:DeleteRolePolicy", &e))?;
            }
        }
        match iam.delete_role().role_name(&name).send().await {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == "NoSuchEntity" => Ok(()),
            Err(e) => Err(classify("iam:DeleteRole", &e)),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let prior = Value::object([("name", Value::from(id)), ("tags", Value::Null)]);
        let Some(v) = self.read(&prior).await? else {
            return Ok(None);
        };
        let mut m = v.as_map().cloned().unwrap_or_default();
        for k in ["name_prefix", "force_detach_policies"] {
            m.entry(k.to_string()).or_insert(Value::Null);
        }
        let all = m.get("tags_all").cloned().unwrap_or(Value::Null);
        m.insert("tags".into(), self.clients.own_tags(&all, &Value::Null));
        Ok(Some(Value::Map(m)))
    }
}
