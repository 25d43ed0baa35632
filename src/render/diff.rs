//! The differ: compares a before and an after value into a [`Diff`] tree, once, for every
//! renderer (human text, JSON, markdown) to walk. It knows about unknown and sensitive
//! values and which paths force replacement; it knows nothing about output formats.

use mlform_provider::{Path, PathStep, Value};

/// What happened to one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    NoOp,
    Create,
    Update,
    Delete,
}

impl Change {
    pub fn symbol(self) -> char {
        match self {
            Change::NoOp => ' ',
            Change::Create => '+',
            Change::Update => '~',
            Change::Delete => '-',
        }
    }
}

#[derive(Debug, Clone)]
pub struct Diff {
    pub change: Change,
    pub kind: Kind,
    pub forces_replacement: bool,
}

#[derive(Debug, Clone)]
pub enum Kind {
    /// A primitive (or null) on each side; `None` is absent.
    Primitive {
        before: Option<Value>,
        after: Option<Value>,
    },
    /// Either side is sensitive: values are never shown.
    Sensitive {
        before: bool,
        after: bool,
    },
    /// The after value is unknown; `before` is what it was.
    Unknown {
        before: Option<Box<Diff>>,
    },
    /// A multi-line string, diffed by lines.
    Text {
        before: Option<String>,
        after: Option<String>,
    },
    /// A string holding a JSON object or array, diffed as the structure it encodes
    /// (rendered as `jsonencode(...)`).
    Json {
        inner: Box<Diff>,
    },
    Object {
        attrs: Vec<(String, Diff)>,
    },
    List {
        items: Vec<Diff>,
    },
}

/// Diffs two optional values (absent means the object does not exist on that side).
pub fn diff(before: Option<&Value>, after: Option<&Value>, replace_paths: &[Path]) -> Diff {
    diff_at(before, after, &mut Vec::new(), replace_paths)
}

fn change_of(before: Option<&Value>, after: Option<&Value>) -> Change {
    match (
        before.filter(|v| !v.is_null()),
        after.filter(|v| !v.is_null()),
    ) {
        (None, None) => Change::NoOp,
        (None, Some(_)) => Change::Create,
        (Some(_), None) => Change::Delete,
        (Some(b), Some(a)) => {
            if b.same_data(a) && b.sensitive_paths() == a.sensitive_paths() {
                Change::NoOp
            } else {
                Change::Update
            }
        }
    }
}

fn is_multiline(v: Option<&Value>) -> Option<String> {
    let s = v?.as_str()?;
    s.contains('\n').then(|| s.to_string())
}

/// The structure a JSON object or array string encodes.
fn as_json(v: Option<&Value>) -> Option<Value> {
    let s = v?.as_str()?;
    let t = s.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    let json: serde_json::Value = serde_json::from_str(s).ok()?;
    (json.is_object() || json.is_array()).then(|| Value::from_json(&json))
}

fn diff_at(
    before: Option<&Value>,
    after: Option<&Value>,
    path: &mut Path,
    replace: &[Path],
) -> Diff {
    let forces_replacement = !path.is_empty() && replace.iter().any(|p| p == path);
    let change = change_of(before, after);
    let mk = |kind| Diff {
        change,
        kind,
        forces_replacement,
    };
    let b_sens = before.is_some_and(Value::is_sensitive);
    let a_sens = after.is_some_and(Value::is_sensitive);
    if a_sens || b_sens {
        let change = if change == Change::NoOp && b_sens != a_sens {
            Change::Update
        } else {
            change
        };
        return Diff {
            change,
            kind: Kind::Sensitive {
                before: b_sens,
                after: a_sens,
            },
            forces_replacement,
        };
    }
    if let Some(a) = after {
        if a.is_unknown() {
            let prior = before
                .filter(|b| !b.is_null())
                .map(|b| Box::new(diff_at(Some(b), None, path, replace)));
            return Diff {
                change: if prior.is_some() {
                    Change::Update
                } else {
                    Change::Create
                },
                kind: Kind::Unknown { before: prior },
                forces_replacement,
            };
        }
    }
    let b = before.map(|v| v.unmark().0).filter(|v| !v.is_null());
    let a = after.map(|v| v.unmark().0).filter(|v| !v.is_null());
    match (b, a) {
        (Some(Value::Map(_)), _) | (_, Some(Value::Map(_)))
            if matches!(b, None | Some(Value::Map(_)))
                && matches!(a, None | Some(Value::Map(_))) =>
        {
            let empty = mlform_provider::ValueMap::new();
            let bm = if let Some(Value::Map(m)) = b {
                m
            } else {
                &empty
            };
            let am = if let Some(Value::Map(m)) = a {
                m
            } else {
                &empty
            };
            let mut keys: Vec<&String> = bm.keys().chain(am.keys()).collect();
            keys.sort();
            keys.dedup();
            let attrs = keys
                .into_iter()
                .map(|k| {
                    path.push(if path.is_empty() {
                        PathStep::GetAttr(k.clone())
                    } else {
                        PathStep::Key(k.clone())
                    });
                    let d = diff_at(
                        if b.is_some() { bm.get(k) } else { None },
                        if a.is_some() { am.get(k) } else { None },
                        path,
                        replace,
                    );
                    path.pop();
                    (k.clone(), d)
                })
                .collect();
            mk(Kind::Object { attrs })
        }
        (Some(Value::List(bl) | Value::Set(bl)), Some(Value::List(al) | Value::Set(al))) => {
            mk(Kind::List {
                items: diff_lists(bl, al, path, replace),
            })
        }
        (Some(Value::List(bl) | Value::Set(bl)), None) => mk(Kind::List {
            items: bl
                .iter()
                .map(|x| diff_at(Some(x), None, path, replace))
                .collect(),
        }),
        (None, Some(Value::List(al) | Value::Set(al))) => mk(Kind::List {
            items: al
                .iter()
                .map(|x| diff_at(None, Some(x), path, replace))
                .collect(),
        }),
        _ => {
            let (bj, aj) = (as_json(b), as_json(a));
            if (bj.is_some() || b.is_none())
                && (aj.is_some() || a.is_none())
                && (bj.is_some() || aj.is_some())
            {
                let inner = diff_at(bj.as_ref(), aj.as_ref(), &mut Vec::new(), &[]);
                return mk(Kind::Json {
                    inner: Box::new(inner),
                });
            }
            let (bt, at) = (is_multiline(b), is_multiline(a));
            if (bt.is_some() || b.is_none())
                && (at.is_some() || a.is_none())
                && (bt.is_some() || at.is_some())
            {
                mk(Kind::Text {
                    before: bt,
                    after: at,
                })
            } else {
                mk(Kind::Primitive {
                    before: b.cloned(),
                    after: a.cloned(),
                })
            }
        }
    }
}

