//! IAM policies: `aws_iam_policy` (a managed policy; new documents become new default
//! versions, import by ARN), `aws_iam_role_policy` (an inline policy, import `role:name`) and
//! `aws_iam_role_policy_attachment` (import `role/policy-arn`). Documents compare by meaning.

use std::sync::Arc;

use mlform_provider::{
    Attribute, PlanRequest, Planned, ProviderError, Resource, Schema, Type, Value,
};

use crate::error::{classify, code};
use crate::policy::equivalent;
use crate::Clients;

fn s(v: &Value, name: &str) -> String {
    v.get_attr(name).as_str().unwrap_or_default().to_string()
}

/// Keeps the prior document when the new one means the same.
fn keep_equivalent(mut planned: Planned, prior: Option<&Value>, attr: &str) -> Planned {
    if let Some(p) = prior {
        if let (Some(old), Some(new)) = (
            p.get_attr(attr).as_str(),
            planned.state.get_attr(attr).as_str(),
        ) {
            if old != new && equivalent(old, new) {
                let mut m = planned.state.as_map().cloned().unwrap_or_default();
                m.insert(attr.into(), Value::from(old));
                planned.state = Value::Map(m);
            }
        }
    }
    planned
}

fn normalize_doc(prior: &Value, live: Value, attr: &str) -> Value {
    match (prior.get_attr(attr).as_str(), live.get_attr(attr).as_str()) {
        (Some(p), Some(l)) if p != l && equivalent(p, l) => {
            let mut m = live.as_map().cloned().unwrap_or_default();
            m.insert(attr.into(), Value::from(p));
            Value::Map(m)
        }
        _ => live,
    }
}

// ---- aws_iam_policy ---------------------------------------------------------------------------

