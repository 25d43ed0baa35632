//! `yamldecode` as Terraform decodes YAML (go-cty-yaml): one document, scalars resolved by
//! YAML 1.1's implicit rules (`yes`/`no`/`on`/`off`, `0x`/`0o` integers, timestamps as
//! RFC 3339 strings) unless quoted, anchors and aliases, `<<` merge keys. A parse that only
//! sees values (as serde does) cannot tell `'007'` from `007`; the event stream can.

use std::collections::{HashMap, HashSet};

use mlform_provider::{Number, Value, ValueMap};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::types::to_string;

/// Values (nodes, counting every alias expansion) one document may decode to.
pub const MAX_YAML_NODES: usize = 1_000_000;

const TAG_PREFIX: &str = "tag:yaml.org,2002:";

pub fn decode(src: &str) -> Result<Value, String> {
    let src = if src.is_empty() { "\n" } else { src };
    let mut d = Decoder {
        parser: Parser::new_from_str(src),
        anchors: HashMap::new(),
        pending: HashSet::new(),
        nodes: 0,
    };
    let (ev, mark) = d.next()?;
    if ev != Event::StreamStart {
        return Err(at(mark, "missing stream start token"));
    }
    let (ev, mark) = d.next()?;
    if ev != Event::DocumentStart {
        return Err(at(mark, "missing start of document"));
    }
    let value = d.node()?;
    let (ev, mark) = d.next()?;
    if ev != Event::DocumentEnd {
        return Err(at(mark, "unexpected extra content after value"));
    }
    let (ev, mark) = d.next()?;
    if ev != Event::StreamEnd {
        return Err(at(mark, "unexpected extra content after value"));
    }
    Ok(value)
}

fn at(mark: Marker, msg: &str) -> String {
    format!("on line {}, column {}: {msg}", mark.line(), mark.col() + 1)
}

struct Decoder<'a> {
    parser: Parser<std::str::Chars<'a>>,
    anchors: HashMap<usize, (Value, usize)>,
    pending: HashSet<usize>,
    nodes: usize,
}

