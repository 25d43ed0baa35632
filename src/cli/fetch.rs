//! Fetching modules over HTTPS and from S3: the module registry protocol (service discovery
//! at `/.well-known/terraform.json`, `versions`, `download` answered with `X-Terraform-Get`)
//! and archives (`.zip`, `.tar.gz`), unpacked with limits on size and entries. Certificates
//! are checked against the system roots, and `SSL_CERT_FILE` adds others, as in Terraform.

use std::io::Read;
use std::path::{Component, Path};
use std::time::Duration;

use mlform_provider::Value;
use reqwest::Url;

use crate::config::sources::{ArchiveFormat, ArchiveSource, RegistrySource};
use crate::config::versions::{Constraint, Version};

/// The largest archive mlform downloads: 256 MiB.
pub const MAX_ARCHIVE_BYTES: usize = 256 << 20;
/// The most an archive may unpack to: 1 GiB.
pub const MAX_UNPACKED_BYTES: u64 = 1 << 30;
/// The most entries an archive may hold: 100,000.
pub const MAX_ENTRIES: usize = 100_000;
/// The largest registry answer (discovery, versions) read: 8 MiB.
const MAX_JSON_BYTES: usize = 8 << 20;
/// How long one request may take: 2 minutes.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

pub struct Fetcher {
    client: reqwest::Client,
}

impl Fetcher {
    pub fn new() -> Result<Fetcher, String> {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(30))
            .user_agent(concat!("mlform/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("starting the HTTP client: {e}"))?;
        Ok(Fetcher { client })
    }

    /// GETs `url`; returns the response when it is a success, and its body up to `limit`.
    async fn get(
        &self,
        url: &Url,
        limit: usize,
    ) -> Result<(reqwest::header::HeaderMap, reqwest::StatusCode, Vec<u8>), String> {
        let mut resp = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| format!("GET {url}: {}", mlform_provider::error_chain(&e)))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!("GET {url}: the server answered {status}"));
        }
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(format!(
                "GET {url}: the answer is larger than the limit of {} MiB",
                limit >> 20
            ));
        }
        let headers = resp.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("GET {url}: {}", mlform_provider::error_chain(&e)))?
        {
            if body.len() + chunk.len() > limit {
                return Err(format!(
                    "GET {url}: the answer is larger than the limit of {} MiB",
                    limit >> 20
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((headers, status, body))
    }

    /// The base URL of the host's module registry API, from its service discovery document.
    async fn modules_api(&self, host: &str) -> Result<Url, String> {
        let discovery = Url::parse(&format!("https://{host}/.well-known/terraform.json"))
            .map_err(|e| format!("\"{host}\" is not a valid registry host: {e}"))?;
        let (_, _, body) = self.get(&discovery, MAX_JSON_BYTES).await?;
        let doc: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| format!("{discovery} is not a service discovery document: {e}"))?;
        let base = doc
            .get("modules.v1")
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("The host {host} does not offer a module registry (no \"modules.v1\" in {discovery})"))?;
        let mut url = discovery
            .join(base)
            .map_err(|e| format!("{discovery}: modules.v1 {base:?} is not a URL: {e}"))?;
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        Ok(url)
    }

    /// Resolves a registry module to the newest version the constraint accepts and the
    /// address its source code is fetched from.
    pub async fn resolve_registry(
        &self,
        src: &RegistrySource,
        constraint: &Constraint,
        constraint_text: Option<&str>,
    ) -> Result<(Version, String), String> {
        let api = self.modules_api(&src.host).await?;
        let versions_url = api
            .join(&format!("{}/versions", src.id()))
            .map_err(|e| e.to_string())?;
        let (_, _, body) = self.get(&versions_url, MAX_JSON_BYTES).await.map_err(|e| {
            format!(
                "Failed to list the versions of {}/{}: {e}",
                src.host,
                src.id()
            )
        })?;
        let doc: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| format!("{versions_url} is not a versions document: {e}"))?;
        let versions: Vec<Version> = doc
            .get("modules")
            .and_then(|m| m.as_array())
            .and_then(|m| m.first())
            .and_then(|m| m.get("versions"))
            .and_then(|v| v.as_array())
            .map(|vs| {
                vs.iter()
                    .filter_map(|v| v.get("version")?.as_str())
                    .filter_map(Version::parse)
                    .collect()
            })
            .unwrap_or_default();
        let Some(version) = constraint.newest(&versions).cloned() else {
            return Err(match constraint_text {
                Some(c) => format!("There is no available version of module {}/{} which matches the given version constraint \"{c}\". Available versions: {}.", src.host, src.id(), list(&versions)),
                None => format!("The module {}/{} has no released version. Available versions: {}.", src.host, src.id(), list(&versions)),
            });
        };
        let download = api
            .join(&format!("{}/{version}/download", src.id()))
            .map_err(|e| e.to_string())?;
        let (headers, _, body) = self.get(&download, MAX_JSON_BYTES).await?;
        let location = match headers.get("x-terraform-get").and_then(|v| v.to_str().ok()) {
            Some(l) => l.to_string(),
            None => serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|d| d.get("location")?.as_str().map(str::to_string))
                .ok_or_else(|| {
                    format!(
                        "{download} did not say where the module is (no X-Terraform-Get header)"
                    )
                })?,
        };
        Ok((version, resolve_location(&download, &location)))
    }

    /// Downloads an archive; with no known format, follows the server's `X-Terraform-Get`.
    /// Returns the bytes and the format, or the address the server points at instead.
    pub async fn download(&self, a: &ArchiveSource) -> Result<Fetched, String> {
        if a.s3 {
            let bytes = s3_get(&a.url).await?;
            let format = a.format.ok_or_else(|| {
                format!(
                    "{}: an S3 source must name an archive (.zip, .tar.gz or ?archive=)",
                    a.url
                )
            })?;
            return Ok(Fetched::Archive(bytes, format));
        }
        let url = Url::parse(&a.url).map_err(|e| format!("{}: {e}", a.url))?;
        let (headers, _, body) = self.get(&url, MAX_ARCHIVE_BYTES).await?;
        if let Some(format) = a.format {
            return Ok(Fetched::Archive(body, format));
        }
        match headers
            .get("x-terraform-get")
            .and_then(|v| v.to_str().ok())
        {
            Some(l) => Ok(Fetched::Elsewhere(resolve_location(&url, l))),
            None => Err(format!(
                "{url} is neither an archive (.zip, .tar.gz, ?archive=) nor answered with X-Terraform-Get"
            )),
        }
    }
}

