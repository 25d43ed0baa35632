//! The plan: data, not behaviour. Every resource instance's action with its before and after
//! values (marks included), drift found by refresh, output changes, deferred resources, and
//! what apply needs to do exactly this (configuration files, variable values, the prior state
//! serial). Saved with `plan -out` and executed by `apply PLANFILE`.

pub mod file;
pub mod guards;
pub mod models;

use std::collections::BTreeMap;

use mlform_provider::{Path, Value};

use crate::addr::InstanceAddr;
pub use crate::addr::PathKey;

/// What happens to one resource instance.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    Read,
    Update,
    DeleteThenCreate,
    CreateThenDelete,
    Delete,
    /// Leave management without destroying (`removed` with `destroy = false`).
    Forget,
}

impl Action {
    /// The symbol Terraform users know.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Read => "<=",
            Action::Update => "~",
            Action::DeleteThenCreate => "-/+",
            Action::CreateThenDelete => "+/-",
            Action::Delete => "-",
            Action::Forget => ".",
        }
    }

    /// The legend line for the plan header.
    pub fn legend(self) -> &'static str {
        match self {
            Action::NoOp => "no-op",
            Action::Create => "create",
            Action::Read => "read (data resources)",
            Action::Update => "update in-place",
            Action::DeleteThenCreate => "destroy and then create replacement",
            Action::CreateThenDelete => "create replacement and then destroy",
            Action::Delete => "destroy",
            Action::Forget => "forget",
        }
    }

    /// The action list of Terraform's JSON plan format.
    pub fn json_actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Read => &["read"],
            Action::Update => &["update"],
            Action::DeleteThenCreate => &["delete", "create"],
            Action::CreateThenDelete => &["create", "delete"],
            Action::Delete => &["delete"],
            Action::Forget => &["forget"],
        }
    }

    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }
}

/// The reason of a replacement whose object a failed apply left tainted.
pub const TAINTED: &str = "tainted";

/// The planned change of one resource instance.
#[derive(Debug, Clone)]
pub struct ResourceChange {
    pub addr: InstanceAddr,
    /// Set when this change concerns a deposed object (the old copy of a
    /// create_before_destroy replacement).
    pub deposed: bool,
    pub action: Action,
    /// The (refreshed) prior state; `None` for create.
    pub before: Option<Value>,
    /// The planned state; `None` for delete. Unknown parts are known after apply.
    pub after: Option<Value>,
    pub requires_replace: Vec<Path>,
    /// Why, in words, when the action needs explaining ("index [0] is out of range for count").
    pub reason: Option<String>,
    /// The provider source address.
    pub provider: String,
    /// Configuration addresses of the resources this one depends on.
    pub dependencies: Vec<String>,
    pub create_before_destroy: bool,
    /// The address the object had in the prior state, when a `moved` block changed it.
    pub previous_addr: Option<InstanceAddr>,
    /// The import ID, when an `import` block adopts this object in this run.
    pub importing: Option<String>,
    /// Which attributes are nested blocks, from the resource type's schema, so renderers
    /// print them as blocks (`production_variants { ... }`).
    pub blocks: BlockShape,
}

/// The nested blocks of a schema, by name, recursively.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BlockShape(pub BTreeMap<String, (BlockNesting, BlockShape)>);

