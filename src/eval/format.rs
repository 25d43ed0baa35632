//! Terraform's `format` verbs, as its Go implementation prints them: `%[flags][[n]][width]
//! [.prec]verb`, numbers through Go's big.Int and big.Float formatting so every digit matches.

use mlform_provider::{BigUint, Number, Value};

use super::types::{to_bool, to_number, to_string};

/// The largest width or precision in a `format` verb: 65,535 (Terraform's Go fmt refuses
/// widths past 1e6; no real format string comes near either).
pub(super) const MAX_FORMAT_WIDTH: usize = u16::MAX as usize;

#[derive(Default)]
struct Verb {
    raw: String,
    offset: usize,
    minus: bool,
    plus: bool,
    space: bool,
    sharp: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
    mode: char,
}

/// Formats `args` by `fmt` as Terraform's `format` function.
pub(super) fn format(fmt: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let chars: Vec<(usize, char)> = fmt.char_indices().collect();
    let mut i = 0;
    let mut next_arg = 0usize;
    while i < chars.len() {
        let (offset, c) = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.get(i).map(|c| c.1) == Some('%') {
            i += 1;
            out.push('%');
            continue;
        }
        let mut verb = Verb {
            offset,
            ..Verb::default()
        };
        while let Some(&(_, f)) = chars.get(i) {
            match f {
                '-' => verb.minus = true,
                '+' => verb.plus = true,
                ' ' => verb.space = true,
                '#' => verb.sharp = true,
                '0' => verb.zero = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i).map(|c| c.1) == Some('[') {
            let start = i + 1;
            let mut end = start;
            while chars.get(end).is_some_and(|c| c.1.is_ascii_digit()) {
                end += 1;
            }
            if end == start || chars.get(end).map(|c| c.1) != Some(']') {
                return Err(format!(
                    "unrecognized format character '[' at offset {}",
                    chars[i].0
                ));
            }
            let n: usize = digits(&chars[start..end]).parse().unwrap_or(usize::MAX);
            next_arg = n.saturating_sub(1);
            i = end + 1;
        }
        let width_start = i;
        while chars.get(i).is_some_and(|c| c.1.is_ascii_digit()) {
            i += 1;
        }
        verb.width = bounded(&digits(&chars[width_start..i]), "width")?;
        if chars.get(i).map(|c| c.1) == Some('.') {
            i += 1;
            let prec_start = i;
            while chars.get(i).is_some_and(|c| c.1.is_ascii_digit()) {
                i += 1;
            }
            verb.prec = Some(bounded(&digits(&chars[prec_start..i]), "precision")?.unwrap_or(0));
        }
        let Some(&(at, mode)) = chars.get(i) else {
            return Err(format!(
                "invalid format string starting at offset {offset}: a verb is required"
            ));
        };
        i += 1;
        if !mode.is_ascii_alphabetic() {
            return Err(format!(
                "unrecognized format character '{mode}' at offset {at}"
            ));
        }
        verb.mode = mode;
        let end = chars.get(i).map_or(fmt.len(), |c| c.0);
        verb.raw = fmt[offset..end].to_string();
        let arg = args.get(next_arg).ok_or_else(|| {
            format!(
                "not enough arguments for {:?} at {}: need index {} but have {} total",
                verb.raw,
                verb.offset,
                next_arg + 1,
                args.len()
            )
        })?;
        next_arg += 1;
        append(&verb, arg, &mut out)?;
    }
    Ok(out)
}

fn digits(chars: &[(usize, char)]) -> String {
    chars.iter().map(|c| c.1).collect()
}

fn bounded(digits: &str, what: &str) -> Result<Option<usize>, String> {
    if digits.is_empty() {
        return Ok(None);
    }
    match digits.parse::<usize>() {
        Ok(n) if n <= MAX_FORMAT_WIDTH => Ok(Some(n)),
        _ => Err(format!(
            "the {what} {digits} is larger than {MAX_FORMAT_WIDTH}, the limit on format widths and precisions"
        )),
    }
}

fn append(verb: &Verb, arg: &Value, out: &mut String) -> Result<(), String> {
    let unsupported = |why: &str| {
        format!(
            "unsupported value for {:?} at {}: {why}",
            verb.raw, verb.offset
        )
    };
    if verb.mode != 'v' && arg.is_null() {
        return Err(unsupported("null value cannot be formatted"));
    }
    let text = match verb.mode {
        'v' => match arg.unmark().0 {
            Value::String(s) if !verb.sharp => s.clone(),
            Value::Number(n) if !verb.sharp => n.text('g', -1),
            other => go_json(other),
        },
        't' => to_bool(arg)
            .ok_or_else(|| unsupported("a bool is required"))?
            .to_string(),
        's' => {
            let s = to_string(arg).ok_or_else(|| unsupported("string required"))?;
            match verb.prec {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            }
        }
        'q' => {
            let s = to_string(arg).ok_or_else(|| unsupported("string required"))?;
            serde_json::to_string(&s).unwrap_or_default()
        }
        'b' | 'd' | 'o' | 'x' | 'X' => {
            let n = to_number(arg).ok_or_else(|| unsupported("a number is required"))?;
            if !n.is_integer() {
                return Err(unsupported("an integer is required"));
            }
            let (neg, mag) = n.trunc_parts();
            return Ok(integer(verb, neg, &mag, out));
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            let n = to_number(arg).ok_or_else(|| unsupported("a number is required"))?;
            return Ok(float(verb, &n, out));
        }
        other => {
            return Err(format!(
                "unsupported format verb {other:?} in {:?} at offset {}",
                verb.raw, verb.offset
            ))
        }
    };
    pad(verb, "", &text, out);
    Ok(())
}

/// JSON as Terraform's `%#v` and `%v` print non-primitive values.
fn go_json(v: &Value) -> String {
    super::gocompat::go_json_escape(&serde_json::to_string(&v.to_json_exact()).unwrap_or_default())
}

/// Go's big.Int formatting: sign flags, `#` prefixes, precision as minimum digits, padding.
fn integer(verb: &Verb, neg: bool, mag: &BigUint, out: &mut String) {
    let (radix, prefix) = match verb.mode {
        'b' => (2, "0b"),
        'o' => (8, "0"),
        'x' => (16, "0x"),
        'X' => (16, "0X"),
        _ => (10, ""),
    };
    let mut digits = mag.to_str_radix(radix);
    if verb.mode == 'X' {
        digits = digits.to_uppercase();
    }
    if let Some(p) = verb.prec {
        if p == 0 && digits == "0" {
            digits.clear();
        }
        if digits.len() < p {
            digits = format!("{}{digits}", "0".repeat(p - digits.len()));
        }
    }
    let mut sign = String::new();
    if neg {
        sign.push('-');
    } else if verb.plus {
        sign.push('+');
    } else if verb.space {
        sign.push(' ');
    }
    if verb.sharp && radix != 10 {
        sign.push_str(prefix);
    }
    let zero_pad = verb.zero && !verb.minus && verb.prec.is_none();
    pad_number(verb, &sign, &digits, zero_pad, out);
}

/// Go's big.Float formatting for `e E f F g G`.
fn float(verb: &Verb, n: &Number, out: &mut String) {
    let mut format = verb.mode;
    if format == 'F' {
        format = 'f';
    }
    let prec = match (format, verb.prec) {
        (_, Some(p)) => p as i64,
        ('g' | 'G', None) => -1,
        _ => 6,
    };
    let text = n.text(format, prec);
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None if verb.plus => ("+", text.as_str()),
        None if verb.space => (" ", text.as_str()),
        None => ("", text.as_str()),
    };
    pad_number(verb, sign, body, verb.zero && !verb.minus, out);
}

fn pad_number(verb: &Verb, sign: &str, body: &str, zero_pad: bool, out: &mut String) {
    let len = sign.chars().count() + body.chars().count();
    let padding = verb.width.unwrap_or(0).saturating_sub(len);
    if zero_pad {
        out.push_str(sign);
        out.push_str(&"0".repeat(padding));
        out.push_str(body);
    } else {
        pad(verb, sign, body, out);
    }
}

fn pad(verb: &Verb, sign: &str, body: &str, out: &mut String) {
    let len = sign.chars().count() + body.chars().count();
    let padding = " ".repeat(verb.width.unwrap_or(0).saturating_sub(len));
    if verb.minus {
        out.push_str(sign);
        out.push_str(body);
        out.push_str(&padding);
    } else {
        out.push_str(&padding);
        out.push_str(sign);
        out.push_str(body);
    }
}
