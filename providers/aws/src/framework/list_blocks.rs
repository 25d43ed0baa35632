//! Blocks of at most one as terraform-provider-aws shows them: lists. Its resources declare
//! every nested block as a list (or set), so configurations write
//! `aws_ecr_repository.x.encryption_configuration[0].kms_key`; mlform's resources model a
//! block of at most one as one object ([`Nesting::Single`]). [`ListBlocks`] wraps a resource
//! so that the engine sees lists of at most one item, and the resource keeps its objects:
//! values are converted on the way in and out, replace paths gain their `[0]`. State written
//! while such a block was an object still reads (an object where a list is expected is taken
//! as the one item), and is written back as a list. `timeouts` stays a single block, as
//! Terraform's plugin SDK declares it.

use std::sync::Arc;

use mlform_provider::{
    NestedBlock, Nesting, Path, PathStep, PlanRequest, Planned, ProviderError, Resource, Schema,
    Value,
};

/// Whether the block `name` of `nested`'s kind is shown as a list of at most one.
fn listed(name: &str, nested: &NestedBlock) -> bool {
    nested.nesting == Nesting::Single && name != "timeouts"
}

/// `schema` with every block of at most one, at any depth, a list of at most one.
pub fn lists_of_one(schema: &Schema) -> Schema {
    let mut out = schema.clone();
    for (name, nested) in out.blocks.iter_mut() {
        nested.block = lists_of_one(&nested.block);
        if listed(name, nested) {
            *nested = NestedBlock {
                nesting: Nesting::List,
                max_items: Some(1),
                ..nested.clone()
            };
        }
    }
    out
}

/// Whether `schema` has a block of at most one at any depth.
pub fn has_single_blocks(schema: &Schema) -> bool {
    schema
        .blocks
        .iter()
        .any(|(name, b)| listed(name, b) || has_single_blocks(&b.block))
}

/// Applies `f` under a sensitive mark, keeping the mark.
fn keeping_mark(v: &Value, f: impl FnOnce(&Value) -> Value) -> Value {
    match v {
        Value::Sensitive(inner) => Value::Sensitive(Box::new(f(inner))),
        other => f(other),
    }
}

/// `v` (an object of `declared`'s shape) with its single blocks as lists of one.
pub fn to_lists(declared: &Schema, v: &Value) -> Value {
    convert(declared, v, true)
}

/// `v` (an object of the list-shaped schema) with its lists of one as `declared`'s single
/// blocks; an object already in place (state written before) is kept.
pub fn to_singles(declared: &Schema, v: &Value) -> Value {
    convert(declared, v, false)
}

/// Converts every listed single block of `v`, at any depth, to a list of one (`lists`) or
/// back to its one object, keeping sensitive marks.
fn convert(declared: &Schema, v: &Value, lists: bool) -> Value {
    keeping_mark(v, |v| {
        let Value::Map(m) = v else {
            return v.clone();
        };
        let mut m = m.clone();
        for (name, nested) in &declared.blocks {
            let Some(block) = m.get(name).cloned() else {
                continue;
            };
            if nested.nesting == Nesting::Single && !listed(name, nested) {
                continue;
            }
            let inner = |i: &Value| convert(&nested.block, i, lists);
            let converted = keeping_mark(&block, |block| match (nested.nesting, block) {
                (_, Value::Unknown) => Value::Unknown,
                (Nesting::Single, Value::List(items) | Value::Set(items)) if !lists => {
                    items.first().map_or(Value::Null, inner)
                }
                (Nesting::Single, Value::Null) if lists => Value::List(Vec::new()),
                (Nesting::Single, Value::Null) => Value::Null,
                (Nesting::Single, Value::List(items)) => {
                    Value::List(items.iter().map(inner).collect())
                }
                (Nesting::Single, one) if lists => Value::List(vec![inner(one)]),
                (Nesting::Single, one) => inner(one),
                (Nesting::List, Value::List(items)) => {
                    Value::List(items.iter().map(inner).collect())
                }
                (Nesting::Set, Value::Set(items) | Value::List(items)) => {
                    Value::set_from(items.iter().map(inner).collect())
                }
                (_, other) => other.clone(),
            });
            m.insert(name.clone(), converted);
        }
        Value::Map(m)
    })
}

/// A path into `declared`'s shape as a path into the list shape (`[0]` after each single
/// block that the path goes into).
pub fn list_path(declared: &Schema, path: &Path) -> Path {
    let mut out = Vec::with_capacity(path.len() + 1);
    let mut schema = Some(declared);
    let mut steps = path.iter().peekable();
    while let Some(step) = steps.next() {
        out.push(step.clone());
        let PathStep::GetAttr(name) = step else {
            continue;
        };
        let Some(nested) = schema.and_then(|s| s.blocks.get(name)) else {
            schema = None;
            continue;
        };
        match nested.nesting {
            // The block as a whole (added, removed) stays the block's own path.
            Nesting::Single if steps.peek().is_some() && listed(name, nested) => {
                out.push(PathStep::Index(0))
            }
            Nesting::Single => {}
            Nesting::List | Nesting::Set => {
                if let Some(index) = steps.next() {
                    out.push(index.clone());
                }
            }
        }
        schema = Some(&nested.block);
    }
    out
}

/// A resource whose single blocks the engine sees as lists of at most one.
pub struct ListBlocks {
    pub inner: Arc<dyn Resource>,
    /// The inner resource's schema, with its single blocks.
    pub declared: Schema,
}