pub fn policy_schema() -> Schema {
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
        .attr("description", Attribute::optional(Type::String).force_new())
        .attr("policy", Attribute::required(Type::String))
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("tags_all", Attribute::computed(Type::map(Type::String)))
        .attr("id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr("policy_id", Attribute::computed(Type::String))
        .attr("attachment_count", Attribute::computed(Type::Number))
}

pub struct IamPolicy {
    pub clients: Arc<Clients>,
}

impl IamPolicy {
    async fn get(&self, arn: &str) -> Result<Option<Value>, ProviderError> {
        let out = match self.clients.iam.get_policy().policy_arn(arn).send().await {
            Ok(o) => o,
            Err(e) if code(&e) == "NoSuchEntity" => return Ok(None),
            Err(e) => return Err(classify("iam:GetPolicy", &e)),
        };
        let Some(p) = out.policy() else {
            return Ok(None);
        };
        let version = p.default_version_id().unwrap_or("v1").to_string();
        let doc = self
            .clients
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(&version)
            .send()
            .await
            .map_err(|e| classify("iam:GetPolicyVersion", &e))?;
        let document = doc
            .policy_version()
            .and_then(|v| v.document())
            .map(crate::policy::decode)
            .unwrap_or_default();
        Ok(Some(Value::object([
            ("name", Value::from(p.policy_name().unwrap_or_default())),
            ("path", Value::from(p.path().unwrap_or("/"))),
            (
                "description",
                p.description().map(Value::from).unwrap_or(Value::Null),
            ),
            ("policy", Value::from(document)),
            ("arn", Value::from(arn)),
            ("id", Value::from(arn)),
            ("policy_id", Value::from(p.policy_id().unwrap_or_default())),
            (
                "attachment_count",
                Value::from(p.attachment_count().unwrap_or(0) as f64),
            ),
            (
                "tags_all",
                super::tags_value(p.tags().iter().map(|t| (t.key(), t.value()))),
            ),
        ])))
    }
}

#[async_trait::async_trait]
impl Resource for IamPolicy {
    fn schema(&self) -> Schema {
        policy_schema()
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let Some(live) = self.get(&s(prior, "arn")).await? else {
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
        normalize_doc(prior, live, "policy")
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let planned = mlform_provider::plan_by_schema(&self.schema(), request.clone())?;
        let mut planned = keep_equivalent(planned, request.prior, "policy");
        let mut m = planned.state.as_map().cloned().unwrap_or_default();
        m.insert(
            "tags_all".into(),
            self.clients.tags_all(request.config.get_attr("tags")),
        );
        if request.config.get_attr("path").is_null()
            && (request.prior.is_none() || !planned.requires_replace.is_empty())
        {
            m.insert("path".into(), Value::from("/"));
        }
        if let Some(p) = request.prior {
            if request.config.get_attr("name").is_null()
                && request
                    .config
                    .get_attr("name_prefix")
                    .same_data(p.get_attr("name_prefix"))
            {
                m.insert("name".into(), p.get_attr("name").clone());
                planned.requires_replace.retain(|path| {
                    path != &vec![mlform_provider::PathStep::GetAttr("name".into())]
                });
            }
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
        let tags = super::iam_tags::from_value(planned.get_attr("tags_all"))?;
        let mut req = self
            .clients
            .iam
            .create_policy()
            .policy_name(&name)
            .policy_document(s(planned, "policy"))
            .path(planned.get_attr("path").as_str().unwrap_or("/"))
            .set_tags(Some(tags));
        if let Some(d) = planned.get_attr("description").as_str() {
            req = req.description(d);
        }
        let out = req
            .send()
            .await
            .map_err(|e| classify("iam:CreatePolicy", &e))?;
        let arn = out
            .policy()
            .and_then(|p| p.arn())
            .unwrap_or_default()
            .to_string();
        let live = self.get(&arn).await?.ok_or_else(|| {
            ProviderError::Api(format!(
                "policy {arn} disappeared right after it was created"
            ))
        })?;
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        for (k, v) in live.as_map().cloned().unwrap_or_default() {
            if k != "policy" {
                m.insert(k, v);
            }
        }
        Ok(Value::Map(m))
    }

    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        let arn = s(prior, "arn");
        let iam = &self.clients.iam;
        if !prior
            .get_attr("policy")
            .same_data(planned.get_attr("policy"))
        {
            // IAM keeps at most five versions: drop the oldest non-default one first.
            let versions = iam
                .list_policy_versions()
                .policy_arn(&arn)
                .send()
                .await
                .map_err(|e| classify("iam:ListPolicyVersions", &e))?;
            let old: Vec<String> = versions
                .versions()
                .iter()
                .filter(|v| !v.is_default_version())
                .filter_map(|v| v.version_id().map(str::to_string))
                .collect();
            if versions.versions().len() >= 5 {
                if let Some(oldest) = old.last() {
                    iam.delete_policy_version()
                        .policy_arn(&arn)
                        .version_id(oldest)
                        .send()
                        .await
                        .map_err(|e| classify("iam:DeletePolicyVersion", &e))?;
                }
            }
            iam.create_policy_version()
                .policy_arn(&arn)
                .policy_document(s(planned, "policy"))
                .set_as_default(true)
                .send()
                .await
                .map_err(|e| classify("iam:CreatePolicyVersion", &e))?;
        }
        let (old, new) = (prior.get_attr("tags_all"), planned.get_attr("tags_all"));
        if !old.same_data(new) {
            let (removed, _) = crate::client::tag_changes(old, new);
            if !removed.is_empty() {
                iam.untag_policy()
                    .policy_arn(&arn)
                    .set_tag_keys(Some(removed))
                    .send()
                    .await
                    .map_err(|e| classify("iam:UntagPolicy", &e))?;
            }
            let tags = super::iam_tags::from_value(new)?;
            if !tags.is_empty() {
                iam.tag_policy()
                    .policy_arn(&arn)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| classify("iam:TagPolicy", &e))?;
            }
        }
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        if let Some(live) = self.get(&arn).await? {
            for (k, v) in live.as_map().cloned().unwrap_or_default() {
                if k != "policy" {
                    m.insert(k, v);
                }
            }
        }
        Ok(Value::Map(m))
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        let arn = s(prior, "arn");
        let iam = &self.clients.iam;
        match iam.list_policy_versions().policy_arn(&arn).send().await {
            Ok(out) => {
                for v in out.versions().iter().filter(|v| !v.is_default_version()) {
                    if let Some(id) = v.version_id() {
                        iam.delete_policy_version()
                            .policy_arn(&arn)
                            .version_id(id)
                            .send()
                            .await
                            .map_err(|e| classify("iam:DeletePolicyVersion", &e))?;
                    }
                }
            }
            Err(e) if code(&e) == "NoSuchEntity" => return Ok(()),
            Err(e) => return Err(classify("iam:ListPolicyVersions", &e)),
        }
        match iam.delete_policy().policy_arn(&arn).send().await {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == "NoSuchEntity" => Ok(()),
            Err(e) if code(&e) == "DeleteConflict" => Err(ProviderError::Api(format!(
                "policy {arn} is still attached; detach it (or destroy its attachments) first"
            ))),
            Err(e) => Err(classify("iam:DeletePolicy", &e)),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let Some(v) = self.get(id).await? else {
            return Ok(None);
        };
        let mut m = v.as_map().cloned().unwrap_or_default();
        m.insert("name_prefix".into(), Value::Null);
        let all = m.get("tags_all").cloned().unwrap_or(Value::Null);
        m.insert("tags".into(), self.clients.own_tags(&all, &Value::Null));
        Ok(Some(Value::Map(m)))
    }
}

// ---- aws_iam_role_policy ------------------------------------------------------------------------

pub fn role_policy_schema() -> Schema {
    Schema::new()
        .attr("role", Attribute::required(Type::String).force_new())
        .attr(
            "name",
            Attribute::optional_computed(Type::String)
                .force_new()
                .describe("Policy name; generated from name_prefix when unset."),
        )
        .attr("name_prefix", Attribute::optional(Type::String).force_new())
        .attr("policy", Attribute::required(Type::String))
        .attr("id", Attribute::computed(Type::String))
}

pub struct RolePolicy {
    pub clients: Arc<Clients>,
}

#[async_trait::async_trait]
impl Resource for RolePolicy {
    fn schema(&self) -> Schema {
        role_policy_schema()
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let (role, name) = (s(prior, "role"), s(prior, "name"));
        match self
            .clients
            .iam
            .get_role_policy()
            .role_name(&role)
            .policy_name(&name)
            .send()
            .await
        {
            Ok(o) => Ok(Some(Value::object([
                ("role", Value::from(role.as_str())),
                ("name", Value::from(name.as_str())),
                ("name_prefix", prior.get_attr("name_prefix").clone()),
                (
                    "policy",
                    Value::from(crate::policy::decode(o.policy_document())),
                ),
                ("id", Value::from(format!("{role}:{name}"))),
            ]))),
            Err(e) if code(&e) == "NoSuchEntity" => Ok(None),
            Err(e) => Err(classify("iam:GetRolePolicy", &e)),
        }
    }

    fn normalize(&self, prior: &Value, live: Value) -> Value {
        normalize_doc(prior, live, "policy")
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let planned = mlform_provider::plan_by_schema(&self.schema(), request.clone())?;
        let mut planned = keep_equivalent(planned, request.prior, "policy");
        let mut m = planned.state.as_map().cloned().unwrap_or_default();
        if let Some(prior) = request.prior {
            // An unset name keeps the generated one while name_prefix stays the same.
            if request.config.get_attr("name").is_null()
                && request
                    .config
                    .get_attr("name_prefix")
                    .same_data(prior.get_attr("name_prefix"))
            {
                m.insert("name".into(), prior.get_attr("name").clone());
                planned
                    .requires_replace
                    .retain(|p| p != &vec![mlform_provider::PathStep::GetAttr("name".into())]);
            }
        }
        let name = m.get("name").cloned().unwrap_or(Value::Unknown);
        match (request.config.get_attr("role").as_str(), name.as_str()) {
            (Some(r), Some(n)) => {
                m.insert("id".into(), Value::from(format!("{r}:{n}")));
            }
            _ => {
                m.insert("id".into(), Value::Unknown);
            }
        }
        planned.state = Value::Map(m);
        Ok(planned)
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let role = s(planned, "role");
        let name = super::unique_name(
            planned.get_attr("name"),
            planned.get_attr("name_prefix"),
            "terraform-",
        );
        self.clients
            .iam
            .put_role_policy()
            .role_name(&role)
            .policy_name(&name)
            .policy_document(s(planned, "policy"))
            .send()
            .await
            .map_err(|e| classify("iam:PutRolePolicy", &e))?;
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        m.insert("id".into(), Value::from(format!("{role}:{name}")));
        m.insert("name".into(), Value::from(name));
        Ok(Value::Map(m))
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        self.create(planned).await
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        match self
            .clients
            .iam
            .delete_role_policy()
            .role_name(s(prior, "role"))
            .policy_name(s(prior, "name"))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == "NoSuchEntity" => Ok(()),
            Err(e) => Err(classify("iam:DeleteRolePolicy", &e)),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let Some((role, name)) = id.split_once(':') else {
            return Err(ProviderError::Unsupported(format!(
                "import ID {id:?} must be ROLE:POLICY-NAME"
            )));
        };
        let state = self
            .read(&Value::object([
                ("role", Value::from(role)),
                ("name", Value::from(name)),
            ]))
            .await?;
        Ok(state.map(|mut v| {
            if let Value::Map(m) = &mut v {
                m.insert("name_prefix".into(), super::prefix_of_generated(name));
            }
            v
        }))
    }
}

// ---- aws_iam_role_policy_attachment -----------------------------------------------------------

pub fn attachment_schema() -> Schema {
    Schema::new()
        .attr("role", Attribute::required(Type::String).force_new())
        .attr("policy_arn", Attribute::required(Type::String).force_new())
        .attr("id", Attribute::computed(Type::String))
}

pub struct Attachment {
    pub clients: Arc<Clients>,
}

#[async_trait::async_trait]
impl Resource for Attachment {
    fn schema(&self) -> Schema {
        attachment_schema()
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let (role, arn) = (s(prior, "role"), s(prior, "policy_arn"));
        let out = match self
            .clients
            .iam
            .list_attached_role_policies()
            .role_name(&role)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if code(&e) == "NoSuchEntity" => return Ok(None),
            Err(e) => return Err(classify("iam:ListAttachedRolePolicies", &e)),
        };
        if !out
            .attached_policies()
            .iter()
            .any(|p| p.policy_arn() == Some(arn.as_str()))
        {
            return Ok(None);
        }
        Ok(Some(Value::object([
            ("role", Value::from(role.as_str())),
            ("policy_arn", Value::from(arn.as_str())),
            ("id", prior.get_attr("id").clone()),
        ])))
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let mut p = mlform_provider::plan_by_schema(&self.schema(), request.clone())?;
        let mut m = p.state.as_map().cloned().unwrap_or_default();
        if let (Some(r), Some(a)) = (
            request.config.get_attr("role").as_str(),
            request.config.get_attr("policy_arn").as_str(),
        ) {
            m.insert("id".into(), Value::from(format!("{r}/{a}")));
        }
        p.state = Value::Map(m);
        Ok(p)
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let (role, arn) = (s(planned, "role"), s(planned, "policy_arn"));
        self.clients
            .iam
            .attach_role_policy()
            .role_name(&role)
            .policy_arn(&arn)
            .send()
            .await
            .map_err(|e| classify("iam:AttachRolePolicy", &e))?;
        Ok(Value::object([
            ("role", Value::from(role.as_str())),
            ("policy_arn", Value::from(arn.as_str())),
            ("id", Value::from(format!("{role}/{arn}"))),
        ]))
    }

    async fn update(&self, _prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        Ok(planned.clone())
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        match self
            .clients
            .iam
            .detach_role_policy()
            .role_name(s(prior, "role"))
            .policy_arn(s(prior, "policy_arn"))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == "NoSuchEntity" => Ok(()),
            Err(e) => Err(classify("iam:DetachRolePolicy", &e)),
        }
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        let Some((role, arn)) = id.split_once('/') else {
            return Err(ProviderError::Unsupported(format!(
                "import ID {id:?} must be ROLE/POLICY-ARN"
            )));
        };
        self.read(&Value::object([
            ("role", Value::from(role)),
            ("policy_arn", Value::from(arn)),
            ("id", Value::from(id)),
        ]))
        .await
    }
}
