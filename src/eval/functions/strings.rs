//! String functions: formatting, case, trimming, splitting, substrings, regular expressions, templates held in strings.

use super::*;

pub(super) const NAMES: &[&str] = &[
    "format",
    "formatlist",
    "join",
    "split",
    "replace",
    "lower",
    "upper",
    "title",
    "trimspace",
    "chomp",
    "trim",
    "trimprefix",
    "trimsuffix",
    "startswith",
    "endswith",
    "strrev",
    "substr",
    "indent",
    "regex",
    "regexall",
    "strcontains",
    "templatestring",
];

pub(super) fn call(name: &str, args: &[Value], module_dir: &Path) -> R {
    arity!(args, n, a, want, at_least);
    match name {
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
                    out.push(crate::eval::gocompat::simple_title(c));
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
            let s = string(a(0), "string")?;
            Ok(Value::String(
                unicode_segmentation::UnicodeSegmentation::graphemes(s.as_str(), true)
                    .rev()
                    .collect(),
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
        "strcontains" => {
            want(2)?;
            Ok(Value::Bool(
                string(a(0), "string")?.contains(&string(a(1), "substr")?),
            ))
        }
        "templatestring" => {
            want(2)?;
            template_file(&string(a(0), "template")?, map(a(1), "vars")?, module_dir)
        }
        other => Err(format!("function \"{other}\" is not implemented")),
    }
}