impl ResourceChange {
    /// An attribute of the planned value (null when there is none, as for a deletion).
    pub fn after_attr(&self, attr: &str) -> &Value {
        self.after
            .as_ref()
            .map(|v| v.get_attr(attr))
            .unwrap_or(&Value::Null)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockNesting {
    Single,
    List,
    Set,
    /// Not a block: an attribute of map type, whose keys Terraform prints quoted.
    Map,
}

impl BlockShape {
    pub fn of(schema: &mlform_provider::Schema) -> BlockShape {
        BlockShape(
            schema
                .blocks
                .iter()
                .map(|(name, b)| {
                    let nesting = match b.nesting {
                        mlform_provider::Nesting::Single => BlockNesting::Single,
                        mlform_provider::Nesting::List => BlockNesting::List,
                        mlform_provider::Nesting::Set => BlockNesting::Set,
                    };
                    (name.clone(), (nesting, BlockShape::of(&b.block)))
                })
                .chain(schema.attributes.iter().filter_map(|(name, a)| {
                    matches!(a.ty, mlform_provider::Type::Map(_))
                        .then(|| (name.clone(), (BlockNesting::Map, BlockShape::default())))
                }))
                .collect(),
        )
    }

    /// Whether `name` is a nested block (not a map attribute).
    pub fn is_block(&self, name: &str) -> bool {
        self.0
            .get(name)
            .is_some_and(|(n, _)| *n != BlockNesting::Map)
    }

    /// Whether `name` is an attribute of map type.
    pub fn is_map(&self, name: &str) -> bool {
        self.0
            .get(name)
            .is_some_and(|(n, _)| *n == BlockNesting::Map)
    }

    pub fn is_empty(&self) -> bool {
        self.0.values().all(|(n, _)| *n == BlockNesting::Map)
    }
}

/// A difference between the last state and the real object, found by refresh.
#[derive(Debug, Clone)]
pub struct Drift {
    pub addr: InstanceAddr,
    pub before: Value,
    /// `None` when the object was deleted outside mlform.
    pub after: Option<Value>,
    pub provider: String,
}

/// A resource attribute that can affect what a plan changes (Terraform's plan JSON
/// `relevant_attributes`): drift outside these is not shown. `attribute` is its path (map
/// keys and list indexes included, as far as they are literal), empty when the whole
/// resource is referred to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct RelevantAttr {
    /// The resource's configuration address, with the instance key when the reference
    /// names one (`module.team.aws_s3_bucket.data`, `aws_s3_bucket.logs[0]`).
    pub resource: String,
    pub attribute: Vec<PathKey>,
}

/// A resource (or module call) not planned this run because its instances are not known yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Deferred {
    pub addr: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct OutputChange {
    pub name: String,
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

/// What kind of plan this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanMode {
    #[default]
    Normal,
    Destroy,
    RefreshOnly,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub mode: PlanMode,
    pub changes: Vec<ResourceChange>,
    pub drift: Vec<Drift>,
    pub outputs: Vec<OutputChange>,
    pub deferred: Vec<Deferred>,
    /// Root variable values as used (sensitive ones marked).
    pub variables: BTreeMap<String, Value>,
    /// The configuration files, relative to the root module, as planned.
    pub config_files: Vec<(String, String)>,
    pub prior_lineage: String,
    pub prior_serial: u64,
    pub targets: Vec<String>,
    pub errored: bool,
    /// The results of `check` blocks, as planned.
    pub checks: Vec<CheckResult>,
    /// When the plan was made (RFC 3339, UTC): `plantimestamp()` and the plan JSON's
    /// `timestamp`.
    pub timestamp: String,
    /// The workspace planned in; a saved plan applies only there.
    pub workspace: String,
    /// The attributes that can affect this plan's changes, for showing drift.
    pub relevant_attributes: Vec<RelevantAttr>,
    /// How updated objects change the models they ship (inputs and outputs).
    pub model_changes: Vec<models::ModelChange>,
    /// What guards each endpoint or Deployment the plan updates or replaces.
    pub guards: Vec<guards::Guard>,
}

/// A `check` block's result (Terraform's plan JSON `checks`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CheckResult {
    /// `check.NAME`, with the module path.
    pub address: String,
    pub name: String,
    pub status: CheckStatus,
    pub instances: Vec<CheckInstance>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CheckInstance {
    pub address: String,
    pub status: CheckStatus,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Fail,
    Unknown,
}

impl Plan {
    /// The order apply takes the changes in when some of them wait for others: dependencies
    /// first, ties by address. `None` when order does not matter to a reviewer: no
    /// replacement, or no change that waits for another (a model rollout is the case it
    /// explains: new object, new model, new endpoint configuration, endpoint switch).
    pub fn rollout_order(&self) -> Option<Vec<&ResourceChange>> {
        let changes: Vec<&ResourceChange> = self
            .changes
            .iter()
            .filter(|c| !matches!(c.action, Action::NoOp | Action::Read) && !c.deposed)
            .filter(|c| c.after.is_some())
            .collect();
        let replaces = changes.iter().any(|c| {
            matches!(
                c.action,
                Action::DeleteThenCreate | Action::CreateThenDelete
            )
        });
        let addr_of = |c: &ResourceChange| c.addr.config_addr();
        let waits = |c: &ResourceChange, on: &ResourceChange| {
            c.dependencies.iter().any(|d| *d == addr_of(on))
        };
        let any_wait = changes
            .iter()
            .any(|c| changes.iter().any(|o| !std::ptr::eq(*c, *o) && waits(c, o)));
        if !replaces || !any_wait {
            return None;
        }
        let mut done: Vec<&ResourceChange> = Vec::new();
        let mut left = changes;
        while !left.is_empty() {
            let ready = left
                .iter()
                .position(|c| !left.iter().any(|o| !std::ptr::eq(*c, *o) && waits(c, o)))
                .unwrap_or(0);
            done.push(left.remove(ready));
        }
        Some(done)
    }

