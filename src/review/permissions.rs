//! IAM changes as permissions: a policy document flattened into grants (effect × action ×
//! resource × condition), and the grants a change adds and removes, so a reviewer reads
//! "+ s3:GetObject on arn:aws:s3:::data/*" instead of two JSON documents. Wildcards gained
//! are flagged.

use std::collections::BTreeSet;

use mlform_provider::Value;

use crate::plan::ResourceChange;

/// One permission: an effect on an action (or everything but some actions) for a resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    pub effect: String,
    /// `s3:GetObject`, or `NOT s3:DeleteObject` for a NotAction statement.
    pub action: String,
    /// A resource ARN pattern, `NOT arn` for NotResource, or the principal for a trust policy.
    pub resource: String,
    /// The statement's condition as compact JSON, empty when none.
    pub condition: String,
}

impl Grant {
    /// A wildcard that widens access: `*` or `service:*` actions, everything-but actions, or
    /// a `*` resource, on an Allow.
    pub fn is_wildcard(&self) -> bool {
        self.effect == "Allow"
            && (self.action == "*"
                || self.action.ends_with(":*")
                || self.action.starts_with("NOT ")
                || self.resource == "*")
    }
}

impl std::fmt::Display for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.effect != "Allow" {
            write!(f, "{} ", self.effect)?;
        }
        write!(f, "{} on {}", self.action, self.resource)?;
        if !self.condition.is_empty() {
            write!(f, " when {}", self.condition)?;
        }
        Ok(())
    }
}

/// The permission changes of one resource change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PermissionDiff {
    pub gained: Vec<Grant>,
    pub lost: Vec<Grant>,
    /// Whole policies attached or detached (`aws_iam_role_policy_attachment`).
    pub attached: Vec<String>,
    pub detached: Vec<String>,
}

impl PermissionDiff {
    pub fn is_empty(&self) -> bool {
        self.gained.is_empty()
            && self.lost.is_empty()
            && self.attached.is_empty()
            && self.detached.is_empty()
    }
}