pub enum Fetched {
    Archive(Vec<u8>, ArchiveFormat),
    /// The server named another source address.
    Elsewhere(String),
}

fn list(versions: &[Version]) -> String {
    if versions.is_empty() {
        return "none".into();
    }
    let mut v: Vec<&Version> = versions.iter().collect();
    v.sort();
    v.iter()
        .rev()
        .take(10)
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An `X-Terraform-Get` value: a source address, or a URL relative to where it came from.
fn resolve_location(from: &Url, location: &str) -> String {
    let is_address = location.contains("::")
        || location.starts_with("http://")
        || location.starts_with("https://")
        || location.starts_with("git@")
        || location.starts_with("github.com/");
    if is_address {
        return location.to_string();
    }
    from.join(location)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| location.to_string())
}

/// GETs an `s3::` URL: `https://s3[-.]REGION.amazonaws.com/BUCKET/KEY`,
/// `https://BUCKET.s3[-.]REGION.amazonaws.com/KEY`, or any other endpoint path-style with
/// `?region=` (an S3-compatible store). Credentials come from the environment.
async fn s3_get(url: &str) -> Result<Vec<u8>, String> {
    let parsed = Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    let host = parsed.host_str().unwrap_or_default().to_string();
    let path = parsed.path().trim_start_matches('/').to_string();
    let query_region = parsed
        .query_pairs()
        .find(|(k, _)| k == "region")
        .map(|(_, v)| v.to_string());
    let aws_region = |h: &str| -> Option<String> {
        let h = h.strip_suffix(".amazonaws.com")?;
        let r = h
            .strip_prefix("s3.")
            .or_else(|| h.strip_prefix("s3-"))
            .unwrap_or(if h == "s3" { "us-east-1" } else { "" });
        (!r.is_empty()).then(|| r.to_string())
    };
    let (bucket, key, region, endpoint) = if host.ends_with(".amazonaws.com") {
        match host.split_once(".s3") {
            Some((bucket, rest)) if !bucket.is_empty() => {
                let region = aws_region(&format!("s3{rest}")).or(query_region);
                (bucket.to_string(), path, region, None)
            }
            _ => {
                let (bucket, key) = path.split_once('/').unwrap_or((&path, ""));
                (
                    bucket.to_string(),
                    key.to_string(),
                    aws_region(&host).or(query_region),
                    None,
                )
            }
        }
    } else {
        let (bucket, key) = path.split_once('/').unwrap_or((&path, ""));
        let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
        let endpoint = format!("{}://{host}{port}", parsed.scheme());
        (
            bucket.to_string(),
            key.to_string(),
            query_region,
            Some(endpoint),
        )
    };
    if bucket.is_empty() || key.is_empty() {
        return Err(format!("{url} does not name a bucket and an object key"));
    }
    // GetObject fails clearly on bad credentials; no separate identity check is needed.
    let mut config = vec![
        ("bucket", Value::from(bucket.as_str())),
        ("key", Value::from(key.as_str())),
        ("skip_credentials_validation", Value::Bool(true)),
    ];
    if let Some(r) = region {
        config.push(("region", Value::from(r)));
    }
    if let Some(e) = endpoint {
        config.push(("endpoints", Value::object([("s3", Value::from(e))])));
        config.push(("use_path_style", Value::Bool(true)));
    }
    let (store, _) = mlform_provider_aws::backend::s3_store(&Value::object(config))
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    match store.get(&key).await.map_err(|e| format!("{url}: {e}"))? {
        Some(bytes) if bytes.len() > MAX_ARCHIVE_BYTES => Err(format!(
            "{url} is larger than the limit of {} MiB",
            MAX_ARCHIVE_BYTES >> 20
        )),
        Some(bytes) => Ok(bytes),
        None => Err(format!("{url}: no such object")),
    }
}