    /// The drift a reader is shown, as Terraform 1.2+ shows it: all of it in a refresh-only
    /// plan; otherwise none when nothing changes, and else only the objects whose relevant
    /// attributes changed, with the other attributes' changes left out.
    pub fn shown_drift(&self) -> Vec<Drift> {
        if self.mode == PlanMode::RefreshOnly {
            return self.drift.clone();
        }
        let changes = self.changes.iter().any(|c| c.action != Action::NoOp)
            || self.outputs.iter().any(|o| o.action != Action::NoOp);
        if !changes {
            return Vec::new();
        }
        self.drift
            .iter()
            .filter_map(|d| {
                let resource = d.addr.config_addr();
                let instance = format!(
                    "{resource}{}",
                    d.addr
                        .key
                        .as_ref()
                        .map(|k| k.to_string())
                        .unwrap_or_default()
                );
                let attrs: Vec<&RelevantAttr> = self
                    .relevant_attributes
                    .iter()
                    .filter(|r| r.resource == resource || r.resource == instance)
                    .collect();
                if attrs.is_empty() {
                    return None;
                }
                let Some(after) = &d.after else {
                    return Some(d.clone());
                };
                let mut shown = d.before.clone();
                for a in &attrs {
                    graft(&mut shown, after, &a.attribute);
                }
                (!shown.same_data(&d.before)).then(|| Drift {
                    after: Some(shown),
                    ..d.clone()
                })
            })
            .collect()
    }

    /// How many objects this plan imports.
    pub fn imports(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.importing.is_some())
            .count()
    }

    /// Counts for the summary line: (add, change, destroy).
    pub fn counts(&self) -> (usize, usize, usize) {
        let (mut add, mut change, mut destroy) = (0, 0, 0);
        for c in &self.changes {
            match c.action {
                Action::Create => add += 1,
                Action::Update => change += 1,
                Action::Delete => destroy += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    add += 1;
                    destroy += 1
                }
                Action::NoOp | Action::Read | Action::Forget => {}
            }
        }
        (add, change, destroy)
    }

    /// The changes that destroy an object, which a rollback cannot undo once they ran, with
    /// when apply runs them under `-rollback=auto`: deletes that can wait run after every
    /// other change; a destroy-first replacement cannot wait for anything.
    pub fn irreversible(&self) -> Vec<(&ResourceChange, &'static str)> {
        let mut out: Vec<(&ResourceChange, &'static str)> = self
            .changes
            .iter()
            .filter_map(|c| {
                let note = match c.action {
                    Action::Delete => "destroyed after every other change",
                    Action::CreateThenDelete => {
                        "replaced; the old object is destroyed after every other change"
                    }
                    Action::DeleteThenCreate => {
                        "replaced destroy-first: the old object is gone before the new one exists (create_before_destroy keeps it until the end)"
                    }
                    _ => return None,
                };
                Some((c, note))
            })
            .collect();
        out.sort_by(|a, b| a.0.addr.to_string().cmp(&b.0.addr.to_string()));
        out
    }

    /// True when applying would change real infrastructure or outputs.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| {
            !matches!(c.action, Action::NoOp | Action::Read)
                || c.previous_addr.is_some()
                || c.importing.is_some()
        }) || self.outputs.iter().any(|o| o.action != Action::NoOp)
            || (self.mode == PlanMode::RefreshOnly && !self.drift.is_empty())
    }

    pub fn change(&self, addr: &InstanceAddr, deposed: bool) -> Option<&ResourceChange> {
        self.changes
            .iter()
            .find(|c| &c.addr == addr && c.deposed == deposed)
    }
}

