//! `Schema`: what a resource type, data source or provider block accepts and computes.

use std::collections::BTreeMap;

use crate::Value;

/// The type of an attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    /// Any value (Terraform's `dynamic` / `any`).
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
}

/// One attribute of a schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub ty: Type,
    pub required: bool,
    pub optional: bool,
    /// Set by the provider (alone, or when the configuration leaves it null if also optional).
    pub computed: bool,
    /// Redacted in every output, wherever the value flows.
    pub sensitive: bool,
    /// A change to this attribute replaces the object.
    pub force_new: bool,
    /// The value planned when the configuration leaves an optional attribute null (a plan
    /// modifier: the plan shows it, as Terraform shows schema defaults).
    pub default: Option<Value>,
    pub description: String,
}

impl Attribute {
    fn new(ty: Type) -> Attribute {
        Attribute {
            ty,
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            force_new: false,
            default: None,
            description: String::new(),
        }
    }
    pub fn required(ty: Type) -> Attribute {
        Attribute {
            required: true,
            ..Attribute::new(ty)
        }
    }
    pub fn optional(ty: Type) -> Attribute {
        Attribute {
            optional: true,
            ..Attribute::new(ty)
        }
    }
    pub fn computed(ty: Type) -> Attribute {
        Attribute {
            computed: true,
            ..Attribute::new(ty)
        }
    }
    pub fn optional_computed(ty: Type) -> Attribute {
        Attribute {
            optional: true,
            computed: true,
            ..Attribute::new(ty)
        }
    }
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }
    pub fn force_new(mut self) -> Attribute {
        self.force_new = true;
        self
    }
    /// Plans `value` when the configuration leaves the attribute null.
    pub fn default(mut self, value: impl Into<Value>) -> Attribute {
        self.default = Some(value.into());
        self
    }
    pub fn describe(mut self, text: &str) -> Attribute {
        self.description = text.to_string();
        self
    }
}

/// How many times a nested block may appear and how its values are collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; its value is an object (or null).
    Single,
    /// Any number of blocks, in order; the value is a list of objects.
    List,
    /// Any number of blocks, unordered; the value is a set of objects.
    Set,
}

/// A nested block type (`primary_container { ... }`).
#[derive(Debug, Clone, PartialEq)]
pub struct NestedBlock {
    pub nesting: Nesting,
    pub block: Schema,
    pub min_items: usize,
    pub max_items: Option<usize>,
    pub force_new: bool,
}

/// The schema of a resource type, data source or provider configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    pub attributes: BTreeMap<String, Attribute>,
    pub blocks: BTreeMap<String, NestedBlock>,
    pub description: String,
    /// Replacements of this type create the new object before deleting the old one, as if
    /// the configuration said `lifecycle { create_before_destroy = true }` (for objects that
    /// something else points at, such as a SageMaker endpoint configuration).
    pub create_before_destroy: bool,
}

impl Schema {
    pub fn new() -> Schema {
        Schema::default()
    }
    pub fn attr(mut self, name: &str, attribute: Attribute) -> Schema {
        self.attributes.insert(name.to_string(), attribute);
        self
    }
    pub fn block(mut self, name: &str, block: NestedBlock) -> Schema {
        self.blocks.insert(name.to_string(), block);
        self
    }

    /// Names accepted in configuration (arguments and blocks), for "did you mean" hints.
    pub fn argument_names(&self) -> impl Iterator<Item = &str> {
        self.attributes
            .iter()
            .filter(|(_, a)| a.required || a.optional)
            .map(|(n, _)| n.as_str())
            .chain(self.blocks.keys().map(String::as_str))
    }

    /// Shapes an object the way configuration is shaped: every attribute present (null when
    /// absent), absent single blocks null, absent list and set blocks empty, nested blocks
    /// shaped recursively, unknown keys dropped. Providers build read results with it.
    pub fn conform(&self, value: &Value) -> Value {
        let Some(map) = value.as_map() else {
            return value.clone();
        };
        let mut out = BTreeMap::new();
        for name in self.attributes.keys() {
            out.insert(name.clone(), map.get(name).cloned().unwrap_or(Value::Null));
        }
        for (name, nested) in &self.blocks {
            let v = map.get(name).cloned().unwrap_or(Value::Null);
            let shaped = match (nested.nesting, v) {
                (_, Value::Unknown) => Value::Unknown,
                (Nesting::Single, Value::Null) => Value::Null,
                (Nesting::Single, v) => nested.block.conform(&v),
                (Nesting::List, Value::List(items)) => {
                    Value::List(items.iter().map(|i| nested.block.conform(i)).collect())
                }
                (Nesting::Set, Value::List(items) | Value::Set(items)) => {
                    Value::set_from(items.iter().map(|i| nested.block.conform(i)).collect())
                }
                (Nesting::List, _) => Value::List(Vec::new()),
                (Nesting::Set, _) => Value::Set(Vec::new()),
            };
            out.insert(name.clone(), shaped);
        }
        Value::Map(out.into())
    }
}
