//! Module source addresses and the manifest of installed modules. A source is a local
//! path, a git repository (`git::https://…`, `git::ssh://…`, `git::file://…`,
//! `git@host:org/repo.git`, the `github.com/org/repo` shorthand) with `?ref=`, `?depth=`
//! and a `//subdir`, a module registry address (`NAMESPACE/NAME/PROVIDER`, optionally
//! behind a `HOST/`), an HTTP(S) or `s3::` archive (`.zip`, `.tar.gz`, `?archive=`), or a
//! kind mlform does not install (Mercurial, GCS), which is named in the error. `init`
//! installs remote modules under `.mlform/modules/` and records them in `modules.json`;
//! loading finds them there by module key (`a.b`).

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
    Registry(RegistrySource),
    Archive(ArchiveSource),
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

/// The public registry, for addresses without a host.
pub const DEFAULT_REGISTRY: &str = "registry.terraform.io";

/// `HOST/NAMESPACE/NAME/PROVIDER//SUBDIR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySource {
    pub host: String,
    pub namespace: String,
    pub name: String,
    pub provider: String,
    pub subdir: Option<String>,
}

impl RegistrySource {
    /// `NAMESPACE/NAME/PROVIDER`, as the registry API paths take it.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.namespace, self.name, self.provider)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    Zip,
    TarGz,
}

/// An archive fetched over HTTP(S), or from S3 with `s3::`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveSource {
    /// The URL without `s3::`, `//subdir` and the `archive` parameter.
    pub url: String,
    pub s3: bool,
    /// From the extension or `?archive=`; `None` asks the server (`X-Terraform-Get`).
    pub format: Option<ArchiveFormat>,
    pub subdir: Option<String>,
}

fn archive_format(name: &str) -> Option<ArchiveFormat> {
    let n = name.to_ascii_lowercase();
    if n.ends_with(".zip") || n == "zip" {
        Some(ArchiveFormat::Zip)
    } else if n.ends_with(".tar.gz") || n.ends_with(".tgz") || n == "tar.gz" || n == "tgz" {
        Some(ArchiveFormat::TarGz)
    } else {
        None
    }
}

fn archive(url_with_query: &str, s3: bool) -> Source {
    let (base, subdir, mut params) = split_subdir_and_query(url_with_query);
    let explicit = params.remove("archive");
    let format = match &explicit {
        Some(a) => match archive_format(a) {
            Some(f) => Some(f),
            None => {
                return Source::Unsupported(format!(
                    "archive={a:?} is not an archive format mlform reads (zip, tar.gz, tgz)"
                ))
            }
        },
        None => archive_format(&base),
    };
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let url = if query.is_empty() {
        base
    } else {
        format!("{base}?{}", query.join("&"))
    };
    Source::Archive(ArchiveSource {
        url,
        s3,
        format,
        subdir,
    })
}

fn is_registry_part(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 64
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
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
    if let Some(rest) = source.strip_prefix("s3::") {
        return archive(rest, true);
    }
    for prefix in ["http::", "https::"] {
        if let Some(rest) = source.strip_prefix(prefix) {
            return archive(rest, false);
        }
    }
    if source.starts_with("http://") || source.starts_with("https://") {
        return archive(source, false);
    }
    for (prefix, what) in [
        ("hg::", "Mercurial"),
        ("gcs::", "GCS archive"),
        ("bitbucket.org/", "Bitbucket"),
    ] {
        if source.starts_with(prefix) {
            return Source::Unsupported(format!(
                "{what} module sources are not supported; mlform installs local paths, git repositories, module registries and HTTP(S) or S3 archives"
            ));
        }
    }
    let (main, subdir) = match source.split_once("//") {
        Some((m, s)) => (
            m,
            Some(s.trim_matches('/').to_string()).filter(|s| !s.is_empty()),
        ),
        None => (source, None),
    };
    let parts: Vec<&str> = main.split('/').collect();
    let registry = |host: &str, p: &[&str]| {
        Source::Registry(RegistrySource {
            host: host.to_ascii_lowercase(),
            namespace: p[0].to_string(),
            name: p[1].to_string(),
            provider: p[2].to_string(),
            subdir: subdir.clone(),
        })
    };
    match parts.as_slice() {
        [_, _, _] if parts.iter().all(|p| is_registry_part(p)) => {
            registry(DEFAULT_REGISTRY, &parts)
        }
        [host, rest @ ..]
            if rest.len() == 3
                && host.contains('.')
                && rest.iter().all(|p| is_registry_part(p)) =>
        {
            registry(host, rest)
        }
        _ => Source::Unsupported(format!(
            "\"{source}\" is not a module source mlform understands: use ./path, ../path, git::URL, NAMESPACE/NAME/PROVIDER (a registry) or an archive URL"
        )),
    }
}

/// One installed module.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Installed {
    /// The call path joined with dots (`network.subnets`).
    pub key: String,
    pub source: String,
    /// Relative to the root module.
    pub dir: String,
    /// The commit checked out (git sources).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub commit: String,
    /// The version installed (registry sources).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
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

    /// The installed directory of a call, when installed from this very source (and, for
    /// a registry module, at a version its constraint accepts).
    pub fn dir_of(
        &self,
        root: &Path,
        key: &str,
        source: &str,
        constraint: Option<&super::versions::Constraint>,
    ) -> Option<PathBuf> {
        self.modules
            .iter()
            .find(|m| m.key == key && m.source == source)
            .filter(|m| match constraint {
                Some(c) => {
                    super::versions::Version::parse(&m.version).is_some_and(|v| c.matches(&v))
                }
                None => true,
            })
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
        assert_eq!(
            parse("terraform-aws-modules/s3-bucket/aws//modules/notification"),
            Source::Registry(RegistrySource {
                host: DEFAULT_REGISTRY.into(),
                namespace: "terraform-aws-modules".into(),
                name: "s3-bucket".into(),
                provider: "aws".into(),
                subdir: Some("modules/notification".into()),
            })
        );
        assert!(
            matches!(parse("app.terraform.io/acme/vpc/aws"), Source::Registry(r) if r.host == "app.terraform.io" && r.id() == "acme/vpc/aws")
        );
        assert_eq!(
            parse("https://example.com/mods/vpc.zip//sub?archive=zip&token=x"),
            Source::Archive(ArchiveSource {
                url: "https://example.com/mods/vpc.zip?token=x".into(),
                s3: false,
                format: Some(ArchiveFormat::Zip),
                subdir: Some("sub".into()),
            })
        );
        assert!(
            matches!(parse("s3::https://s3-eu-west-1.amazonaws.com/b/vpc.tgz"), Source::Archive(a) if a.s3 && a.format == Some(ArchiveFormat::TarGz))
        );
        assert!(matches!(parse("hg::https://x/y"), Source::Unsupported(_)));
        assert!(matches!(parse("just-a-name"), Source::Unsupported(_)));
    }
}
