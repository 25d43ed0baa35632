//! Filesystem functions: reading files (within the size limit), their digests, templates from files, globs, and path manipulation.

use super::*;

pub(super) const NAMES: &[&str] = &[
    "file",
    "filesha256",
    "filemd5",
    "filebase64",
    "fileexists",
    "templatefile",
    "abspath",
    "basename",
    "dirname",
    "pathexpand",
    "filesha1",
    "filesha512",
    "filebase64sha256",
    "filebase64sha512",
    "fileset",
];

pub(super) fn call(name: &str, args: &[Value], module_dir: &Path) -> R {
    arity!(args, n, a, want, at_least);
    match name {
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
        "filesha1" | "filesha512" | "filebase64sha256" | "filebase64sha512" => {
            want(1)?;
            let bytes = read_limited(&resolve(module_dir, &string(a(0), "path")?))?;
            Ok(Value::String(
                crate::eval::encoding::digest(name, &bytes).unwrap_or_default(),
            ))
        }
        "fileset" => {
            want(2)?;
            let base = resolve(module_dir, &string(a(0), "path")?);
            fileset(&base, &string(a(1), "pattern")?)
        }
        other => Err(format!("function \"{other}\" is not implemented")),
    }
}
