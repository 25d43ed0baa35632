//! Collection functions: lists, sets, maps and tuples (lookup, merge, set algebra, sorting, slicing, flattening), with Terraform's type unification where a result needs one element type.

use super::*;

pub(super) const NAMES: &[&str] = &[
    "length",
    "concat",
    "contains",
    "index",
    "distinct",
    "element",
    "flatten",
    "keys",
    "values",
    "lookup",
    "merge",
    "one",
    "range",
    "reverse",
    "setunion",
    "setintersection",
    "setsubtract",
    "slice",
    "sort",
    "zipmap",
    "coalesce",
    "coalescelist",
    "compact",
    "chunklist",
    "transpose",
    "alltrue",
    "anytrue",
    "setproduct",
    "matchkeys",
];

pub(super) fn call(name: &str, args: &[Value]) -> R {
    arity!(args, n, a, want, at_least);
    match name {
        "length" => {
            want(1)?;
            match a(0) {
                Value::List(items) | Value::Set(items) => Ok(Value::from(items.len())),
                Value::Map(m) => Ok(Value::from(m.len())),
                // Terraform counts grapheme clusters: "🧑‍🚀" is one character.
                Value::String(s) => Ok(Value::from(
                    unicode_segmentation::UnicodeSegmentation::graphemes(s.as_str(), true).count(),
                )),
                other => Err(format!(
                    "argument must be a collection or string, not {}",
                    other.type_name()
                )),
            }
        }
        "concat" => {
            let mut out = Vec::new();
            for l in args {
                out.extend(list(l, "argument")?);
            }
            Ok(Value::List(out))
        }
        "contains" => {
            want(2)?;
            Ok(Value::Bool(
                list(a(0), "list")?.iter().any(|x| x.same_data(a(1))),
            ))
        }
        "index" => {
            want(2)?;
            list(a(0), "list")?
                .iter()
                .position(|x| x.same_data(a(1)))
                .map(Value::from)
                .ok_or_else(|| "item not found".to_string())
        }
        "distinct" => {
            want(1)?;
            let mut out: Vec<Value> = Vec::new();
            for x in crate::eval::types::unify(list(a(0), "list")?) {
                if !out.iter().any(|y| y.same_data(&x)) {
                    out.push(x);
                }
            }
            Ok(Value::List(out))
        }
        "element" => {
            want(2)?;
            let items = list(a(0), "list")?;
            if items.is_empty() {
                return Err("cannot use element function with an empty list".into());
            }
            let i = int(a(1), "index")?;
            if i < 0 {
                return Err("cannot use element function with a negative index".into());
            }
            Ok(items[i as usize % items.len()].clone())
        }
        "flatten" => {
            want(1)?;
            fn flat(v: &Value, out: &mut Vec<Value>) {
                match v {
                    Value::List(items) | Value::Set(items) => {
                        items.iter().for_each(|x| flat(x.unmark().0, out))
                    }
                    other => out.push(other.clone()),
                }
            }
            let mut out = Vec::new();
            for x in list(a(0), "list")? {
                if x.is_unknown() {
                    return Ok(Value::Unknown);
                }
                flat(&x, &mut out);
            }
            Ok(Value::List(out))
        }
        "keys" => {
            want(1)?;
            Ok(Value::List(
                map(a(0), "map")?
                    .keys()
                    .map(|k| Value::from(k.as_str()))
                    .collect(),
            ))
        }
        "values" => {
            want(1)?;
            Ok(Value::List(map(a(0), "map")?.into_values().collect()))
        }
        "lookup" => {
            if !(2..=3).contains(&n) {
                return Err(format!("expects 2 or 3 arguments, but got {n}"));
            }
            let m = map(a(0), "map")?;
            let k = string(a(1), "key")?;
            match m.get(&k) {
                Some(v) => Ok(v.clone()),
                None if n == 3 => Ok(a(2).clone()),
                None => Err(format!("the given key \"{k}\" does not exist in the map")),
            }
        }
        "merge" => {
            let mut out = BTreeMap::new();
            for m in args {
                if m.is_null() {
                    continue;
                }
                out.extend(map(m, "argument")?);
            }
            Ok(Value::Map(out.into()))
        }
        "one" => {
            want(1)?;
            let items = list(a(0), "list")?;
            match items.len() {
                0 => Ok(Value::Null),
                1 => Ok(items[0].clone()),
                k => Err(format!("must be a list, set, or tuple value with either zero or one elements, but it has {k}")),
            }
        }
        "range" => {
            let one = || Number::from_i64(1);
            let (start, end, step) = match n {
                1 => (Number::from_i64(0), num(a(0), "limit")?, None),
                2 => (num(a(0), "start")?, num(a(1), "limit")?, None),
                3 => (
                    num(a(0), "start")?,
                    num(a(1), "limit")?,
                    Some(num(a(2), "step")?),
                ),
                _ => return Err(format!("expects 1 to 3 arguments, but got {n}")),
            };
            let step = step.unwrap_or_else(|| {
                if end.total_cmp(&start).is_lt() {
                    one().neg()
                } else {
                    one()
                }
            });
            if step.is_zero() {
                return Err("step must not be zero".into());
            }
            let down = step.is_negative();
            if down && end.total_cmp(&start).is_gt() {
                return Err("end must be less than start when step is negative".into());
            }
            if !down && end.total_cmp(&start).is_lt() {
                return Err("end must be greater than start when step is positive".into());
            }
            let mut out = Vec::new();
            let mut x = start;
            loop {
                let done = if down {
                    x.total_cmp(&end).is_le()
                } else {
                    x.total_cmp(&end).is_ge()
                };
                if done {
                    break;
                }
                if out.len() >= 1024 {
                    return Err("more than 1024 values were generated; either decrease the difference between start and end or use a smaller step".into());
                }
                let next = x.add(&step).map_err(|e| e.to_string())?;
                out.push(Value::Number(x));
                x = next;
            }
            Ok(Value::List(out))
        }
        "reverse" => {
            want(1)?;
            let mut l = list(a(0), "list")?;
            l.reverse();
            Ok(Value::List(l))
        }
        "setunion" => {
            at_least(1)?;
            let mut all = Vec::new();
            for l in args {
                all.extend(list(l, "set")?);
            }
            Ok(Value::set_from(crate::eval::types::unify(all)))
        }
        "setintersection" => {
            at_least(1)?;
            let sets: Vec<Value> = args
                .iter()
                .map(|l| list(l, "set").map(Value::List))
                .collect::<Result<_, _>>()?;
            let mut sets = crate::eval::types::unify(sets)
                .into_iter()
                .map(|s| s.as_list().map(|l| l.to_vec()).unwrap_or_default());
            let first = sets.next().unwrap_or_default();
            let others: Vec<Vec<Value>> = sets.collect();
            Ok(Value::set_from(
                first
                    .into_iter()
                    .filter(|x| others.iter().all(|o| o.iter().any(|y| y.same_data(x))))
                    .collect(),
            ))
        }
        "setsubtract" => {
            want(2)?;
            let b = list(a(1), "set")?;
            Ok(Value::set_from(
                list(a(0), "set")?
                    .into_iter()
                    .filter(|x| !b.iter().any(|y| y.same_data(x)))
                    .collect(),
            ))
        }
        "slice" => {
            want(3)?;
            let items = list(a(0), "list")?;
            let (s, e) = (int(a(1), "start index")?, int(a(2), "end index")?);
            if s < 0 || e < s || e as usize > items.len() {
                return Err(format!(
                    "invalid slice bounds [{s}:{e}] for a list of {} elements",
                    items.len()
                ));
            }
            Ok(Value::List(items[s as usize..e as usize].to_vec()))
        }
        "sort" => {
            want(1)?;
            let mut s = strings(a(0), "list")?;
            s.sort();
            Ok(Value::List(s.into_iter().map(Value::from).collect()))
        }
        "zipmap" => {
            want(2)?;
            let keys = strings(a(0), "keys")?;
            let vals = list(a(1), "values")?;
            if keys.len() != vals.len() {
                return Err(format!(
                    "number of keys ({}) does not match number of values ({})",
                    keys.len(),
                    vals.len()
                ));
            }
            Ok(Value::Map(keys.into_iter().zip(vals).collect()))
        }
        "coalesce" => crate::eval::types::unify(args.to_vec())
            .iter()
            .find(|v| !v.is_null() && v.as_str() != Some(""))
            .cloned()
            .ok_or_else(|| "no non-null, non-empty-string arguments".to_string()),
        "coalescelist" => args
            .iter()
            .find(|v| v.as_list().is_some_and(|l| !l.is_empty()))
            .cloned()
            .ok_or_else(|| "no non-empty list arguments".to_string()),
        "compact" => {
            want(1)?;
            Ok(Value::List(
                list(a(0), "list")?
                    .into_iter()
                    .filter(|v| !v.is_null() && v.as_str() != Some(""))
                    .collect(),
            ))
        }
        "chunklist" => {
            want(2)?;
            let size = int(a(1), "size")?;
            if size < 0 {
                return Err("size must not be negative".into());
            }
            let items = list(a(0), "list")?;
            if size == 0 {
                return Ok(Value::List(vec![Value::List(items)]));
            }
            Ok(Value::List(
                items
                    .chunks(size as usize)
                    .map(|c| Value::List(c.to_vec()))
                    .collect(),
            ))
        }
        "transpose" => {
            want(1)?;
            let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            for (k, v) in map(a(0), "map")? {
                for s in strings(&v, "value")? {
                    out.entry(s).or_default().push(Value::from(k.as_str()));
                }
            }
            Ok(Value::Map(
                out.into_iter().map(|(k, v)| (k, Value::List(v))).collect(),
            ))
        }
        "alltrue" | "anytrue" => {
            want(1)?;
            let bools = list(a(0), "list")?
                .iter()
                .map(|v| to_bool(v).ok_or_else(|| "elements must be bools".to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Bool(if name == "alltrue" {
                bools.iter().all(|b| *b)
            } else {
                bools.iter().any(|b| *b)
            }))
        }
        "setproduct" => {
            at_least(1)?;
            let sets = args
                .iter()
                .map(|v| list(v, "sets"))
                .collect::<Result<Vec<_>, _>>()?;
            let mut out: Vec<Vec<Value>> = vec![vec![]];
            for set in &sets {
                let total = out.len().saturating_mul(set.len());
                if total > 1024 * 1024 {
                    return Err("the product has more than 1048576 elements".into());
                }
                out = out
                    .iter()
                    .flat_map(|prefix| {
                        set.iter().map(move |v| {
                            let mut p = prefix.clone();
                            p.push(v.clone());
                            p
                        })
                    })
                    .collect();
            }
            let items: Vec<Value> = out.into_iter().map(Value::List).collect();
            Ok(if args.iter().all(|v| matches!(v, Value::Set(_))) {
                Value::Set(items)
            } else {
                Value::List(items)
            })
        }
        "matchkeys" => {
            want(3)?;
            let values = list(a(0), "values")?;
            let keys = list(a(1), "keys")?;
            let search = list(a(2), "searchset")?;
            if values.len() != keys.len() {
                return Err("length of keys and values should be equal".into());
            }
            Ok(Value::List(
                values
                    .into_iter()
                    .zip(keys)
                    .filter(|(_, k)| search.iter().any(|s| s.same_data(k)))
                    .map(|(v, _)| v)
                    .collect(),
            ))
        }
        other => Err(format!("function \"{other}\" is not implemented")),
    }
}