impl ListBlocks {
    /// Wraps `inner` when it has single blocks; otherwise returns it as it is.
    pub fn wrap(inner: Arc<dyn Resource>) -> Arc<dyn Resource> {
        let declared = inner.schema();
        if has_single_blocks(&declared) {
            Arc::new(ListBlocks { inner, declared })
        } else {
            inner
        }
    }

    fn lists(&self, v: &Value) -> Value {
        to_lists(&self.declared, v)
    }

    fn singles(&self, v: &Value) -> Value {
        to_singles(&self.declared, v)
    }

    fn finish(&self, r: Result<Value, ProviderError>) -> Result<Value, ProviderError> {
        r.map(|v| self.lists(&v))
            .map_err(|e| e.map_state(|v| self.lists(&v)))
    }
}

#[async_trait::async_trait]
impl Resource for ListBlocks {
    fn schema(&self) -> Schema {
        lists_of_one(&self.declared)
    }

    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let live = self.inner.read(&self.singles(prior)).await?;
        Ok(live.map(|v| self.lists(&v)))
    }

    fn normalize(&self, prior: &Value, live: Value) -> Value {
        let normalized = self
            .inner
            .normalize(&self.singles(prior), self.singles(&live));
        self.lists(&normalized)
    }

    fn plan(&self, request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        let prior = request.prior.map(|p| self.singles(p));
        let config = self.singles(request.config);
        let planned = self.inner.plan(PlanRequest {
            prior: prior.as_ref(),
            config: &config,
        })?;
        Ok(Planned {
            state: self.lists(&planned.state),
            requires_replace: planned
                .requires_replace
                .iter()
                .map(|p| list_path(&self.declared, p))
                .collect(),
            replace_reason: planned.replace_reason,
        })
    }

    async fn dry_run(
        &self,
        prior: Option<&Value>,
        planned: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let prior = prior.map(|p| self.singles(p));
        let state = self
            .inner
            .dry_run(prior.as_ref(), &self.singles(planned))
            .await?;
        Ok(state.map(|v| self.lists(&v)))
    }

    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        let r = self.inner.create(&self.singles(planned)).await;
        self.finish(r)
    }

    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        let r = self
            .inner
            .update(&self.singles(prior), &self.singles(planned))
            .await;
        self.finish(r)
    }

    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        self.inner.delete(&self.singles(prior)).await
    }

    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        Ok(self.inner.import(id).await?.map(|v| self.lists(&v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlform_provider::{Attribute, Type};

    fn declared() -> Schema {
        let inner = Schema::new().attr("kms_key", Attribute::optional(Type::String));
        Schema::new()
            .attr("name", Attribute::required(Type::String))
            .block(
                "encryption",
                NestedBlock {
                    nesting: Nesting::Single,
                    block: inner.clone(),
                    min_items: 0,
                    max_items: Some(1),
                    force_new: true,
                },
            )
            .block(
                "rule",
                NestedBlock {
                    nesting: Nesting::List,
                    block: Schema::new().block(
                        "filter",
                        NestedBlock {
                            nesting: Nesting::Single,
                            block: inner,
                            min_items: 0,
                            max_items: Some(1),
                            force_new: false,
                        },
                    ),
                    min_items: 0,
                    max_items: None,
                    force_new: false,
                },
            )
    }

    fn key(k: &str) -> Value {
        Value::object([("kms_key", Value::from(k))])
    }

    #[test]
    fn single_blocks_become_lists_of_one_at_every_depth_and_back() {
        let schema = lists_of_one(&declared());
        assert_eq!(schema.blocks["encryption"].nesting, Nesting::List);
        assert_eq!(schema.blocks["encryption"].max_items, Some(1));
        assert!(schema.blocks["encryption"].force_new);
        assert_eq!(
            schema.blocks["rule"].block.blocks["filter"].nesting,
            Nesting::List
        );

        let singles = Value::object([
            ("name", Value::from("a")),
            ("encryption", key("k1").into_sensitive()),
            (
                "rule",
                Value::List(vec![
                    Value::object([("filter", key("k2"))]),
                    Value::object([("filter", Value::Null)]),
                ]),
            ),
        ]);
        let lists = to_lists(&declared(), &singles);
        assert_eq!(
            lists.get_attr("encryption"),
            &Value::List(vec![key("k1")]).into_sensitive()
        );
        assert_eq!(
            lists.get_attr("rule").as_list().unwrap()[1].get_attr("filter"),
            &Value::List(vec![])
        );
        assert_eq!(to_singles(&declared(), &lists), singles);
    }

    #[test]
    fn an_object_from_older_state_is_taken_as_the_one_item() {
        let old = Value::object([("name", Value::from("a")), ("encryption", key("k1"))]);
        assert_eq!(to_singles(&declared(), &old), old);
        assert_eq!(
            to_lists(&declared(), &old).get_attr("encryption"),
            &Value::List(vec![key("k1")])
        );
    }

    #[test]
    fn replace_paths_gain_the_index_of_the_one_item() {
        let attr = |s: &str| PathStep::GetAttr(s.into());
        assert_eq!(
            list_path(&declared(), &vec![attr("encryption"), attr("kms_key")]),
            vec![attr("encryption"), PathStep::Index(0), attr("kms_key")]
        );
        assert_eq!(
            list_path(
                &declared(),
                &vec![
                    attr("rule"),
                    PathStep::Index(2),
                    attr("filter"),
                    attr("kms_key")
                ]
            ),
            vec![
                attr("rule"),
                PathStep::Index(2),
                attr("filter"),
                PathStep::Index(0),
                attr("kms_key")
            ]
        );
        assert_eq!(
            list_path(&declared(), &vec![attr("encryption")]),
            vec![attr("encryption")]
        );
    }
}