/// A path inside an archive, refused when it would land outside the destination.
fn safe_relative(name: &Path) -> Result<&Path, String> {
    if name.is_absolute()
        || name
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::Prefix(_)))
    {
        return Err(format!(
            "the archive entry {} points outside the module directory",
            name.display()
        ));
    }
    Ok(name)
}

/// What an archive may still unpack to.
struct Budget {
    entries: usize,
    bytes: u64,
}

enum EntryKind {
    Dir,
    File,
    /// Links and devices: not module source code, skipped.
    Other,
}

impl Budget {
    /// Places one entry under `dest`, counting it and the bytes it really holds.
    fn place(
        &mut self,
        dest: &Path,
        rel: &Path,
        kind: EntryKind,
        reader: &mut dyn Read,
    ) -> Result<(), String> {
        self.entries += 1;
        if self.entries > MAX_ENTRIES {
            return Err(format!("the archive has more than {MAX_ENTRIES} entries"));
        }
        let target = dest.join(safe_relative(rel)?);
        let create = |dir: &Path| {
            std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))
        };
        match kind {
            EntryKind::Dir => create(&target),
            EntryKind::Other => Ok(()),
            EntryKind::File => {
                if let Some(p) = target.parent() {
                    create(p)?;
                }
                let mut out = std::fs::File::create(&target)
                    .map_err(|e| format!("writing {}: {e}", target.display()))?;
                let left = MAX_UNPACKED_BYTES - self.bytes;
                let written = std::io::copy(&mut reader.take(left + 1), &mut out)
                    .map_err(|e| format!("writing {}: {e}", target.display()))?;
                if written > left {
                    return Err(format!(
                        "the archive unpacks to more than {} MiB",
                        MAX_UNPACKED_BYTES >> 20
                    ));
                }
                self.bytes += written;
                Ok(())
            }
        }
    }
}

/// Unpacks an archive into `dest` (which must not exist yet), within the limits above.
pub fn unpack(bytes: &[u8], format: ArchiveFormat, dest: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dest).map_err(|e| format!("creating {}: {e}", dest.display()))?;
    let mut budget = Budget {
        entries: 0,
        bytes: 0,
    };
    let bad = |e: &dyn std::fmt::Display| format!("reading the archive: {e}");
    match format {
        ArchiveFormat::TarGz => {
            let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
            for entry in archive.entries().map_err(|e| bad(&e))? {
                let mut entry = entry.map_err(|e| bad(&e))?;
                let path = entry.path().map_err(|e| bad(&e))?.into_owned();
                let kind = match entry.header().entry_type() {
                    t if t.is_dir() => EntryKind::Dir,
                    t if t.is_file() => EntryKind::File,
                    _ => EntryKind::Other,
                };
                budget.place(dest, &path, kind, &mut entry)?;
            }
        }
        ArchiveFormat::Zip => {
            let mut archive =
                zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| bad(&e))?;
            for i in 0..archive.len() {
                let mut file = archive.by_index(i).map_err(|e| bad(&e))?;
                let Some(path) = file.enclosed_name() else {
                    return Err(format!(
                        "the archive entry {} points outside the module directory",
                        file.name()
                    ));
                };
                let kind = if file.is_dir() {
                    EntryKind::Dir
                } else if file.is_file() {
                    EntryKind::File
                } else {
                    EntryKind::Other
                };
                budget.place(dest, &path, kind, &mut file)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_gz_with_parent_paths_is_refused() {
        let mut raw = Vec::new();
        {
            let gz = flate2::write::GzEncoder::new(&mut raw, flate2::Compression::fast());
            let mut b = tar::Builder::new(gz);
            let data = b"x";
            let mut h = tar::Header::new_gnu();
            h.set_size(1);
            h.set_mode(0o644);
            h.set_cksum();
            // `append_data` refuses `..`; write the name into the header directly.
            let name = b"../evil.tf";
            h.as_old_mut().name[..name.len()].copy_from_slice(name);
            h.set_cksum();
            b.append(&h, &data[..]).unwrap();
            b.into_inner().unwrap().finish().unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let err = unpack(&raw, ArchiveFormat::TarGz, &dir.path().join("m")).unwrap_err();
        assert!(err.contains("outside"), "{err}");
        assert!(!dir.path().join("evil.tf").exists());
    }

    #[test]
    fn relative_locations_resolve_against_the_download_url() {
        let from = Url::parse("https://reg.example/v1/modules/a/b/c/1.0.0/download").unwrap();
        assert_eq!(
            resolve_location(&from, "/archives/b-1.0.0.tar.gz"),
            "https://reg.example/archives/b-1.0.0.tar.gz"
        );
        assert_eq!(
            resolve_location(&from, "git::https://example.com/b.git?ref=v1.0.0"),
            "git::https://example.com/b.git?ref=v1.0.0"
        );
    }
}
