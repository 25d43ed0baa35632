//! The function library: Terraform's built-in functions that mlform supports, with its
//! handling of unknown arguments (result unknown) and sensitive ones (result sensitive).

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use mlform_provider::{format_number, Value};

use super::gocompat::{
    format, go_base, go_dir, go_json_escape, go_log, parse_int, simple_lower, simple_upper, yaml,
};
use super::types::{to_bool, to_number, to_string};

/// Every function name, for "did you mean" hints and docs.
pub const NAMES: &[&str] = &[
    "abs",
    "ceil",
    "floor",
    "max",
    "min",
    "sum",
    "pow",
    "signum",
    "parseint",
    "format",
    "formatlist",
    "join",
    "split",
    "replace",
    "lower",
    "upper",
    "title",
    "trimspace",
    "trim",
    "trimprefix",
    "trimsuffix",
    "substr",
    "startswith",
    "endswith",
    "strrev",
    "regex",
    "regexall",
    "length",
    "concat",
    "contains",
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
    "index",
    "chunklist",
    "transpose",
    "tolist",
    "toset",
    "tomap",
    "tostring",
    "tonumber",
    "tobool",
    "try",
    "can",
    "jsonencode",
    "jsondecode",
    "yamlencode",
    "yamldecode",
    "base64encode",
    "base64decode",
    "md5",
    "sha1",
    "sha256",
    "sha512",
    "filesha256",
    "filemd5",
    "filebase64",
    "file",
    "fileexists",
    "templatefile",
    "abspath",
    "basename",
    "dirname",
    "pathexpand",
    "cidrsubnet",
    "cidrsubnets",
    "cidrhost",
    "cidrnetmask",
    "strcontains",
    "log",
    "setproduct",
    "matchkeys",
    "templatestring",
    "base64sha256",
    "base64sha512",
    "base64gzip",
    "filesha1",
    "filesha512",
    "filebase64sha256",
    "filebase64sha512",
    "textencodebase64",
    "textdecodebase64",
    "csvdecode",
    "uuidv5",
    "plantimestamp",
    "ephemeralasnull",
    "formatdate",
    "fileset",
    "provider::terraform::encode_tfvars",
    "provider::terraform::decode_tfvars",
    "provider::terraform::encode_expr",
    "timeadd",
    "timecmp",
    "uuid",
    "sensitive",
    "nonsensitive",
    "issensitive",
    "type",
    "alltrue",
    "anytrue",
    "urlencode",
    "indent",
    "chomp",
    "timestamp",
];

/// Functions that work on the structure of collections: unknown or sensitive elements pass
/// through them untouched instead of making the whole result unknown or sensitive.
const STRUCTURAL: &[&str] = &[
    "concat",
    "merge",
    "length",
    "tolist",
    "tomap",
    "element",
    "flatten",
    "keys",
    "values",
    "zipmap",
    "slice",
    "reverse",
    "lookup",
    "one",
    "coalesce",
    "coalescelist",
    "sensitive",
    "nonsensitive",
    "issensitive",
    "compact",
    "chunklist",
];

/// Terraform functions mlform recognizes but does not implement yet: calling one is an error
/// that says so, not "unknown function".
pub const NOT_YET: &[&str] = &["bcrypt", "rsadecrypt"];

pub fn exists(name: &str) -> bool {
    NAMES.contains(&name)
}

type R = Result<Value, String>;

/// The largest string a function may build (`indent`, `format` widths, ...): 64 MiB. A
/// configuration that needs more is almost certainly a mistake, and an allocation that
/// large must fail with a message, not abort the process.
pub const MAX_STRING_BYTES: usize = 64 << 20;

/// The largest file `file`, `templatefile` and the `file*` hash functions read: 64 MiB.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

fn too_long(what: &str) -> String {
    format!(
        "{what} would be longer than {} MiB, the limit on strings built by functions",
        MAX_STRING_BYTES >> 20
    )
}

/// Reads a file for a function, refusing more than [`MAX_FILE_BYTES`] (and endless files such
/// as /dev/zero) with an error that names the limit.
fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let f =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "{} is larger than {} MiB, the limit on files read by functions",
            path.display(),
            MAX_FILE_BYTES >> 20
        ));
    }
    Ok(bytes)
}