fn strings(v: Option<&serde_json::Value>) -> Vec<String> {
    match v {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn principals(v: Option<&serde_json::Value>) -> Vec<String> {
    match v {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Object(m)) => m
            .iter()
            .flat_map(|(kind, ids)| {
                strings(Some(ids))
                    .into_iter()
                    .map(move |id| format!("{kind}:{id}"))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Flattens a policy document into grants. Trust policies (with `Principal`) use the
/// principal as the resource: "sts:AssumeRole on Service:sagemaker.amazonaws.com".
pub fn grants(document: &str) -> Option<BTreeSet<Grant>> {
    let doc: serde_json::Value = serde_json::from_str(document).ok()?;
    let statements = match doc.get("Statement") {
        Some(serde_json::Value::Array(s)) => s.clone(),
        Some(s @ serde_json::Value::Object(_)) => vec![s.clone()],
        _ => Vec::new(),
    };
    let mut out = BTreeSet::new();
    for st in &statements {
        let effect = st
            .get("Effect")
            .and_then(|e| e.as_str())
            .unwrap_or("Allow")
            .to_string();
        let mut actions: Vec<String> = strings(st.get("Action"));
        for a in strings(st.get("NotAction")) {
            actions.push(format!("NOT {a}"));
        }
        let mut resources: Vec<String> = strings(st.get("Resource"));
        for r in strings(st.get("NotResource")) {
            resources.push(format!("NOT {r}"));
        }
        resources.extend(principals(st.get("Principal")));
        for p in principals(st.get("NotPrincipal")) {
            resources.push(format!("NOT {p}"));
        }
        if resources.is_empty() {
            resources.push("*".into());
        }
        let condition = st
            .get("Condition")
            .map(|c| c.to_string())
            .unwrap_or_default();
        for a in &actions {
            for r in &resources {
                out.insert(Grant {
                    effect: effect.clone(),
                    action: a.clone(),
                    resource: r.clone(),
                    condition: condition.clone(),
                });
            }
        }
    }
    Some(out)
}

/// The policy documents a resource type carries, by attribute.
const POLICY_ATTRIBUTES: &[(&str, &str)] = &[
    ("aws_iam_policy", "policy"),
    ("aws_iam_role_policy", "policy"),
    ("aws_iam_role", "assume_role_policy"),
    ("aws_s3_bucket_policy", "policy"),
];

/// Whether a resource type's changes are IAM changes mlform can explain as permissions.
pub fn is_iam_type(type_name: &str) -> bool {
    type_name == "aws_iam_role_policy_attachment"
        || POLICY_ATTRIBUTES.iter().any(|(t, _)| *t == type_name)
}

fn document(v: Option<&Value>, attr: &str) -> Option<String> {
    let d = v?.get_attr(attr);
    if d.is_sensitive() || d.is_unknown() {
        return None;
    }
    d.as_str().map(str::to_string)
}

/// The permissions a change gains and loses; `None` for non-IAM changes and for documents
/// not known until apply or sensitive (never revealed through this view).
pub fn diff(change: &ResourceChange) -> Option<PermissionDiff> {
    let type_name = change.addr.resource.type_name.as_str();
    if type_name == "aws_iam_role_policy_attachment" {
        let describe = |v: Option<&Value>| {
            v.and_then(|v| {
                let role = v.get_attr("role").as_str()?;
                let arn = v
                    .get_attr("policy_arn")
                    .as_str()
                    .unwrap_or("(known after apply)");
                Some(format!("{arn} to role {role}"))
            })
        };
        let before = describe(change.before.as_ref());
        let after = describe(change.after.as_ref());
        if before == after {
            return None;
        }
        return Some(PermissionDiff {
            attached: after.into_iter().collect(),
            detached: before.into_iter().collect(),
            ..PermissionDiff::default()
        });
    }
    let attr = POLICY_ATTRIBUTES
        .iter()
        .find(|(t, _)| *t == type_name)
        .map(|(_, a)| *a)?;
    let before = match document(change.before.as_ref(), attr) {
        Some(d) => grants(&d)?,
        None if change.before.is_none() => BTreeSet::new(),
        None => return None,
    };
    let after = match document(change.after.as_ref(), attr) {
        Some(d) => grants(&d)?,
        None if change.after.is_none() => BTreeSet::new(),
        None => return None,
    };
    let d = PermissionDiff {
        gained: after.difference(&before).cloned().collect(),
        lost: before.difference(&after).cloned().collect(),
        ..PermissionDiff::default()
    };
    (!d.is_empty()).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff_docs(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
        let b = grants(before).unwrap();
        let a = grants(after).unwrap();
        (
            a.difference(&b).map(|g| g.to_string()).collect(),
            b.difference(&a).map(|g| g.to_string()).collect(),
        )
    }

    #[test]
    fn added_statement_widened_resource_removed_action_and_not_action() {
        let before = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::data/train/*"}]}"#;
        let after = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"},
            {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::data","Condition":{"StringLike":{"s3:prefix":["train/*"]}}},
            {"Effect":"Deny","NotAction":"s3:Get*","Resource":"*"}]}"#;
        let (gained, lost) = diff_docs(before, after);
        assert_eq!(
            gained,
            vec![
                "s3:GetObject on arn:aws:s3:::data/*".to_string(),
                "s3:ListBucket on arn:aws:s3:::data when {\"StringLike\":{\"s3:prefix\":[\"train/*\"]}}".to_string(),
                "Deny NOT s3:Get* on *".to_string(),
            ]
        );
        assert_eq!(
            lost,
            vec![
                "s3:DeleteObject on arn:aws:s3:::data/train/*".to_string(),
                "s3:GetObject on arn:aws:s3:::data/train/*".to_string(),
            ]
        );
    }

    #[test]
    fn wildcards_are_flagged_and_trust_policies_name_principals() {
        let g =
            grants(r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#).unwrap();
        assert!(g.iter().all(Grant::is_wildcard));
        let trust = grants(r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"sagemaker.amazonaws.com"}}]}"#).unwrap();
        let t: Vec<String> = trust.iter().map(|g| g.to_string()).collect();
        assert_eq!(t, vec!["sts:AssumeRole on Service:sagemaker.amazonaws.com"]);
        assert!(!trust.iter().any(Grant::is_wildcard));
        let deny =
            grants(r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#).unwrap();
        assert!(!deny.iter().any(Grant::is_wildcard));
    }
}
