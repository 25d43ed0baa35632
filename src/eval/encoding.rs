//! Functions that encode text and bytes: digests in base64 (`base64sha256`, `filesha1`, ...),
//! gzip, text in other character encodings, CSV, and name-based UUIDs.

use std::collections::BTreeMap;

use base64::Engine as _;
use mlform_provider::Value;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The digest functions over a string (`base64sha256`) or a file's bytes (`filesha1`).
pub fn digest(name: &str, bytes: &[u8]) -> Option<String> {
    use sha2::Digest as _;
    Some(match name {
        "base64sha256" | "filebase64sha256" => b64(&sha2::Sha256::digest(bytes)),
        "base64sha512" | "filebase64sha512" => b64(&sha2::Sha512::digest(bytes)),
        "filesha1" => hex::encode(<sha1::Sha1 as sha1::Digest>::digest(bytes)),
        "filesha512" => hex::encode(sha2::Sha512::digest(bytes)),
        _ => return None,
    })
}

pub fn base64gzip(s: &str) -> Result<String, String> {
    Ok(b64(&super::goflate::gzip(s.as_bytes())))
}

fn encoding(label: &str) -> Result<&'static encoding_rs::Encoding, String> {
    encoding_rs::Encoding::for_label(label.as_bytes())
        .ok_or_else(|| format!("{label:?} is not a supported IANA encoding name or alias"))
}

pub fn textencodebase64(s: &str, label: &str) -> Result<String, String> {
    let enc = encoding(label)?;
    let bytes: Vec<u8> = if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        // encoding_rs only decodes UTF-16; encode it by hand.
        s.encode_utf16()
            .flat_map(|u| {
                if enc == encoding_rs::UTF_16LE {
                    u.to_le_bytes()
                } else {
                    u.to_be_bytes()
                }
            })
            .collect()
    } else {
        let (out, _, unmappable) = enc.encode(s);
        if unmappable {
            return Err(format!(
                "the given string contains characters that cannot be represented in {}",
                enc.name()
            ));
        }
        out.into_owned()
    };
    Ok(b64(&bytes))
}

pub fn textdecodebase64(s: &str, label: &str) -> Result<String, String> {
    let enc = encoding(label)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| format!("invalid base64: {e}"))?;
    let (text, _, malformed) = enc.decode(&bytes);
    if malformed {
        return Err(format!(
            "the given value is has an invalid {} encoding",
            enc.name()
        ));
    }
    Ok(text.into_owned())
}

/// `csvdecode`: the first line names the columns; each further line is an object.
pub fn csvdecode(s: &str) -> Result<Value, String> {
    let rows = csv_rows(s)?;
    let Some((header, body)) = rows.split_first() else {
        return Ok(Value::List(vec![]));
    };
    body.iter()
        .enumerate()
        .map(|(i, row)| {
            if row.len() != header.len() {
                return Err(format!(
                    "record on line {} has {} fields, but the header has {}",
                    i + 2,
                    row.len(),
                    header.len()
                ));
            }
            Ok(Value::Map(
                (header
                    .iter()
                    .cloned()
                    .zip(row.iter().map(|f| Value::String(f.clone())))
                    .collect::<BTreeMap<_, _>>())
                .into(),
            ))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Value::List)
}

/// RFC 4180 records: quoted fields may hold commas, newlines and doubled quotes.
fn csv_rows(s: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = s.chars().peekable();
    let mut quoted = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                any = false;
            }
            c => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    if any {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

pub fn uuidv5(namespace: &str, name: &str) -> Result<String, String> {
    let ns = match namespace {
        "dns" => uuid::Uuid::NAMESPACE_DNS,
        "url" => uuid::Uuid::NAMESPACE_URL,
        "oid" => uuid::Uuid::NAMESPACE_OID,
        "x500" => uuid::Uuid::NAMESPACE_X500,
        other => uuid::Uuid::parse_str(other).map_err(|_| {
            format!("uuidv5() doesn't support namespace prefix {other:?}; use dns, url, oid, x500 or a UUID")
        })?,
    };
    Ok(uuid::Uuid::new_v5(&ns, name.as_bytes()).to_string())
}
