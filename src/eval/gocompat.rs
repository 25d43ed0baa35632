//! What Terraform's functions inherit from Go, reproduced so values match to the byte: fmt
//! verbs (`format`), encoding/json escaping, the YAML style of `yamlencode`, Unicode simple
//! case mapping, math.Log, big.Int parsing, and filepath's Base and Dir.

use mlform_provider::{format_number, Value};

use super::types::{to_bool, to_number, to_string};

/// The largest width or precision in a `format` verb: 65,535 (Terraform's Go fmt refuses
/// widths past 1e6; no real format string comes near either).
const MAX_FORMAT_WIDTH: usize = u16::MAX as usize;

/// YAML in the style of Terraform's yamlencode: block style, keys and strings double-quoted
/// (characters outside the Basic Multilingual Plane as `\U0001F914`), multi-line strings as
/// literal blocks (`|`, or `|-` without a final newline).
pub(super) fn yaml(v: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value as J;
    let pad = " ".repeat(indent);
    let quoted = |s: &str| -> String {
        let json = serde_json::to_string(s).unwrap_or_default();
        let mut q = String::with_capacity(json.len());
        for c in json.chars() {
            if (c as u32) > 0xFFFF {
                q.push_str(&format!("\\U{:08X}", c as u32));
            } else {
                q.push(c);
            }
        }
        q
    };
    let block = |s: &str, indent: usize| -> String {
        let header = if s.ends_with('\n') { "|" } else { "|-" };
        let body = s.strip_suffix('\n').unwrap_or(s);
        let pad = " ".repeat(indent);
        let mut text = format!("{header}\n");
        for line in body.split('\n') {
            if line.is_empty() {
                text.push('\n');
            } else {
                text.push_str(&format!("{pad}{line}\n"));
            }
        }
        text
    };
    let multiline = |v: &J| matches!(v, J::String(s) if s.contains('\n') && !s.ends_with("\n\n"));
    let scalar = |v: &J| -> Option<String> {
        match v {
            J::Null => Some("null".into()),
            J::Bool(b) => Some(b.to_string()),
            J::Number(n) => Some(n.to_string()),
            J::String(s) => Some(quoted(s)),
            J::Array(a) if a.is_empty() => Some("[]".into()),
            J::Object(o) if o.is_empty() => Some("{}".into()),
            _ => None,
        }
    };
    match v {
        J::Object(o) if !o.is_empty() => {
            for (k, x) in o {
                let key = quoted(k);
                if multiline(x) {
                    out.push_str(&format!(
                        "{pad}{key}: {}",
                        block(x.as_str().unwrap_or_default(), indent + 2)
                    ));
                    continue;
                }
                match scalar(x) {
                    Some(s) => out.push_str(&format!("{pad}{key}: {s}\n")),
                    None => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        yaml(x, if x.is_array() { indent } else { indent + 2 }, out);
                    }
                }
            }
        }
        J::Array(a) if !a.is_empty() => {
            for x in a {
                if multiline(x) {
                    out.push_str(&format!(
                        "{pad}- {}",
                        block(x.as_str().unwrap_or_default(), indent + 2)
                    ));
                    continue;
                }
                match scalar(x) {
                    Some(s) => out.push_str(&format!("{pad}- {s}\n")),
                    None => {
                        let mut inner = String::new();
                        yaml(x, indent + 2, &mut inner);
                        let trimmed = inner.trim_start();
                        out.push_str(&format!("{pad}- {trimmed}"));
                    }
                }
            }
        }
        other if multiline(other) => {
            out.push_str(&block(other.as_str().unwrap_or_default(), indent + 2))
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other).unwrap_or_default())),
    }
}

/// An integer in base 2 to 62, as Go's big.Int reads it: for bases up to 36 letters are
/// either case; above, `a`–`z` are 10–35 and `A`–`Z` 36–61.
pub(super) fn parse_int(s: &str, base: u32) -> Option<i64> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: i64 = 0;
    for c in digits.chars() {
        let d = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 10,
            'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
            'A'..='Z' => c as u32 - 'A' as u32 + 36,
            _ => return None,
        };
        if d >= base {
            return None;
        }
        n = n.checked_mul(base as i64)?.checked_add(d as i64)?;
    }
    Some(if neg { -n } else { n })
}

/// The natural logarithm as Go's math.Log computes it (FreeBSD's e_log.c), so `log` gives
/// Terraform's last digit, which the platform's libm does not always.
pub(super) fn go_log(x: f64) -> f64 {
    const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-01;
    const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
    const L1: f64 = 6.666_666_666_666_735_130e-01;
    const L2: f64 = 3.999_999_999_940_941_908e-01;
    const L3: f64 = 2.857_142_874_366_239_149e-01;
    const L4: f64 = 2.222_219_843_214_978_396e-01;
    const L5: f64 = 1.818_357_216_161_805_012e-01;
    const L6: f64 = 1.531_383_769_920_937_332e-01;
    const L7: f64 = 1.479_819_860_511_658_591e-01;
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    // frexp: x = f1 * 2^ki with f1 in [0.5, 1).
    let (mut f1, mut ki) = {
        let (mut m, mut e) = (x, 0i32);
        if m.abs() < f64::MIN_POSITIVE {
            m *= (1u64 << 52) as f64;
            e = -52;
        }
        let bits = m.to_bits();
        e += ((bits >> 52) & 0x7ff) as i32 - 1022;
        (
            f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52)),
            e,
        )
    };
    if f1 < std::f64::consts::SQRT_2 / 2.0 {
        f1 *= 2.0;
        ki -= 1;
    }
    let f = f1 - 1.0;
    let k = ki as f64;
    let s = f / (2.0 + f);
    let s2 = s * s;
    let s4 = s2 * s2;
    let t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7)));
    let t2 = s4 * (L2 + s4 * (L4 + s4 * L6));
    let r = t1 + t2;
    let hfsq = 0.5 * f * f;
    k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
}

