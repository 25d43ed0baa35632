//! The function library: Terraform's built-in functions that mlform supports, with its
//! handling of unknown arguments (result unknown) and sensitive ones (result sensitive).

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use mlform_provider::{Number, Value};

use crate::eval::format::format;
use crate::eval::gocompat::{
    go_base, go_dir, go_json_escape, go_log, parse_int, simple_lower, simple_upper, yaml,
};
use crate::eval::types::{to_bool, to_number, to_string};

/// The argument helpers every family of functions uses: the count, the i-th argument, and
/// checks of the count with Terraform's messages.
macro_rules! arity {
    ($args:ident, $n:ident, $a:ident, $want:ident, $at_least:ident) => {
        let $n = $args.len();
        #[allow(unused)]
        let $a = |i: usize| -> &Value { &$args[i] };
        #[allow(unused)]
        let $want = |k: usize| -> Result<(), String> {
            if $n == k {
                Ok(())
            } else {
                Err(format!("expects {k} argument(s), but got {}", $n))
            }
        };
        #[allow(unused)]
        let $at_least = |k: usize| -> Result<(), String> {
            if $n >= k {
                Ok(())
            } else {
                Err(format!("expects at least {k} argument(s), but got {}", $n))
            }
        };
    };
}

mod collections;
mod files;
mod strings;

/// The functions this module dispatches itself; the families list their own.
const OWN_NAMES: &[&str] = &[
    "abs",
    "ceil",
    "floor",
    "max",
    "min",
    "sum",
    "pow",
    "signum",
    "parseint",
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
    "cidrsubnet",
    "cidrsubnets",
    "cidrhost",
    "cidrnetmask",
    "log",
    "base64sha256",
    "base64sha512",
    "bcrypt",
    "rsadecrypt",
    "base64gzip",
    "textencodebase64",
    "textdecodebase64",
    "csvdecode",
    "uuidv5",
    "plantimestamp",
    "ephemeralasnull",
    "formatdate",
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
    "urlencode",
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

/// Every function name mlform knows, for lookups and did-you-mean hints.
pub fn names() -> impl Iterator<Item = &'static str> {
    OWN_NAMES
        .iter()
        .chain(strings::NAMES)
        .chain(collections::NAMES)
        .chain(files::NAMES)
        .copied()
}

pub fn exists(name: &str) -> bool {
    names().any(|n| n == name)
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

/// The time and phase of a run, which `timestamp`, `plantimestamp` and `uuid` depend on.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// When the plan was made (RFC 3339, UTC): `plantimestamp()`, known from the plan on.
    pub plan_timestamp: Option<String>,
    /// True while applying: `timestamp()` and `uuid()` are known only then.
    pub applying: bool,
}