fn diff_lists(before: &[Value], after: &[Value], path: &mut Path, replace: &[Path]) -> Vec<Diff> {
    let bs: Vec<String> = before
        .iter()
        .map(|v| v.strip_marks().to_json().to_string())
        .collect();
    let as_: Vec<String> = after
        .iter()
        .map(|v| v.strip_marks().to_json().to_string())
        .collect();
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &bs, &as_);
    let mut out = Vec::new();
    for op in ops {
        match op {
            similar::DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for i in 0..len {
                    out.push(at_index(out.len(), path, |p| {
                        diff_at(
                            Some(&before[old_index + i]),
                            Some(&after[new_index + i]),
                            p,
                            replace,
                        )
                    }));
                }
            }
            similar::DiffOp::Delete {
                old_index, old_len, ..
            } => {
                for i in 0..old_len {
                    out.push(at_index(out.len(), path, |p| {
                        diff_at(Some(&before[old_index + i]), None, p, replace)
                    }));
                }
            }
            similar::DiffOp::Insert {
                new_index, new_len, ..
            } => {
                for i in 0..new_len {
                    out.push(at_index(out.len(), path, |p| {
                        diff_at(None, Some(&after[new_index + i]), p, replace)
                    }));
                }
            }
            similar::DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                let pairs = old_len.min(new_len);
                for i in 0..pairs {
                    let (b, a) = (&before[old_index + i], &after[new_index + i]);
                    let both_primitive =
                        !matches!(b.unmark().0, Value::Map(_) | Value::List(_) | Value::Set(_))
                            && !matches!(
                                a.unmark().0,
                                Value::Map(_) | Value::List(_) | Value::Set(_)
                            );
                    if both_primitive
                        || matches!((b.unmark().0, a.unmark().0), (Value::Map(_), Value::Map(_)))
                        || a.is_unknown()
                    {
                        out.push(at_index(out.len(), path, |p| {
                            diff_at(Some(b), Some(a), p, replace)
                        }));
                    } else {
                        out.push(at_index(out.len(), path, |p| {
                            diff_at(Some(b), None, p, replace)
                        }));
                        out.push(at_index(out.len(), path, |p| {
                            diff_at(None, Some(a), p, replace)
                        }));
                    }
                }
                for i in pairs..old_len {
                    out.push(at_index(out.len(), path, |p| {
                        diff_at(Some(&before[old_index + i]), None, p, replace)
                    }));
                }
                for i in pairs..new_len {
                    out.push(at_index(out.len(), path, |p| {
                        diff_at(None, Some(&after[new_index + i]), p, replace)
                    }));
                }
            }
        }
    }
    out
}

/// Diffs are "identifying" (always shown even when unchanged) for these attribute names.
pub const IDENTIFYING: &[&str] = &["id", "name", "tags"];

/// Runs `f` with `path` extended by a list index (so list elements do not inherit the
/// list's own replacement path).
fn at_index(index: usize, path: &mut Path, f: impl FnOnce(&mut Path) -> Diff) -> Diff {
    path.push(PathStep::Index(index));
    let d = f(path);
    path.pop();
    d
}