/// Go's `unicode.ToUpper` on one rune (Unicode's simple case mapping, which Terraform uses):
/// a character whose uppercase is several characters (`ß`) stays as it is.
pub(super) fn simple_upper(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Go's `unicode.ToLower` on one rune: `İ` becomes `i`, not `i` with a combining dot.
pub(super) fn simple_lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// JSON as Go's encoding/json writes it (and so Terraform's jsonencode): `<`, `>` and `&`
/// escaped as \u003c, \u003e and \u0026, and the line and paragraph separators as
/// \u2028 and \u2029, so the text is safe inside HTML.
pub(super) fn go_json_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Go's `filepath.Base`: the last element, trailing slashes ignored; "." for "" and "/"
/// for a root.
pub(super) fn go_base(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// Go's `filepath.Dir`: everything before the last element, cleaned.
pub(super) fn go_dir(path: &str) -> String {
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => return ".".into(),
    };
    let rooted = dir.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for p in dir.split('/') {
        match p {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Terraform's `format` verbs: %s %d %f %.Nf %q %v %t %%, with width and `-` padding.
pub(super) fn format(fmt: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    let mut next_arg = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut spec = String::new();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() || d == '.' || d == '-' || d == '+' || d == '#' || d == ' ' {
                spec.push(d);
                chars.next();
            } else {
                break;
            }
        }
        let verb = chars
            .next()
            .ok_or("format string ends with an unfinished verb")?;
        let arg = args
            .get(next_arg)
            .ok_or_else(|| format!("not enough arguments for format string {fmt:?}"))?;
        next_arg += 1;
        let flags: &str = &spec[..spec.len() - spec.trim_start_matches(['-', '+', '#', ' ']).len()];
        let left = flags.contains('-');
        let plus = flags.contains('+');
        let space = flags.contains(' ');
        let alt = flags.contains('#');
        let spec = spec.trim_start_matches(['-', '+', '#', ' ']);
        let zero = spec.starts_with('0') && !left;
        let (width, precision) = match spec.split_once('.') {
            Some((w, p)) => (w, p),
            None => (spec, ""),
        };
        let bounded = |digits: &str, what: &str| -> Result<Option<usize>, String> {
            if digits.is_empty() {
                return Ok(None);
            }
            match digits.parse::<usize>() {
                Ok(n) if n <= MAX_FORMAT_WIDTH => Ok(Some(n)),
                _ => Err(format!(
                    "the {what} in %{spec}{verb} is larger than {MAX_FORMAT_WIDTH}, the limit on format widths and precisions"
                )),
            }
        };
        let (width, precision) = (bounded(width, "width")?, bounded(precision, "precision")?);
        let text = match verb {
            's' | 'v' => {
                let text = to_string(arg)
                    .unwrap_or_else(|| serde_json::to_string(&arg.to_json()).unwrap_or_default());
                match precision {
                    Some(p) => text.chars().take(p).collect(),
                    None => text,
                }
            }
            'q' => serde_json::to_string(&to_string(arg).ok_or("%q needs a string")?)
                .unwrap_or_default(),
            't' => to_bool(arg).ok_or("%t needs a bool")?.to_string(),
            'd' => {
                let n = to_number(arg)
                    .ok_or_else(|| format!("%d needs a number, got {}", arg.type_name()))?;
                let n = n.trunc() as i64;
                match (n >= 0, plus, space) {
                    (true, true, _) => format!("+{n}"),
                    (true, false, true) => format!(" {n}"),
                    _ => n.to_string(),
                }
            }
            'f' | 'g' | 'e' => {
                let n = to_number(arg).ok_or_else(|| format!("%{verb} needs a number"))?;
                match (verb, precision) {
                    ('f', p) => format!("{:.*}", p.unwrap_or(6), n),
                    ('e', p) => format!("{:.*e}", p.unwrap_or(6), n),
                    _ => format_number(n),
                }
            }
            'x' if alt => format!("{:#x}", to_number(arg).ok_or("%x needs a number")? as i64),
            'x' => format!("{:x}", to_number(arg).ok_or("%x needs a number")? as i64),
            'X' => format!("{:X}", to_number(arg).ok_or("%X needs a number")? as i64),
            'o' if alt => format!("0{:o}", to_number(arg).ok_or("%o needs a number")? as i64),
            'o' => format!("{:o}", to_number(arg).ok_or("%o needs a number")? as i64),
            'b' => format!("{:b}", to_number(arg).ok_or("%b needs a number")? as i64),
            other => return Err(format!("unsupported format verb %{other}")),
        };
        let pad = width.unwrap_or(0).saturating_sub(text.chars().count());
        if left {
            out.push_str(&text);
            out.push_str(&" ".repeat(pad));
        } else if zero && matches!(verb, 'd' | 'f' | 'x' | 'X' | 'o' | 'b') {
            let (sign, digits) = if let Some(d) = text.strip_prefix('-') {
                ("-", d)
            } else {
                ("", text.as_str())
            };
            out.push_str(sign);
            out.push_str(&"0".repeat(pad));
            out.push_str(digits);
        } else {
            out.push_str(&" ".repeat(pad));
            out.push_str(&text);
        }
    }
    Ok(out)
}