impl Decoder<'_> {
    fn next(&mut self) -> Result<(Event, Marker), String> {
        self.parser
            .next_token()
            .map_err(|e| at(*e.marker(), e.info()))
    }

    fn count(&mut self, n: usize, mark: Marker) -> Result<(), String> {
        self.nodes += n;
        if self.nodes > MAX_YAML_NODES {
            return Err(at(
                mark,
                &format!(
                    "the document expands to more than {MAX_YAML_NODES} values (aliases counted each time they are used)"
                ),
            ));
        }
        Ok(())
    }

    fn node(&mut self) -> Result<Value, String> {
        let (ev, mark) = self.next()?;
        self.node_from(ev, mark)
    }

    fn node_from(&mut self, ev: Event, mark: Marker) -> Result<Value, String> {
        let before = self.nodes;
        let (value, anchor) = match ev {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, mark)?;
                let tag = tag_name(tag.as_ref());
                (
                    resolve(&tag, &text, style).map_err(|e| at(mark, &e))?,
                    anchor,
                )
            }
            Event::Alias(id) => {
                if self.pending.contains(&id) {
                    return Err(at(
                        mark,
                        "cannot refer to an anchor from inside its own definition",
                    ));
                }
                let (value, size) = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| at(mark, "reference to undefined anchor"))?;
                self.count(size, mark)?;
                return Ok(value);
            }
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "seq", "sequence", mark)?;
                self.count(1, mark)?;
                self.pending.insert(anchor);
                let mut items = Vec::new();
                loop {
                    let (ev, mark) = self.next()?;
                    if ev == Event::SequenceEnd {
                        break;
                    }
                    items.push(self.node_from(ev, mark)?);
                }
                (Value::List(items), anchor)
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "map", "mapping", mark)?;
                self.count(1, mark)?;
                self.pending.insert(anchor);
                (Value::Map(self.mapping()?), anchor)
            }
            Event::StreamEnd => return Err(at(mark, "expecting value but found end of stream")),
            Event::DocumentStart => return Err(at(mark, "only a single document is allowed")),
            _ => return Err(at(mark, "unexpected parser event")),
        };
        if anchor != 0 {
            self.pending.remove(&anchor);
            self.anchors
                .insert(anchor, (value.clone(), self.nodes - before));
        }
        Ok(value)
    }

    fn mapping(&mut self) -> Result<ValueMap, String> {
        let mut out = ValueMap::new();
        loop {
            let (ev, mark) = self.next()?;
            let (text, style, tag) = match ev {
                Event::MappingEnd => return Ok(out),
                Event::Scalar(text, style, _, tag) => (text, style, tag),
                _ => return Err(at(mark, "only strings are allowed as mapping keys")),
            };
            if text == "<<" && style == TScalarStyle::Plain && tag.is_none() {
                match self.node()? {
                    Value::Map(m) => out.extend(m),
                    Value::List(items) => {
                        for item in items {
                            match item {
                                Value::Map(m) => out.extend(m),
                                other => {
                                    return Err(at(
                                        mark,
                                        &format!(
                                            "cannot merge {} (from sequence) into mapping",
                                            kind(&other)
                                        ),
                                    ))
                                }
                            }
                        }
                    }
                    other => {
                        return Err(at(
                            mark,
                            &format!("cannot merge {} into mapping", kind(&other)),
                        ))
                    }
                }
                continue;
            }
            let key = resolve(&tag_name(tag.as_ref()), &text, style).map_err(|e| at(mark, &e))?;
            if key.is_null() {
                return Err(at(mark, "mapping key cannot be null"));
            }
            let key = match &key {
                Value::String(s) => s.clone(),
                Value::Number(_) | Value::Bool(_) => to_string(&key).unwrap_or_default(),
                _ => return Err(at(mark, "only strings are allowed as mapping keys")),
            };
            let value = self.node()?;
            out.insert(key, value);
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Null => "null",
        Value::List(_) => "tuple",
        _ => "value",
    }
}

fn tag_name(tag: Option<&Tag>) -> String {
    tag.map(|t| format!("{}{}", t.handle, t.suffix))
        .unwrap_or_default()
}

fn check_collection_tag(
    tag: Option<&Tag>,
    want: &str,
    what: &str,
    mark: Marker,
) -> Result<(), String> {
    let name = tag_name(tag);
    if name.is_empty() || name == format!("{TAG_PREFIX}{want}") {
        Ok(())
    } else {
        Err(at(mark, &format!("can't interpret {what} as {name}")))
    }
}