/// Calls a function with evaluated arguments.
pub fn call(name: &str, args: Vec<Value>, module_dir: &Path) -> R {
    if name == "sensitive" {
        let [v] = fixed::<1>(name, args)?;
        return Ok(v.into_sensitive());
    }
    if name == "nonsensitive" {
        let [v] = fixed::<1>(name, args)?;
        return Ok(v.strip_marks());
    }
    if name == "issensitive" {
        let [v] = fixed::<1>(name, args)?;
        return Ok(Value::Bool(v.contains_sensitive()));
    }
    if name == "uuid" || name == "timestamp" || name == "plantimestamp" {
        return Ok(Value::Unknown);
    }
    let structural = STRUCTURAL.contains(&name);
    let mut sensitive = false;
    let mut plain = Vec::with_capacity(args.len());
    for a in args {
        if structural {
            let (v, s) = super::expr::split_mark(a);
            sensitive |= s;
            if v.is_unknown() {
                return Ok(Value::Unknown.mark_sensitive_if(sensitive));
            }
            plain.push(v);
        } else {
            sensitive |= a.contains_sensitive();
            if !a.is_wholly_known() {
                return Ok(Value::Unknown.mark_sensitive_if(sensitive));
            }
            plain.push(a.strip_marks());
        }
    }
    Ok(dispatch(name, plain, module_dir)?.mark_sensitive_if(sensitive))
}

fn fixed<const N: usize>(name: &str, args: Vec<Value>) -> Result<[Value; N], String> {
    let n = args.len();
    args.try_into()
        .map_err(|_| format!("function \"{name}\" expects {N} argument(s), but got {n}"))
}

fn num(v: &Value, what: &str) -> Result<f64, String> {
    to_number(v).ok_or_else(|| format!("{what}: a number is required, but got {}", v.type_name()))
}

fn string(v: &Value, what: &str) -> Result<String, String> {
    to_string(v).ok_or_else(|| format!("{what}: a string is required, but got {}", v.type_name()))
}

fn list(v: &Value, what: &str) -> Result<Vec<Value>, String> {
    match v {
        Value::List(items) | Value::Set(items) => Ok(items.clone()),
        _ => Err(format!(
            "{what}: a list is required, but got {}",
            v.type_name()
        )),
    }
}

fn map(v: &Value, what: &str) -> Result<BTreeMap<String, Value>, String> {
    match v {
        Value::Map(m) => Ok(m.clone()),
        _ => Err(format!(
            "{what}: a map is required, but got {}",
            v.type_name()
        )),
    }
}

fn strings(v: &Value, what: &str) -> Result<Vec<String>, String> {
    list(v, what)?.iter().map(|x| string(x, what)).collect()
}

fn int(v: &Value, what: &str) -> Result<i64, String> {
    let n = num(v, what)?;
    if n.fract() != 0.0 {
        return Err(format!(
            "{what}: a whole number is required, but got {}",
            format_number(n)
        ));
    }
    Ok(n as i64)
}

