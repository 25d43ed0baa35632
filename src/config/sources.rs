//! Module source addresses and the manifest of installed modules. A source is a local
//! path, a git repository (`git::https://…`, `git::ssh://…`, `git::file://…`,
//! `git@host:org/repo.git`, the `github.com/org/repo` shorthand) with `?ref=`, `?depth=`
//! and a `//subdir`, or a kind mlform does not install yet (registry, archives, S3), which
//! is named in the error. `init` installs remote modules under `.mlform/modules/` and
//! records them in `modules.json`; loading finds them there by module key (`a.b`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Where installed modules live, relative to the root module.
pub const MODULES_DIR: &str = ".mlform/modules";

/// A parsed `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Local(String),
    Git(GitSource),
    /// A source kind mlform recognises but does not install yet, and why.
    Unsupported(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitSource {
    /// What `git clone` takes.
    pub url: String,
    /// `?ref=`: a tag, branch or commit.
    pub reference: Option<String>,
    /// `?depth=`: a shallow clone.
    pub depth: Option<u32>,
    /// `//subdir` inside the repository.
    pub subdir: Option<String>,
}

/// Splits `ADDR//SUBDIR?QUERY` as go-getter does (the `//` after a scheme's `://` is not a
/// subdirectory).
fn split_subdir_and_query(addr: &str) -> (String, Option<String>, BTreeMap<String, String>) {
    let (main, query) = match addr.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (addr, None),
    };
    let scheme_end = main.find("://").map(|i| i + 3).unwrap_or(0);
    let (base, subdir) = match main[scheme_end..].find("//") {
        Some(i) => (
            main[..scheme_end + i].to_string(),
            Some(main[scheme_end + i + 2..].trim_matches('/').to_string())
                .filter(|s| !s.is_empty()),
        ),
        None => (main.to_string(), None),
    };
    let params = query
        .map(|q| {
            q.split('&')
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    Some((k.to_string(), urlencoding_decode(v)))
                })
                .collect()
        })
        .unwrap_or_default();
    (base, subdir, params)
}

fn urlencoding_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn git(url: String, subdir: Option<String>, params: BTreeMap<String, String>) -> Source {
    if let Some(k) = params
        .keys()
        .find(|k| !matches!(k.as_str(), "ref" | "depth"))
    {
        return Source::Unsupported(format!(
            "the git source argument \"{k}\" is not supported (mlform takes ref and depth)"
        ));
    }
    let depth = match params.get("depth") {
        None => None,
        Some(d) => match d.parse::<u32>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Source::Unsupported(format!("depth={d:?} is not a positive number")),
        },
    };
    Source::Git(GitSource {
        url,
        reference: params.get("ref").cloned().filter(|r| !r.is_empty()),
        depth,
        subdir,
    })
}

/// Parses a module call's `source`.
pub fn parse(source: &str) -> Source {
    if source.starts_with("./") || source.starts_with("../") || source == "." || source == ".." {
        return Source::Local(source.to_string());
    }
    if let Some(rest) = source.strip_prefix("git::") {
        let (url, subdir, params) = split_subdir_and_query(rest);
        return git(url, subdir, params);
    }
    if source.starts_with("git@") {
        let (url, subdir, params) = split_subdir_and_query(source);
        return git(url, subdir, params);
    }
    if let Some(rest) = source.strip_prefix("github.com/") {
        let (base, subdir, params) = split_subdir_and_query(rest);
        let repo = base.trim_end_matches(".git");
        return git(format!("https://github.com/{repo}.git"), subdir, params);
    }
    for (prefix, what) in [
        ("hg::", "Mercurial"),
        ("s3::", "S3 archive"),
        ("gcs::", "GCS archive"),
        ("http://", "HTTP archive"),
        ("https://", "HTTPS archive"),
        ("bitbucket.org/", "Bitbucket"),
    ] {
        if source.starts_with(prefix) {
            return Source::Unsupported(format!(
                "{what} module sources are not supported yet; mlform installs local paths and git repositories (git::URL?ref=TAG)"
            ));
        }
    }
    let parts: Vec<&str> = source.split("//").next().unwrap_or("").split('/').collect();
    if (parts.len() == 3 || parts.len() == 4) && parts.iter().all(|p| !p.is_empty()) {
        return Source::Unsupported(format!(
            "\"{source}\" is a module registry address; registry sources are not supported yet: use the module's git repository (git::https://…?ref=vX.Y.Z)"
        ));
    }
    Source::Unsupported(format!(
        "\"{source}\" is not a module source mlform understands: use ./path, ../path or git::URL"
    ))
}

/// One installed module.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Installed {
    /// The call path joined with dots (`network.subnets`).
    pub key: String,
    pub source: String,
    /// Relative to the root module.
    pub dir: String,
    /// The commit checked out.
    #[serde(default)]
    pub commit: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct Manifest {
    pub modules: Vec<Installed>,
}

impl Manifest {
    pub fn path(root: &Path) -> PathBuf {
        root.join(MODULES_DIR).join("modules.json")
    }

    /// The manifest in `root`, empty when none was written.
    pub fn read(root: &Path) -> Manifest {
        std::fs::read(Manifest::path(root))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// The installed directory of a call, when installed from this very source.
    pub fn dir_of(&self, root: &Path, key: &str, source: &str) -> Option<PathBuf> {
        self.modules
            .iter()
            .find(|m| m.key == key && m.source == source)
            .map(|m| root.join(&m.dir))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_sources_parse_as_go_getter_reads_them() {
        assert_eq!(
            parse("git::https://example.com/net.git//modules/vpc?ref=v1.2.0&depth=1"),
            Source::Git(GitSource {
                url: "https://example.com/net.git".into(),
                reference: Some("v1.2.0".into()),
                depth: Some(1),
                subdir: Some("modules/vpc".into()),
            })
        );
        assert_eq!(
            parse("github.com/acme/ml-modules//bucket?ref=main"),
            Source::Git(GitSource {
                url: "https://github.com/acme/ml-modules.git".into(),
                reference: Some("main".into()),
                depth: None,
                subdir: Some("bucket".into()),
            })
        );
        assert!(
            matches!(parse("git::file:///tmp/repo.git"), Source::Git(g) if g.url == "file:///tmp/repo.git" && g.subdir.is_none())
        );
        assert!(matches!(parse("./m"), Source::Local(_)));
        assert!(
            matches!(parse("terraform-aws-modules/s3-bucket/aws"), Source::Unsupported(m) if m.contains("registry"))
        );
    }
}
