//! What Terraform's functions inherit from Go, reproduced so values match to the byte: fmt
//! encoding/json escaping, the YAML style of `yamlencode`, Unicode simple
//! case mapping, math.Log, big.Int parsing, and filepath's Base and Dir.

use mlform_provider::BigUint;

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
pub(super) fn parse_int(s: &str, base: u32) -> Option<(bool, BigUint)> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if digits.is_empty() {
        return None;
    }
    if digits.len() > mlform_provider::MAX_NUMBER_TEXT {
        return None;
    }
    let mut n = BigUint::default();
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
        n = n * base + d;
    }
    Some((neg, n))
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

/// Go's `unicode.ToTitle` on one rune: the uppercase, except for the Latin digraphs that
/// have a title-case form of their own (`ǆ` → `ǅ`).
pub(super) fn simple_title(c: char) -> char {
    match c {
        '\u{01C4}'..='\u{01C6}' => '\u{01C5}',
        '\u{01C7}'..='\u{01C9}' => '\u{01C8}',
        '\u{01CA}'..='\u{01CC}' => '\u{01CB}',
        '\u{01F1}'..='\u{01F3}' => '\u{01F2}',
        _ => simple_upper(c),
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