fn dispatch(name: &str, args: Vec<Value>, module_dir: &Path) -> R {
    let n = args.len();
    let a = |i: usize| -> &Value { &args[i] };
    let want = |k: usize| -> Result<(), String> {
        if n == k {
            Ok(())
        } else {
            Err(format!("expects {k} argument(s), but got {n}"))
        }
    };
    let at_least = |k: usize| -> Result<(), String> {
        if n >= k {
            Ok(())
        } else {
            Err(format!("expects at least {k} argument(s), but got {n}"))
        }
    };
    match name {
        "abs" => {
            want(1)?;
            Ok(Value::Number(num(a(0), "number")?.abs()))
        }
        "ceil" => {
            want(1)?;
            Ok(Value::Number(num(a(0), "number")?.ceil()))
        }
        "floor" => {
            want(1)?;
            Ok(Value::Number(num(a(0), "number")?.floor()))
        }
        "signum" => {
            want(1)?;
            let x = num(a(0), "number")?;
            Ok(Value::Number(if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }))
        }
        "pow" => {
            want(2)?;
            Ok(Value::Number(
                num(a(0), "base")?.powf(num(a(1), "exponent")?),
            ))
        }
        "max" | "min" => {
            at_least(1)?;
            let nums = args
                .iter()
                .map(|v| num(v, "argument"))
                .collect::<Result<Vec<_>, _>>()?;
            let r = if name == "max" {
                nums.iter().cloned().fold(f64::MIN, f64::max)
            } else {
                nums.iter().cloned().fold(f64::MAX, f64::min)
            };
            Ok(Value::Number(r))
        }
        "sum" => {
            want(1)?;
            let items = list(a(0), "list")?;
            if items.is_empty() {
                return Err("cannot sum an empty list".into());
            }
            Ok(Value::Number(
                items
                    .iter()
                    .map(|v| num(v, "element"))
                    .sum::<Result<f64, _>>()?,
            ))
        }
        "parseint" => {
            want(2)?;
            let s = string(a(0), "number")?;
            let base = int(a(1), "base")?;
            if !(2..=62).contains(&base) {
                return Err("base must be between 2 and 62".into());
            }
            parse_int(&s, base as u32)
                .map(|v| Value::Number(v as f64))
                .ok_or_else(|| format!("cannot parse {s:?} as a base {base} integer"))
        }
        "format" => {
            at_least(1)?;
            format(&string(a(0), "format")?, &args[1..]).map(Value::String)
        }
        "formatlist" => {
            at_least(1)?;
            let fmt = string(a(0), "format")?;
            let len = args[1..]
                .iter()
                .filter_map(|v| v.as_list().map(|l| l.len()))
                .max()
                .unwrap_or(1);
            let mut out = Vec::new();
            for i in 0..len {
                let row: Vec<Value> = args[1..]
                    .iter()
                    .map(|v| {
                        v.as_list()
                            .map(|l| l.get(i).cloned().unwrap_or(Value::Null))
                            .unwrap_or_else(|| v.clone())
                    })
                    .collect();
                out.push(Value::String(format(&fmt, &row)?));
            }
            Ok(Value::List(out))
        }
        "join" => {
            at_least(2)?;
            let sep = string(a(0), "separator")?;
            let mut parts = Vec::new();
            for l in &args[1..] {
                parts.extend(strings(l, "list")?);
            }
            Ok(Value::String(parts.join(&sep)))
        }
        "split" => {
            want(2)?;
            let sep = string(a(0), "separator")?;
            let s = string(a(1), "string")?;
            if sep.is_empty() {
                // As Go's strings.Split: one element per character.
                return Ok(Value::List(
                    s.chars().map(|c| Value::from(c.to_string())).collect(),
                ));
            }
            Ok(Value::List(
                s.split(sep.as_str()).map(Value::from).collect(),
            ))
        }
        "replace" => {
            want(3)?;
            let s = string(a(0), "string")?;
            let search = string(a(1), "substring")?;
            let rep = string(a(2), "replacement")?;
            if search.len() > 1 && search.starts_with('/') && search.ends_with('/') {
                let re = regex::Regex::new(&search[1..search.len() - 1])
                    .map_err(|e| format!("invalid regular expression: {e}"))?;
                let rep = rep.replace("$", "$$").replace("$$1", "${1}");
                let rep = convert_backrefs(&rep);
                Ok(Value::String(re.replace_all(&s, rep.as_str()).to_string()))
            } else {
                Ok(Value::String(s.replace(&search, &rep)))
            }
        }
        "lower" => {
            want(1)?;
            Ok(Value::String(
                string(a(0), "string")?.chars().map(simple_lower).collect(),
            ))
        }
        "upper" => {
            want(1)?;
            Ok(Value::String(
                string(a(0), "string")?.chars().map(simple_upper).collect(),
            ))
        }
        "title" => {
            want(1)?;
            let s = string(a(0), "string")?;
            let mut out = String::new();
            let mut start = true;
            for c in s.chars() {
                if start && c.is_alphabetic() {
                    out.push(simple_upper(c));
                } else {
                    out.push(c);
                }
                start = !c.is_alphanumeric();
            }
            Ok(Value::String(out))
        }
        "trimspace" => {
            want(1)?;
            Ok(Value::String(string(a(0), "string")?.trim().to_string()))
        }
        "chomp" => {
            want(1)?;
            Ok(Value::String(
                string(a(0), "string")?
                    .trim_end_matches(['\n', '\r'])
                    .to_string(),
            ))
        }
        "trim" => {
            want(2)?;
            let cut: Vec<char> = string(a(1), "characters")?.chars().collect();
            Ok(Value::String(
                string(a(0), "string")?
                    .trim_matches(|c| cut.contains(&c))
                    .to_string(),
            ))
        }
        "trimprefix" => {
            want(2)?;
            let s = string(a(0), "string")?;
            let p = string(a(1), "prefix")?;
            Ok(Value::String(s.strip_prefix(&p).unwrap_or(&s).to_string()))
        }
        "trimsuffix" => {
            want(2)?;
            let s = string(a(0), "string")?;
            let p = string(a(1), "suffix")?;
            Ok(Value::String(s.strip_suffix(&p).unwrap_or(&s).to_string()))
        }
        "startswith" => {
            want(2)?;
            Ok(Value::Bool(
                string(a(0), "string")?.starts_with(&string(a(1), "prefix")?),
            ))
        }
        "endswith" => {
            want(2)?;
            Ok(Value::Bool(
                string(a(0), "string")?.ends_with(&string(a(1), "suffix")?),
            ))
        }
        "strrev" => {
            want(1)?;
            Ok(Value::String(
                string(a(0), "string")?.chars().rev().collect(),
            ))
        }
        "substr" => {
            want(3)?;
            let chars: Vec<char> = string(a(0), "string")?.chars().collect();
            let len = chars.len() as i64;
            let mut offset = int(a(1), "offset")?;
            let length = int(a(2), "length")?;
            if offset < 0 {
                // Counted from the end, and clamped to the start as Terraform does.
                offset = (offset + len).max(0);
            }
            if offset > len {
                return Err("offset is out of range for the string".into());
            }
            let end = if length < 0 {
                len
            } else {
                offset.saturating_add(length).min(len)
            };
            Ok(Value::String(
                chars[offset as usize..end as usize].iter().collect(),
            ))
        }
        "indent" => {
            want(2)?;
            let spaces = int(a(0), "spaces")?.max(0) as usize;
            let s = string(a(1), "string")?;
            let lines = s.matches('\n').count();
            if spaces
                .checked_mul(lines)
                .and_then(|p| p.checked_add(s.len()))
                .is_none_or(|total| total > MAX_STRING_BYTES)
            {
                return Err(too_long("the indented string"));
            }
            let pad = " ".repeat(spaces);
            Ok(Value::String(
                s.split('\n')
                    .enumerate()
                    .map(|(i, l)| {
                        if i == 0 {
                            l.to_string()
                        } else {
                            format!("{pad}{l}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            ))
        }
        "regex" | "regexall" => {
            want(2)?;
            let re = regex::Regex::new(&string(a(0), "pattern")?)
                .map_err(|e| format!("invalid regular expression: {e}"))?;
            let s = string(a(1), "string")?;
            let capture = |caps: regex::Captures| -> Value {
                let named: Vec<&str> = re.capture_names().flatten().collect();
                if !named.is_empty() {
                    Value::Map(
                        named
                            .iter()
                            .map(|n| {
                                (
                                    n.to_string(),
                                    caps.name(n)
                                        .map(|m| Value::from(m.as_str()))
                                        .unwrap_or(Value::Null),
                                )
                            })
                            .collect(),
                    )
                } else if caps.len() > 1 {
                    Value::List(
                        (1..caps.len())
                            .map(|i| {
                                caps.get(i)
                                    .map(|m| Value::from(m.as_str()))
                                    .unwrap_or(Value::Null)
                            })
                            .collect(),
                    )
                } else {
                    Value::from(caps.get(0).map(|m| m.as_str()).unwrap_or(""))
                }
            };
            if name == "regex" {
                re.captures(&s)
                    .map(capture)
                    .ok_or_else(|| "pattern did not match any part of the given string".to_string())
            } else {
                Ok(Value::List(re.captures_iter(&s).map(capture).collect()))
            }
        }
        "length" => {
            want(1)?;
            match a(0) {
                Value::List(items) | Value::Set(items) => Ok(Value::Number(items.len() as f64)),
                Value::Map(m) => Ok(Value::Number(m.len() as f64)),
                Value::String(s) => Ok(Value::Number(s.chars().count() as f64)),
                other => Err(format!(
                    "argument must be a collection or string, not {}",
                    other.type_name()
                )),
            }
        }
        "concat" => {
            let mut out = Vec::new();
            for l in &args {
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
                .map(|i| Value::Number(i as f64))
                .ok_or_else(|| "item not found".to_string())
        }
        "distinct" => {
            want(1)?;
            let mut out: Vec<Value> = Vec::new();
            for x in super::types::unify(list(a(0), "list")?) {
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
            for m in &args {
                if m.is_null() {
                    continue;
                }
                out.extend(map(m, "argument")?);
            }
            Ok(Value::Map(out))
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
            let (start, end, step) = match n {
                1 => (0.0, num(a(0), "limit")?, 1.0),
                2 => (num(a(0), "start")?, num(a(1), "limit")?, 1.0),
                3 => (num(a(0), "start")?, num(a(1), "limit")?, num(a(2), "step")?),
                _ => return Err(format!("expects 1 to 3 arguments, but got {n}")),
            };
            let step = if n < 3 && end < start { -1.0 } else { step };
            if step == 0.0 {
                return Err("step must not be zero".into());
            }
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                out.push(Value::Number(x));
                x += step;
                if out.len() > 1024 * 1024 {
                    return Err("more than 1048576 elements".into());
                }
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
            for l in &args {
                all.extend(list(l, "set")?);
            }
            Ok(Value::set_from(super::types::unify(all)))
        }
        "setintersection" => {
            at_least(1)?;
            let sets: Vec<Value> = args
                .iter()
                .map(|l| list(l, "set").map(Value::List))
                .collect::<Result<_, _>>()?;
            let mut sets = super::types::unify(sets)
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
        "coalesce" => super::types::unify(args.clone())
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
        "tolist" => {
            want(1)?;
            if a(0).is_null() {
                return Ok(Value::Null);
            }
            Ok(Value::List(super::types::unify(list(a(0), "value")?)))
        }
        "toset" => {
            want(1)?;
            if a(0).is_null() {
                return Ok(Value::Null);
            }
            Ok(Value::set_from(super::types::unify(list(a(0), "value")?)))
        }
        "tomap" => {
            want(1)?;
            if a(0).is_null() {
                return Ok(Value::Null);
            }
            let m = map(a(0), "value")?;
            let keys: Vec<String> = m.keys().cloned().collect();
            let values = super::types::unify(m.into_values().collect());
            Ok(Value::Map(keys.into_iter().zip(values).collect()))
        }
        "tostring" => {
            want(1)?;
            if a(0).is_null() {
                return Ok(Value::Null);
            }
            to_string(a(0))
                .map(Value::String)
                .ok_or_else(|| format!("cannot convert {} to string", a(0).type_name()))
        }
        "tonumber" => {
            want(1)?;
            if a(0).is_null() {
                return Ok(Value::Null);
            }
            to_number(a(0))
                .map(Value::Number)
                .ok_or_else(|| format!("cannot convert {} to number", a(0)))
        }
        "tobool" => {
            want(1)?;
            if a(0).is_null() {
                return Ok(Value::Null);
            }
            to_bool(a(0))
                .map(Value::Bool)
                .ok_or_else(|| format!("cannot convert {} to bool", a(0)))
        }
        "jsonencode" => {
            want(1)?;
            Ok(Value::String(go_json_escape(
                &serde_json::to_string(&a(0).to_json()).map_err(|e| e.to_string())?,
            )))
        }
        "jsondecode" => {
            want(1)?;
            let s = string(a(0), "string")?;
            let j: serde_json::Value =
                serde_json::from_str(&s).map_err(|e| format!("invalid JSON: {e}"))?;
            Ok(Value::from_json(&j))
        }
        "yamlencode" => {
            want(1)?;
            let mut out = String::new();
            yaml(&a(0).to_json(), 0, &mut out);
            Ok(Value::String(out))
        }
        "yamldecode" => {
            want(1)?;
            let s = string(a(0), "string")?;
            let y: serde_json::Value =
                serde_yaml::from_str(&s).map_err(|e| format!("invalid YAML: {e}"))?;
            Ok(Value::from_json(&y))
        }
        "base64encode" => {
            want(1)?;
            Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(string(a(0), "string")?),
            ))
        }
        "base64decode" => {
            want(1)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(string(a(0), "string")?.trim())
                .map_err(|e| format!("invalid base64: {e}"))?;
            String::from_utf8(bytes)
                .map(Value::String)
                .map_err(|_| "the decoded bytes are not valid UTF-8".to_string())
        }
        "urlencode" => {
            want(1)?;
            let s = string(a(0), "string")?;
            Ok(Value::String(
                s.bytes()
                    .map(|b| match b {
                        b' ' => "+".to_string(),
                        b if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) => {
                            (b as char).to_string()
                        }
                        b => format!("%{b:02X}"),
                    })
                    .collect(),
            ))
        }
        "md5" => {
            want(1)?;
            Ok(Value::String(hex::encode(
                <md5::Md5 as md5::Digest>::digest(string(a(0), "string")?.as_bytes()),
            )))
        }
        "sha1" => {
            want(1)?;
            Ok(Value::String(hex::encode(
                <sha1::Sha1 as sha1::Digest>::digest(string(a(0), "string")?.as_bytes()),
            )))
        }
        "sha256" => {
            want(1)?;
            Ok(Value::String(hex::encode(
                <sha2::Sha256 as sha2::Digest>::digest(string(a(0), "string")?.as_bytes()),
            )))
        }
        "sha512" => {
            want(1)?;
            Ok(Value::String(hex::encode(
                <sha2::Sha512 as sha2::Digest>::digest(string(a(0), "string")?.as_bytes()),
            )))
        }
        "file" | "filesha256" | "filemd5" | "filebase64" => {
            want(1)?;
            let path = resolve(module_dir, &string(a(0), "path")?);
            let bytes = read_limited(&path)?;
            match name {
                "file" => String::from_utf8(bytes).map(Value::String).map_err(|_| {
                    format!(
                        "{} is not valid UTF-8; use filebase64 for binary files",
                        path.display()
                    )
                }),
                "filesha256" => Ok(Value::String(hex::encode(
                    <sha2::Sha256 as sha2::Digest>::digest(&bytes),
                ))),
                "filemd5" => Ok(Value::String(hex::encode(
                    <md5::Md5 as md5::Digest>::digest(&bytes),
                ))),
                _ => Ok(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(bytes),
                )),
            }
        }
        "fileexists" => {
            want(1)?;
            let p = resolve(module_dir, &string(a(0), "path")?);
            Ok(Value::Bool(p.is_file()))
        }
        "templatefile" => {
            want(2)?;
            let path = resolve(module_dir, &string(a(0), "path")?);
            let text = String::from_utf8(read_limited(&path)?)
                .map_err(|_| format!("{} is not valid UTF-8", path.display()))?;
            let vars = map(a(1), "vars")?;
            template_file(&text, vars, module_dir)
                .map_err(|e| format!("in {}: {e}", path.display()))
        }
        "abspath" => {
            want(1)?;
            let p = Path::new(&string(a(0), "path")?).to_path_buf();
            let abs = if p.is_absolute() {
                p
            } else {
                std::env::current_dir().map_err(|e| e.to_string())?.join(p)
            };
            Ok(Value::String(
                crate::syntax::normalize_path(&abs)
                    .to_string_lossy()
                    .to_string(),
            ))
        }
        "basename" => {
            want(1)?;
            Ok(Value::String(go_base(&string(a(0), "path")?)))
        }
        "dirname" => {
            want(1)?;
            Ok(Value::String(go_dir(&string(a(0), "path")?)))
        }
        "pathexpand" => {
            want(1)?;
            let s = string(a(0), "path")?;
            Ok(Value::String(
                match (s.strip_prefix("~"), std::env::var("HOME")) {
                    (Some(rest), Ok(home)) if rest.is_empty() || rest.starts_with('/') => {
                        format!("{home}{rest}")
                    }
                    _ => s,
                },
            ))
        }
        "cidrsubnet" => {
            want(3)?;
            super::cidr::cidrsubnet(
                &string(a(0), "prefix")?,
                int(a(1), "newbits")?,
                int(a(2), "netnum")?,
            )
            .map(Value::String)
        }
        "cidrhost" => {
            want(2)?;
            super::cidr::cidrhost(&string(a(0), "prefix")?, int(a(1), "hostnum")?)
                .map(Value::String)
        }
        "cidrnetmask" => {
            want(1)?;
            super::cidr::cidrnetmask(&string(a(0), "prefix")?).map(Value::String)
        }
        "cidrsubnets" => {
            at_least(1)?;
            let bits = args[1..]
                .iter()
                .map(|v| int(v, "newbits"))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::List(
                super::cidr::cidrsubnets(&string(a(0), "prefix")?, &bits)?
                    .into_iter()
                    .map(Value::String)
                    .collect(),
            ))
        }
        "strcontains" => {
            want(2)?;
            Ok(Value::Bool(
                string(a(0), "string")?.contains(&string(a(1), "substr")?),
            ))
        }
        "log" => {
            want(2)?;
            Ok(Value::Number(
                go_log(num(a(0), "number")?) / go_log(num(a(1), "base")?),
            ))
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
        "templatestring" => {
            want(2)?;
            template_file(&string(a(0), "template")?, map(a(1), "vars")?, module_dir)
        }
        "base64sha256" | "base64sha512" => {
            want(1)?;
            Ok(Value::String(
                super::encoding::digest(name, string(a(0), "string")?.as_bytes())
                    .unwrap_or_default(),
            ))
        }
        "filesha1" | "filesha512" | "filebase64sha256" | "filebase64sha512" => {
            want(1)?;
            let bytes = read_limited(&resolve(module_dir, &string(a(0), "path")?))?;
            Ok(Value::String(
                super::encoding::digest(name, &bytes).unwrap_or_default(),
            ))
        }
        "base64gzip" => {
            want(1)?;
            super::encoding::base64gzip(&string(a(0), "string")?).map(Value::String)
        }
        "textencodebase64" => {
            want(2)?;
            super::encoding::textencodebase64(&string(a(0), "string")?, &string(a(1), "encoding")?)
                .map(Value::String)
        }
        "textdecodebase64" => {
            want(2)?;
            super::encoding::textdecodebase64(&string(a(0), "source")?, &string(a(1), "encoding")?)
                .map(Value::String)
        }
        "csvdecode" => {
            want(1)?;
            super::encoding::csvdecode(&string(a(0), "string")?)
        }
        "uuidv5" => {
            want(2)?;
            super::encoding::uuidv5(&string(a(0), "namespace")?, &string(a(1), "name")?)
                .map(Value::String)
        }
        "provider::terraform::encode_tfvars" => {
            want(1)?;
            super::hclwrite::encode_tfvars(a(0)).map(Value::String)
        }
        "provider::terraform::decode_tfvars" => {
            want(1)?;
            super::hclwrite::decode_tfvars(&string(a(0), "src")?)
        }
        "provider::terraform::encode_expr" => {
            want(1)?;
            Ok(Value::String(super::hclwrite::expr(a(0), 0)))
        }
        "fileset" => {
            want(2)?;
            let base = resolve(module_dir, &string(a(0), "path")?);
            fileset(&base, &string(a(1), "pattern")?)
        }
        "formatdate" => {
            want(2)?;
            super::time::formatdate(&string(a(0), "spec")?, &string(a(1), "timestamp")?)
                .map(Value::String)
        }
        "timeadd" => {
            want(2)?;
            super::time::timeadd(&string(a(0), "timestamp")?, &string(a(1), "duration")?)
                .map(Value::String)
        }
        "timecmp" => {
            want(2)?;
            super::time::timecmp(&string(a(0), "timestamp_a")?, &string(a(1), "timestamp_b")?)
                .map(|n| Value::Number(n as f64))
        }
        "ephemeralasnull" => {
            want(1)?;
            Ok(a(0).clone())
        }
        "type" => {
            want(1)?;
            Ok(Value::String(a(0).type_name().to_string()))
        }
        other => Err(format!("function \"{other}\" is not implemented")),
    }
}

/// The most directory entries `fileset` looks at: 100,000.
const MAX_FILESET_ENTRIES: usize = 100_000;

/// `fileset(path, pattern)`: the files under `path` whose relative path matches the glob
/// (`*`, `**`, `?`, `{a,b}`, `[...]`), sorted, with `/` separators.
fn fileset(base: &Path, pattern: &str) -> R {
    let mut re = String::from("^");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut in_braces = false;
    while i < chars.len() {
        match chars[i] {
            '*' if chars.get(i + 1) == Some(&'*') => {
                if chars.get(i + 2) == Some(&'/') {
                    re.push_str("(?:.*/)?");
                    i += 3;
                } else {
                    re.push_str(".*");
                    i += 2;
                }
                continue;
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '{' => {
                re.push_str("(?:");
                in_braces = true;
            }
            '}' if in_braces => {
                re.push(')');
                in_braces = false;
            }
            ',' if in_braces => re.push('|'),
            '[' => {
                let end = chars[i..].iter().position(|&c| c == ']').map(|p| i + p);
                let Some(end) = end else {
                    return Err(format!("invalid pattern {pattern:?}: unclosed ["));
                };
                let class: String = chars[i + 1..end].iter().collect();
                let class = class
                    .strip_prefix('!')
                    .map(|c| format!("^{c}"))
                    .unwrap_or(class);
                re.push('[');
                re.push_str(&class.replace('\\', "\\\\"));
                re.push(']');
                i = end + 1;
                continue;
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    re.push('$');
    let re = regex::Regex::new(&re).map_err(|e| format!("invalid pattern {pattern:?}: {e}"))?;
    let mut found = Vec::new();
    let mut stack = vec![base.to_path_buf()];
    let mut seen = 0usize;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > MAX_FILESET_ENTRIES {
                return Err(format!(
                    "more than {MAX_FILESET_ENTRIES} entries under {}, the limit on what fileset reads",
                    base.display()
                ));
            }
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(base) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if re.is_match(&rel) {
                    found.push(rel);
                }
            }
        }
    }
    found.sort();
    Ok(Value::Set(found.into_iter().map(Value::String).collect()))
}

fn convert_backrefs(rep: &str) -> String {
    // Terraform writes backreferences as $1 or ${1}; after escaping all `$` above, restore them.
    let re = regex::Regex::new(r"\$\$(\{?[0-9A-Za-z_]+\}?)").expect("static regex");
    re.replace_all(rep, |c: &regex::Captures| {
        let name = c[1].trim_start_matches('{').trim_end_matches('}');
        format!("${{{name}}}")
    })
    .to_string()
}

fn resolve(module_dir: &Path, p: &str) -> std::path::PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        module_dir.join(path)
    }
}

/// Renders a template file with the given variables (no references to anything else).
fn template_file(text: &str, vars: BTreeMap<String, Value>, module_dir: &Path) -> R {
    let template = hcl_edit::parser::parse_template(text)
        .map_err(|e| format!("invalid template: {}", e.message()))?;
    let expr = hcl_edit::expr::Expression::StringTemplate(
        hcl_edit::template::StringTemplate::from(template.iter().cloned().collect::<Vec<_>>()),
    );
    struct Vars<'a>(BTreeMap<String, Value>, &'a Path);
    impl super::expr::Scope for Vars<'_> {
        fn resolve(
            &self,
            root: &str,
            _steps: &[super::expr::Step],
        ) -> Result<(Value, usize), super::expr::ScopeError> {
            self.0.get(root).map(|v| (v.clone(), 0)).ok_or_else(|| {
                super::expr::ScopeError::new(
                    "Invalid template variable",
                    format!("vars map does not contain key \"{root}\""),
                )
            })
        }
        fn module_dir(&self) -> &Path {
            self.1
        }
    }
    let scope = Vars(vars, module_dir);
    super::expr::Evaluator::new(&scope, 0)
        .eval(&expr)
        .map_err(|d| d.detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, args: Vec<Value>) -> Value {
        call(name, args, Path::new(".")).unwrap()
    }

    #[test]
    fn string_functions() {
        assert_eq!(
            c(
                "format",
                vec!["%s-%03d".into(), "a".into(), Value::Number(7.0)]
            )
            .as_str(),
            Some("a-007")
        );
        assert_eq!(
            c("format", vec!["%5.2f".into(), Value::Number(3.14159)]).as_str(),
            Some(" 3.14")
        );
        assert_eq!(
            c("format", vec!["%-4s|".into(), "ab".into()]).as_str(),
            Some("ab  |")
        );
        assert_eq!(
            c(
                "replace",
                vec!["a-b-c".into(), "/-(.)/".into(), "_$1".into()]
            )
            .as_str(),
            Some("a_b_c")
        );
        assert_eq!(
            c(
                "substr",
                vec!["hello".into(), Value::Number(1.0), Value::Number(3.0)]
            )
            .as_str(),
            Some("ell")
        );
        assert_eq!(
            c("title", vec!["hello world".into()]).as_str(),
            Some("Hello World")
        );
    }

    #[test]
    fn cidr_functions() {
        assert_eq!(
            c(
                "cidrsubnet",
                vec!["10.0.0.0/16".into(), Value::Number(8.0), Value::Number(2.0)]
            )
            .as_str(),
            Some("10.0.2.0/24")
        );
        assert_eq!(
            c("cidrhost", vec!["10.0.1.0/24".into(), Value::Number(5.0)]).as_str(),
            Some("10.0.1.5")
        );
    }

    #[test]
    fn unknown_and_sensitive_propagate() {
        assert!(c("upper", vec![Value::Unknown]).is_unknown());
        assert!(c("upper", vec![Value::from("x").into_sensitive()]).is_sensitive());
        let l = c(
            "concat",
            vec![
                Value::List(vec![Value::Unknown]),
                Value::List(vec!["a".into()]),
            ],
        );
        assert_eq!(c("length", vec![l]).as_f64(), Some(2.0));
    }

    #[test]
    fn collections() {
        let m = c(
            "zipmap",
            vec![
                Value::List(vec!["a".into(), "b".into()]),
                Value::List(vec![Value::Number(1.0), Value::Number(2.0)]),
            ],
        );
        assert_eq!(m.to_json(), serde_json::json!({"a": 1, "b": 2}));
        assert_eq!(
            c("range", vec![Value::Number(3.0)]).to_json(),
            serde_json::json!([0, 1, 2])
        );
        assert_eq!(
            c(
                "flatten",
                vec![Value::List(vec![Value::List(vec!["a".into()]), "b".into()])]
            )
            .to_json(),
            serde_json::json!(["a", "b"])
        );
    }
}