/// go-cty-yaml's resolveScalar.
fn resolve(tag: &str, src: &str, style: TScalarStyle) -> Result<Value, String> {
    let short = tag.strip_prefix(TAG_PREFIX);
    let resolvable = tag.is_empty()
        || matches!(
            short,
            Some("str" | "bool" | "int" | "float" | "null" | "timestamp" | "binary")
        );
    if !resolvable {
        return Err(format!("unsupported tag {tag:?}"));
    }
    let mut short = short.unwrap_or("");
    let hint = match src.as_bytes().first() {
        None => Some('N'),
        Some(b'+' | b'-') => Some('S'),
        Some(b'0'..=b'9') => Some('D'),
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => {
            Some('M')
        }
        Some(b'.') => Some('.'),
        _ => None,
    };
    if let Some(hint) = hint.filter(|_| !matches!(short, "str" | "binary")) {
        if matches!(
            style,
            TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted
        ) {
            return Ok(Value::String(src.to_string()));
        }
        if let Some(v) = implicit(src) {
            return v;
        }
        if tag.is_empty() && matches!(src, ".nan" | ".NaN" | ".NAN") {
            return Err("floating point NaN is not supported".into());
        }
        match hint {
            '.' => {
                if let Ok(n) = Number::parse(src) {
                    return Ok(Value::Number(n));
                }
            }
            'D' | 'S' => {
                if short.is_empty() || short == "timestamp" {
                    if let Some(t) = parse_timestamp(src) {
                        return Ok(Value::String(t));
                    }
                }
                if is_integer_literal(src) {
                    short = "int";
                } else if is_float_literal(src) {
                    short = "float";
                }
            }
            _ => {}
        }
    }
    match short {
        "str" => Ok(Value::String(src.to_string())),
        "binary" => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(src)
                .map(|_| Value::String(src.to_string()))
                .map_err(|_| format!("cannot parse {src:?} as {tag}: not valid base64"))
        }
        "bool" => match implicit(src) {
            Some(Ok(Value::Bool(b))) => Ok(Value::Bool(b)),
            _ => Err(format!("cannot parse {src:?} as {tag}")),
        },
        "int" | "float" => {
            let plain = src.replace('_', "");
            if let Ok(n) = Number::parse(&plain) {
                return Ok(Value::Number(n));
            }
            go_parse_int(&plain)
                .map(Value::Number)
                .ok_or_else(|| format!("cannot parse {src:?} as {tag}"))
        }
        "timestamp" => parse_timestamp(src)
            .map(Value::String)
            .ok_or_else(|| format!("cannot parse {src:?} as {tag}")),
        "null" => Ok(Value::Null),
        _ => Ok(Value::String(src.to_string())),
    }
}

/// YAML 1.1's words for booleans, null and infinity.
fn implicit(src: &str) -> Option<Result<Value, String>> {
    Some(match src {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Ok(Value::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Ok(Value::Bool(false))
        }
        "" | "~" | "null" | "Null" | "NULL" => Ok(Value::Null),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF" => {
            Err(format!(
                "{src} is infinite, which a Terraform number cannot hold"
            ))
        }
        _ => return None,
    })
}

/// YAML 1.2's integer literal: optional sign, then `0o` octal, decimal or `0x` hex, with `_`.
fn is_integer_literal(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let all = |t: &str, ok: fn(u8) -> bool| !t.is_empty() && t.bytes().all(|b| b == b'_' || ok(b));
    if let Some(rest) = s.strip_prefix("0o") {
        if all(rest, |b| (b'0'..=b'7').contains(&b)) {
            return true;
        }
    }
    if let Some(rest) = s.strip_prefix("0x") {
        if all(rest, |b| b.is_ascii_hexdigit()) {
            return true;
        }
    }
    all(s, |b| b.is_ascii_digit())
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_float_literal(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    mantissa_ok && exp.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
}

/// Go's strconv.ParseInt / ParseUint with base 0 (prefixes `0x`, `0o`, `0b`, `0`), 64 bits.
fn go_parse_int(s: &str) -> Option<Number> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        let v = 0i64.checked_sub_unsigned(magnitude)?;
        Some(Number::from_i64(v))
    } else {
        Some(Number::from_u64(magnitude))
    }
}