/// Puts `after`'s value at `path` into `shown` (the part of a drifted object a reader is
/// shown changed); the whole value when the path is empty or no longer fits.
fn graft(shown: &mut Value, after: &Value, path: &[PathKey]) {
    let Some((step, rest)) = path.split_first() else {
        *shown = after.clone();
        return;
    };
    match (step, &mut *shown, after) {
        (PathKey::Name(n), Value::Map(s), Value::Map(a)) => match (s.get_mut(n), a.get(n)) {
            (Some(sv), Some(av)) => graft(sv, av, rest),
            (None, Some(av)) => {
                s.insert(n.clone(), av.clone());
            }
            (_, None) => {
                s.remove(n);
            }
        },
        (PathKey::Index(i), Value::List(s), Value::List(a))
            if s.len() == a.len() && (*i as usize) < s.len() =>
        {
            graft(&mut s[*i as usize], &a[*i as usize], rest)
        }
        _ => *shown = after.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::{Mode, ResourceKey};

    fn addr(name: &str) -> InstanceAddr {
        InstanceAddr {
            module: vec![],
            resource: ResourceKey {
                mode: Mode::Managed,
                type_name: "aws_s3_bucket".into(),
                name: name.into(),
            },
            key: None,
        }
    }

    fn bucket(tags: &str, policy: &str) -> Value {
        Value::object([("tags", Value::from(tags)), ("policy", Value::from(policy))])
    }

    fn plan_with(relevant: &[(&str, &[&str])], changed: bool) -> Plan {
        Plan {
            drift: vec![
                Drift {
                    addr: addr("a"),
                    before: bucket("t1", "p1"),
                    after: Some(bucket("t2", "p2")),
                    provider: String::new(),
                },
                Drift {
                    addr: addr("b"),
                    before: bucket("t1", "p1"),
                    after: Some(bucket("t2", "p1")),
                    provider: String::new(),
                },
            ],
            changes: vec![ResourceChange {
                addr: addr("c"),
                deposed: false,
                action: if changed {
                    Action::Update
                } else {
                    Action::NoOp
                },
                before: None,
                after: None,
                requires_replace: vec![],
                reason: None,
                provider: String::new(),
                dependencies: vec![],
                create_before_destroy: false,
                previous_addr: None,
                importing: None,
                blocks: BlockShape::default(),
            }],
            relevant_attributes: relevant
                .iter()
                .map(|(r, a)| RelevantAttr {
                    resource: r.to_string(),
                    attribute: a.iter().map(|s| PathKey::Name(s.to_string())).collect(),
                })
                .collect(),
            ..Plan::default()
        }
    }

    #[test]
    fn drift_is_shown_only_where_it_can_affect_the_plan() {
        // Only a's policy is read by something that changes: a is shown with its policy
        // change alone; b changed only its tags and is not shown.
        let shown = plan_with(
            &[
                ("aws_s3_bucket.a", &["policy"]),
                ("aws_s3_bucket.b", &["policy"]),
            ],
            true,
        )
        .shown_drift();
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].addr, addr("a"));
        assert_eq!(shown[0].after, Some(bucket("t1", "p2")));
        // The whole object referred to: all of its drift.
        let shown = plan_with(&[("aws_s3_bucket.b", &[])], true).shown_drift();
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].after, Some(bucket("t2", "p1")));
        // A nested path and an instance key: only that element's change is shown.
        let mut plan = plan_with(&[], true);
        let tags = |env: &str, team: &str| {
            Value::object([(
                "tags",
                Value::object([("env", Value::from(env)), ("team", Value::from(team))]),
            )])
        };
        plan.drift.truncate(1);
        plan.drift[0].addr.key = Some(crate::addr::Key::Int(0));
        plan.drift[0].before = tags("dev", "ml");
        plan.drift[0].after = Some(tags("prod", "ops"));
        plan.relevant_attributes = vec![RelevantAttr {
            resource: "aws_s3_bucket.a[0]".into(),
            attribute: vec![PathKey::Name("tags".into()), PathKey::Name("env".into())],
        }];
        let shown = plan.shown_drift();
        assert_eq!(shown[0].after, Some(tags("prod", "ml")));
        plan.relevant_attributes[0].resource = "aws_s3_bucket.a[1]".into();
        assert!(plan.shown_drift().is_empty());
        // Nothing changes: no drift shown; refresh-only: all of it.
        assert!(plan_with(&[("aws_s3_bucket.a", &[])], false)
            .shown_drift()
            .is_empty());
        let mut refresh = plan_with(&[], false);
        refresh.mode = PlanMode::RefreshOnly;
        assert_eq!(refresh.shown_drift().len(), 2);
    }
}
