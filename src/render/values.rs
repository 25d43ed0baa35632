//! Values as Terraform prints them outside a diff, in its two formats: the console format
//! of `apply`'s `Outputs:` and `output` ([`console`]: keys quoted, nothing aligned, a
//! multi-line string a heredoc, `<<-EOT` and indented when nested, a set `toset([...])`),
//! and the format of `show` and `state show` ([`show`]: four-space nesting, keys aligned).
//! mlform's values do not tell a map from an object or a list from a tuple, so both print
//! as `{...}` and `[...]` (Terraform's console prints `tomap(...)` and `tolist(...)`).

use std::fmt::Write as _;

use mlform_provider::Value;

/// `NAME = VALUE` lines in `format` ([`console`] or [`show`]), `<sensitive>` for a
/// sensitive output.
pub fn render_outputs(
    outputs: &[(String, Value, bool)],
    format: fn(&Value, usize) -> String,
) -> String {
    let mut out = String::new();
    for (name, v, sensitive) in outputs {
        if *sensitive || v.contains_sensitive() {
            let _ = writeln!(out, "{name} = <sensitive>");
        } else {
            let _ = writeln!(out, "{name} = {}", format(v, 0));
        }
    }
    out
}

/// One value in Terraform's console format, its nested lines indented past `indent`.
pub fn console(v: &Value, indent: usize) -> String {
    match v {
        Value::String(s) if s.contains('\n') => heredoc(s, indent),
        Value::Map(m) => {
            let mut s = "{".to_string();
            for (k, x) in m {
                let _ = write!(
                    s,
                    "\n{}{} = {}",
                    " ".repeat(indent + 2),
                    Value::from(k.as_str()),
                    console(x, indent + 2)
                );
            }
            close(s, m.is_empty(), indent, '}')
        }
        Value::List(items) => sequence(items, indent),
        Value::Set(items) => format!("toset({})", sequence(items, indent)),
        other => other.to_string(),
    }
}

/// A value as Terraform's `show` and `state show` print it: nested lines four spaces in,
/// keys aligned (quoted when not identifiers), multi-line strings as `<<-EOT` heredocs.
pub fn show(v: &Value, indent: usize) -> String {
    let pad = " ".repeat(indent);
    match v {
        Value::String(s) if s.contains('\n') => {
            let mut text = "<<-EOT".to_string();
            for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
                let _ = write!(text, "\n{pad}    {line}");
            }
            let _ = write!(text, "\n{pad}EOT");
            text
        }
        Value::Map(m) if !m.is_empty() => {
            let width = m
                .keys()
                .map(|k| super::human::key_text(k).len())
                .max()
                .unwrap_or(0);
            let mut s = "{\n".to_string();
            for (k, x) in m {
                let _ = writeln!(
                    s,
                    "{pad}    {:width$} = {}",
                    super::human::key_text(k),
                    show(x, indent + 4)
                );
            }
            s.push_str(&pad);
            s.push('}');
            s
        }
        Value::List(items) | Value::Set(items) if !items.is_empty() => {
            let mut s = "[\n".to_string();
            for x in items {
                let _ = writeln!(s, "{pad}    {},", show(x, indent + 4));
            }
            s.push_str(&pad);
            s.push(']');
            s
        }
        Value::Map(_) => "{}".into(),
        Value::List(_) | Value::Set(_) => "[]".into(),
        other => other.to_string(),
    }
}

fn sequence(items: &[Value], indent: usize) -> String {
    let mut s = "[".to_string();
    for x in items {
        let _ = write!(s, "\n{}{},", " ".repeat(indent + 2), console(x, indent + 2));
    }
    close(s, items.is_empty(), indent, ']')
}

fn close(mut s: String, empty: bool, indent: usize, bracket: char) -> String {
    if !empty {
        s.push('\n');
        s.push_str(&" ".repeat(indent));
    }
    s.push(bracket);
    s
}

/// A multi-line string as a heredoc: `<<EOT` at the top level, `<<-EOT` with its lines
/// indented when nested; the delimiter grows (`EOT_`) while a line would end it early.
fn heredoc(text: &str, indent: usize) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut delimiter = "EOT".to_string();
    while lines.iter().any(|l| l.trim() == delimiter) {
        delimiter.push('_');
    }
    let operator = if indent > 0 { "<<-" } else { "<<" };
    let pad = " ".repeat(indent);
    let mut s = format!("{operator}{delimiter}");
    for line in lines {
        let _ = write!(s, "\n{pad}{line}");
    }
    let _ = write!(s, "\n{pad}{delimiter}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_console_format() {
        let v = Value::object([
            ("k", Value::from("p\nq")),
            ("l", Value::List(vec![Value::from("m\nn")])),
            ("with space", Value::Bool(true)),
            ("empty", Value::List(vec![])),
        ]);
        assert_eq!(
            console(&v, 0),
            "{\n  \"empty\" = []\n  \"k\" = <<-EOT\n  p\n  q\n  EOT\n  \"l\" = [\n    <<-EOT\n    m\n    n\n    EOT,\n  ]\n  \"with space\" = true\n}"
        );
        assert_eq!(
            console(&Value::from("line1\nline2\n"), 0),
            "<<EOT\nline1\nline2\n\nEOT"
        );
        assert_eq!(
            console(&Value::from("a\nEOT\nb"), 0),
            "<<EOT_\na\nEOT\nb\nEOT_"
        );
        assert_eq!(
            console(&Value::Set(vec![Value::from("a"), Value::from("b")]), 0),
            "toset([\n  \"a\",\n  \"b\",\n])"
        );
    }
}