/// A YAML timestamp in the forms go-cty-yaml accepts (Go's layouts `2006-1-2T15:4:5.999999999Z07:00`,
/// the same with `t`, `2006-1-2 15:4:5.999999999` and `2006-1-2`), as RFC 3339 (fraction dropped).
pub fn parse_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let mut p = Cursor { s: b, i: 5 };
    let year: i64 = s[..4].parse().ok()?;
    let month = p.num(1, 12)?;
    p.expect(b'-')?;
    let day = p.num(1, 31)?;
    if day > days_in_month(year, month) {
        return None;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if p.done() {
        return Some(format!("{date}T00:00:00Z"));
    }
    let sep = p.take()?;
    let zoned = match sep {
        b'T' | b't' => true,
        b' ' => false,
        _ => return None,
    };
    let hour = p.num(0, 23)?;
    p.expect(b':')?;
    let minute = p.num(0, 59)?;
    p.expect(b':')?;
    let second = p.num(0, 59)?;
    if p.peek() == Some(b'.') || p.peek() == Some(b',') {
        if p.s.get(p.i + 1).is_some_and(u8::is_ascii_digit) {
            p.i += 1;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.i += 1;
            }
        }
    }
    let time = format!("{hour:02}:{minute:02}:{second:02}");
    if !zoned {
        return p.done().then(|| format!("{date}T{time}Z"));
    }
    let zone = match p.take()? {
        b'Z' => "Z".to_string(),
        sign @ (b'+' | b'-') => {
            let hh = p.fixed2(0, 23)?;
            p.expect(b':')?;
            let mm = p.fixed2(0, 59)?;
            if hh == 0 && mm == 0 {
                "Z".to_string()
            } else {
                format!("{}{hh:02}:{mm:02}", sign as char)
            }
        }
        _ => return None,
    };
    p.done().then(|| format!("{date}T{time}{zone}"))
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn take(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }
    fn done(&self) -> bool {
        self.i == self.s.len()
    }
    fn expect(&mut self, c: u8) -> Option<()> {
        (self.take()? == c).then_some(())
    }
    /// One or two digits, as Go's non-fixed number fields.
    fn num(&mut self, min: u32, max: u32) -> Option<u32> {
        let start = self.i;
        while self.i < self.s.len() && self.i - start < 2 && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        let v: u32 = std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .parse()
            .ok()?;
        (min..=max).contains(&v).then_some(v)
    }
    fn fixed2(&mut self, min: u32, max: u32) -> Option<u32> {
        let d = self.s.get(self.i..self.i + 2)?;
        if !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += 2;
        let v = u32::from(d[0] - b'0') * 10 + u32::from(d[1] - b'0');
        (min..=max).contains(&v).then_some(v)
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(src: &str) -> String {
        decode(src)
            .map(|v| v.to_json().to_string())
            .unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn yaml_1_1_scalars_as_terraform_resolves_them() {
        assert_eq!(
            json("a: &x 1\nb: *x\nc: [1, 2.5, true, null, ~, yes, 0x1F, 0o17, 1e3, '007']"),
            r#"{"a":1,"b":1,"c":[1,2.5,true,null,null,true,31,15,1000,"007"]}"#
        );
        assert_eq!(json("2001-12-14"), r#""2001-12-14T00:00:00Z""#);
        assert_eq!(
            json("2001-12-14t21:59:43.10-05:00"),
            r#""2001-12-14T21:59:43-05:00""#
        );
        assert_eq!(json("2001-12-14 21:59:43.10"), r#""2001-12-14T21:59:43Z""#);
        assert_eq!(json("2001-02-30"), r#""2001-02-30""#);
        assert_eq!(
            json("[on, Off, n, '1', \"yes\", 017, -0x10, 1_000]"),
            r#"[true,false,false,"1","yes",17,-16,1000]"#
        );
        assert_eq!(json("!!str 12"), r#""12""#);
        assert_eq!(json("!!int 0b101"), "5");
    }

    #[test]
    fn merge_keys_and_keys_that_are_not_strings() {
        assert_eq!(
            json("base: &b {p: 1, q: 2}\nd:\n  <<: *b\n  q: 3\n1: one\ny: t"),
            r#"{"1":"one","base":{"p":1,"q":2},"d":{"p":1,"q":3},"true":"t"}"#
        );
    }

    #[test]
    fn errors_name_their_place() {
        assert_eq!(
            json("a: 1\n---\nb: 2\n"),
            "error: on line 2, column 1: unexpected extra content after value"
        );
        assert!(json("!foo x").contains("unsupported tag"));
        assert!(json(".nan").contains("NaN"));
        assert!(json("a: &a [*a]").contains("own definition"));
    }

    #[test]
    fn alias_expansion_is_bounded() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(json(&doc).contains("more than 1000000 values"));
    }
}