/// The functions whose value depends on the clock: `None` for any other name. Before apply
/// `timestamp()` and `uuid()` are unknown, as in Terraform; `plantimestamp()` is unknown
/// only while validating.
pub fn clock_call(name: &str, args: &[Value], clock: Option<&Clock>) -> Option<R> {
    if !matches!(name, "uuid" | "timestamp" | "plantimestamp") {
        return None;
    }
    if !args.is_empty() {
        return Some(Err(format!(
            "expects 0 argument(s), but got {}",
            args.len()
        )));
    }
    let applying = clock.is_some_and(|c| c.applying);
    Some(Ok(match name {
        "plantimestamp" => clock
            .and_then(|c| c.plan_timestamp.clone())
            .map(Value::String)
            .unwrap_or(Value::Unknown),
        "timestamp" if applying => Value::String(crate::eval::time::now_rfc3339()),
        "uuid" if applying => Value::String(uuid::Uuid::new_v4().to_string()),
        _ => Value::Unknown,
    }))
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
    if let Some(v) = clock_call(name, &args, None) {
        return v;
    }
    let structural = STRUCTURAL.contains(&name);
    let mut sensitive = false;
    let mut plain = Vec::with_capacity(args.len());
    for a in args {
        if structural {
            let (v, s) = crate::eval::expr::split_mark(a);
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
    let result = match dispatch(name, plain, module_dir)? {
        Value::String(s) => Value::String(crate::eval::expr::nfc(&s)),
        other => other,
    };
    Ok(result.mark_sensitive_if(sensitive))
}

fn fixed<const N: usize>(name: &str, args: Vec<Value>) -> Result<[Value; N], String> {
    let n = args.len();
    args.try_into()
        .map_err(|_| format!("function \"{name}\" expects {N} argument(s), but got {n}"))
}

fn num(v: &Value, what: &str) -> Result<Number, String> {
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

fn map(v: &Value, what: &str) -> Result<mlform_provider::ValueMap, String> {
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
    if !n.is_integer() {
        return Err(format!("{what}: a whole number is required, but got {n}"));
    }
    n.to_i64()
        .ok_or_else(|| format!("{what}: {n} is too large"))
}

/// Every number of decoded JSON or YAML is one mlform can hold (the limits of `Number`).
fn check_numbers(v: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value as J;
    match v {
        J::Number(n) => Number::parse(&n.to_string())
            .map(|_| ())
            .map_err(|e| format!("the number {n} cannot be used: {e}")),
        J::Array(items) => items.iter().try_for_each(check_numbers),
        J::Object(m) => m.values().try_for_each(check_numbers),
        _ => Ok(()),
    }
}

/// A float64 result of Go's math, as Terraform makes it a number (NaN is an error).
fn float_result(v: f64, name: &str) -> R {
    if v.is_nan() {
        return Err(format!("{name}: the result is not a number"));
    }
    Number::from_f64(v)
        .map(Value::Number)
        .ok_or_else(|| format!("{name}: the result is infinite"))
}

fn dispatch(name: &str, args: Vec<Value>, module_dir: &Path) -> R {
    arity!(args, n, a, want, at_least);
    match name {
        _ if strings::NAMES.contains(&name) => strings::call(name, &args, module_dir),
        _ if collections::NAMES.contains(&name) => collections::call(name, &args),
        _ if files::NAMES.contains(&name) => files::call(name, &args, module_dir),
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
            Ok(Value::from(num(a(0), "number")?.signum()))
        }
        "pow" => {
            want(2)?;
            let base = num(a(0), "base")?.to_f64();
            float_result(base.powf(num(a(1), "exponent")?.to_f64()), "pow")
        }
        "max" | "min" => {
            at_least(1)?;
            let mut best: Option<(Number, &Value)> = None;
            for v in &args {
                let n = num(v, "argument")?;
                let better = match &best {
                    None => true,
                    Some((b, _)) if name == "max" => n.total_cmp(b).is_gt(),
                    Some((b, _)) => n.total_cmp(b).is_lt(),
                };
                if better {
                    best = Some((n, v));
                }
            }
            Ok(Value::Number(
                best.map(|b| b.0).unwrap_or_else(|| Number::from_i64(0)),
            ))
        }
        "sum" => {
            want(1)?;
            let items = list(a(0), "list")?;
            let mut items = items.iter();
            let Some(first) = items.next() else {
                return Err("cannot sum an empty list".into());
            };
            let mut total = num(first, "element")?;
            for v in items {
                total = total.add(&num(v, "element")?).map_err(|e| e.to_string())?;
            }
            Ok(Value::Number(total))
        }
        "parseint" => {
            want(2)?;
            let s = string(a(0), "number")?;
            let base = int(a(1), "base")?;
            if !(2..=62).contains(&base) {
                return Err("base must be between 2 and 62".into());
            }
            let (neg, magnitude) = parse_int(&s, base as u32)
                .ok_or_else(|| format!("cannot parse {s:?} as a base {base} integer"))?;
            Number::from_big_int(neg, magnitude)
                .map(Value::Number)
                .map_err(|e| e.to_string())
        }
        "tolist" => {
            want(1)?;
            if a(0).is_null() {
                return Ok(Value::Null);
            }
            Ok(Value::List(crate::eval::types::unify(list(a(0), "value")?)))
        }
        "toset" => {
            want(1)?;
            if a(0).is_null() {
                return Ok(Value::Null);
            }
            Ok(Value::set_from(crate::eval::types::unify(list(
                a(0),
                "value",
            )?)))
        }
        "tomap" => {
            want(1)?;
            if a(0).is_null() {
                return Ok(Value::Null);
            }
            let m = map(a(0), "value")?;
            let keys: Vec<String> = m.keys().cloned().collect();
            let values = crate::eval::types::unify(m.into_values().collect());
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
                &serde_json::to_string(&a(0).to_json_exact()).map_err(|e| e.to_string())?,
            )))
        }
        "jsondecode" => {
            want(1)?;
            let s = string(a(0), "string")?;
            let j: serde_json::Value =
                serde_json::from_str(&s).map_err(|e| format!("invalid JSON: {e}"))?;
            check_numbers(&j)?;
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
            crate::eval::yamldecode::decode(&s)
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
        "cidrsubnet" => {
            want(3)?;
            crate::eval::cidr::cidrsubnet(
                &string(a(0), "prefix")?,
                int(a(1), "newbits")?,
                int(a(2), "netnum")?,
            )
            .map(Value::String)
        }
        "cidrhost" => {
            want(2)?;
            crate::eval::cidr::cidrhost(&string(a(0), "prefix")?, int(a(1), "hostnum")?)
                .map(Value::String)
        }
        "cidrnetmask" => {
            want(1)?;
            crate::eval::cidr::cidrnetmask(&string(a(0), "prefix")?).map(Value::String)
        }
        "cidrsubnets" => {
            at_least(1)?;
            let bits = args[1..]
                .iter()
                .map(|v| int(v, "newbits"))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::List(
                crate::eval::cidr::cidrsubnets(&string(a(0), "prefix")?, &bits)?
                    .into_iter()
                    .map(Value::String)
                    .collect(),
            ))
        }
        "log" => {
            want(2)?;
            float_result(
                go_log(num(a(0), "number")?.to_f64()) / go_log(num(a(1), "base")?.to_f64()),
                "log",
            )
        }
        "bcrypt" => {
            if !(1..=2).contains(&n) {
                return Err(format!("expects 1 or 2 arguments, but got {n}"));
            }
            let cost = if n == 2 {
                Some(int(a(1), "cost")?)
            } else {
                None
            };
            crate::eval::crypto::bcrypt(&string(a(0), "str")?, cost).map(Value::String)
        }
        "rsadecrypt" => {
            want(2)?;
            crate::eval::crypto::rsadecrypt(
                &string(a(0), "ciphertext")?,
                &string(a(1), "privatekey")?,
            )
            .map(Value::String)
        }
        "base64sha256" | "base64sha512" => {
            want(1)?;
            Ok(Value::String(
                crate::eval::encoding::digest(name, string(a(0), "string")?.as_bytes())
                    .unwrap_or_default(),
            ))
        }
        "base64gzip" => {
            want(1)?;
            crate::eval::encoding::base64gzip(&string(a(0), "string")?).map(Value::String)
        }
        "textencodebase64" => {
            want(2)?;
            crate::eval::encoding::textencodebase64(
                &string(a(0), "string")?,
                &string(a(1), "encoding")?,
            )
            .map(Value::String)
        }
        "textdecodebase64" => {
            want(2)?;
            crate::eval::encoding::textdecodebase64(
                &string(a(0), "source")?,
                &string(a(1), "encoding")?,
            )
            .map(Value::String)
        }
        "csvdecode" => {
            want(1)?;
            crate::eval::encoding::csvdecode(&string(a(0), "string")?)
        }
        "uuidv5" => {
            want(2)?;
            crate::eval::encoding::uuidv5(&string(a(0), "namespace")?, &string(a(1), "name")?)
                .map(Value::String)
        }
        "provider::terraform::encode_tfvars" => {
            want(1)?;
            crate::eval::hclwrite::encode_tfvars(a(0)).map(Value::String)
        }
        "provider::terraform::decode_tfvars" => {
            want(1)?;
            crate::eval::hclwrite::decode_tfvars(&string(a(0), "src")?)
        }
        "provider::terraform::encode_expr" => {
            want(1)?;
            Ok(Value::String(crate::eval::hclwrite::expr(a(0), 0)))
        }
        "formatdate" => {
            want(2)?;
            crate::eval::time::formatdate(&string(a(0), "spec")?, &string(a(1), "timestamp")?)
                .map(Value::String)
        }
        "timeadd" => {
            want(2)?;
            crate::eval::time::timeadd(&string(a(0), "timestamp")?, &string(a(1), "duration")?)
                .map(Value::String)
        }
        "timecmp" => {
            want(2)?;
            crate::eval::time::timecmp(&string(a(0), "timestamp_a")?, &string(a(1), "timestamp_b")?)
                .map(|n| Value::from(n as i64))
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
fn template_file(text: &str, vars: mlform_provider::ValueMap, module_dir: &Path) -> R {
    let template = hcl_edit::parser::parse_template(text)
        .map_err(|e| format!("invalid template: {}", e.message()))?;
    let expr = hcl_edit::expr::Expression::HeredocTemplate(Box::new(
        hcl_edit::template::HeredocTemplate::new(hcl_edit::Ident::new("EOT"), template),
    ));
    struct Vars<'a>(mlform_provider::ValueMap, &'a Path);
    impl crate::eval::expr::Scope for Vars<'_> {
        fn resolve(
            &self,
            root: &str,
            _steps: &[crate::eval::expr::Step],
        ) -> Result<(Value, usize), crate::eval::expr::ScopeError> {
            self.0.get(root).map(|v| (v.clone(), 0)).ok_or_else(|| {
                crate::eval::expr::ScopeError::new(
                    "Invalid template variable",
                    format!("vars map does not contain key \"{root}\""),
                )
            })
        }
        fn working_dir(&self) -> &Path {
            self.1
        }
    }
    let scope = Vars(vars, module_dir);
    crate::eval::expr::Evaluator::new(&scope, 0)
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
    fn decoded_numbers_beyond_the_limits_are_errors() {
        let err = call("jsondecode", vec!["[1e999999]".into()], Path::new(".")).unwrap_err();
        assert!(err.contains("out of range"), "{err}");
        assert_eq!(
            c("jsondecode", vec!["12345678901234567890123".into()]).to_string(),
            "12345678901234567890123"
        );
    }

    #[test]
    fn string_functions() {
        assert_eq!(
            c(
                "format",
                vec!["%s-%03d".into(), "a".into(), Value::from(7i64)]
            )
            .as_str(),
            Some("a-007")
        );
        assert_eq!(
            c("format", vec!["%5.2f".into(), Value::from(3.14159)]).as_str(),
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
                vec!["hello".into(), Value::from(1i64), Value::from(3i64)]
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
                vec!["10.0.0.0/16".into(), Value::from(8i64), Value::from(2i64)]
            )
            .as_str(),
            Some("10.0.2.0/24")
        );
        assert_eq!(
            c("cidrhost", vec!["10.0.1.0/24".into(), Value::from(5i64)]).as_str(),
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
                Value::List(vec![Value::from(1i64), Value::from(2i64)]),
            ],
        );
        assert_eq!(m.to_json(), serde_json::json!({"a": 1, "b": 2}));
        assert_eq!(
            c("range", vec![Value::from(3i64)]).to_json(),
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
