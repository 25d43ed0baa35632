//! Pushing an image over the OCI distribution API: each blob the registry lacks goes up in
//! one monolithic upload (POST then PUT with its digest), then the manifest under the tag.
//! Registries that answer 401 get Docker's token flow (Bearer realm, service, scope) or
//! Basic authentication, with credentials from the Docker config file, a credential helper,
//! or the caller (ECR's GetAuthorizationToken).

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Client, RequestBuilder, Response, StatusCode};

use crate::{Blob, Image, ImageError, Reference, MANIFEST_TYPE};

/// A user name and password (or token) for a registry.
#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <hidden>)", self.username)
    }
}

/// Credentials for `registry` from the Docker config file (`$DOCKER_CONFIG/config.json` or
/// `~/.docker/config.json`): its `auths` entry, or the credential helper named for it
/// (`credHelpers`, then `credsStore`), run as `docker-credential-NAME get`.
pub fn docker_credentials(registry: &str) -> Result<Option<Credentials>, ImageError> {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")));
    let Some(dir) = dir else { return Ok(None) };
    let path = dir.join("config.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let config: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ImageError::Input(format!("{} is not valid JSON: {e}", path.display())))?;
    let keys = [
        registry.to_string(),
        format!("https://{registry}"),
        format!("http://{registry}"),
    ];
    for key in &keys {
        if let Some(auth) = config["auths"][key]["auth"].as_str() {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    ImageError::Input(format!(
                        "the auth entry for {registry} in {} is not base64 of USER:PASSWORD",
                        path.display()
                    ))
                })?;
            if let Some((u, p)) = decoded.split_once(':') {
                return Ok(Some(Credentials {
                    username: u.into(),
                    password: p.into(),
                }));
            }
        }
    }
    let helper = config["credHelpers"][registry]
        .as_str()
        .or_else(|| config["credsStore"].as_str());
    match helper {
        Some(h) => credential_helper(h, registry).map(Some),
        None => Ok(None),
    }
}

fn credential_helper(helper: &str, registry: &str) -> Result<Credentials, ImageError> {
    use std::io::Write;
    let program = format!("docker-credential-{helper}");
    let fail = |why: String| {
        ImageError::Input(format!(
            "the Docker credential helper {program} gave no credentials for {registry}: {why}"
        ))
    };
    let mut child = std::process::Command::new(&program)
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| fail(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(registry.as_bytes());
    }
    let out = child.wait_with_output().map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        return Err(fail(
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
        ));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| fail(e.to_string()))?;
    match (v["Username"].as_str(), v["Secret"].as_str()) {
        (Some(u), Some(s)) => Ok(Credentials {
            username: u.into(),
            password: s.into(),
        }),
        _ => Err(fail("its answer has no Username and Secret".into())),
    }
}

struct Session<'a> {
    client: Client,
    reference: &'a Reference,
    base: String,
    credentials: Option<Credentials>,
    authorization: Option<String>,
}

fn challenge_params(header: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = header;
    while let Some((key, after)) = rest.split_once('=') {
        let key = key.trim().trim_start_matches(',').trim().to_string();
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.split_once('"') {
                Some((v, t)) => (v.to_string(), t),
                None => (quoted.to_string(), ""),
            }
        } else {
            match after.split_once(',') {
                Some((v, t)) => (v.trim().to_string(), t),
                None => (after.trim().to_string(), ""),
            }
        };
        out.push((key, value));
        rest = tail.trim_start_matches(',');
    }
    out
}

impl Session<'_> {
    fn err(&self, action: &str, reason: impl Into<String>) -> ImageError {
        ImageError::Registry {
            registry: self.reference.registry.clone(),
            action: action.to_string(),
            reason: reason.into(),
        }
    }

    fn http(&self, source: reqwest::Error) -> ImageError {
        ImageError::Http {
            registry: self.reference.registry.clone(),
            source,
        }
    }

    /// Sends a request, authenticating once if the registry asks for it.
    async fn send(
        &mut self,
        action: &str,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Response, ImageError> {
        for attempt in 0..2 {
            let mut req = build(&self.client);
            if let Some(a) = &self.authorization {
                req = req.header(AUTHORIZATION, a);
            }
            let resp = req.send().await.map_err(|e| self.http(e))?;
            if resp.status() != StatusCode::UNAUTHORIZED || attempt == 1 {
                return Ok(resp);
            }
            self.authenticate(action, resp.headers()).await?;
        }
        unreachable!("the loop returns on its second attempt")
    }

    async fn authenticate(&mut self, action: &str, headers: &HeaderMap) -> Result<(), ImageError> {
        let challenge = headers
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let basic = |c: &Credentials| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{}", c.username, c.password))
            )
        };
        if let Some(params) = challenge.strip_prefix("Bearer ") {
            let params = challenge_params(params);
            let get = |k: &str| {
                params
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
            };
            let realm = get("realm")
                .ok_or_else(|| self.err(action, "its Bearer challenge has no realm"))?;
            let mut query = vec![];
            if let Some(s) = get("service") {
                query.push(("service", s));
            }
            query.push((
                "scope",
                get("scope").unwrap_or_else(|| {
                    format!("repository:{}:pull,push", self.reference.repository)
                }),
            ));
            let mut req = self.client.get(&realm).query(&query);
            if let Some(c) = &self.credentials {
                req = req.header(AUTHORIZATION, basic(c));
            }
            let resp = req.send().await.map_err(|e| self.http(e))?;
            if !resp.status().is_success() {
                return Err(self.err(
                    action,
                    format!(
                        "its token service at {realm} answered {}{}",
                        resp.status(),
                        if self.credentials.is_none() {
                            " (no credentials were found in the Docker config file)"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            let bytes = resp.bytes().await.map_err(|e| self.http(e))?;
            let body: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| self.err(action, format!("its token service answered: {e}")))?;
            let token = body["token"]
                .as_str()
                .or_else(|| body["access_token"].as_str())
                .ok_or_else(|| self.err(action, "its token service answered no token"))?;
            self.authorization = Some(format!("Bearer {token}"));
            Ok(())
        } else if challenge.starts_with("Basic") {
            let c = self.credentials.as_ref().ok_or_else(|| {
                self.err(
                    action,
                    "it needs a user name and password; run docker login or add them to the Docker config file",
                )
            })?;
            self.authorization = Some(basic(c));
            Ok(())
        } else {
            Err(self.err(
                action,
                format!("401 with an authentication scheme mlform does not speak: \"{challenge}\""),
            ))
        }
    }

    fn url(&self, rest: &str) -> String {
        format!("{}/v2/{}/{rest}", self.base, self.reference.repository)
    }

    async fn push_blob(&mut self, blob: &Blob) -> Result<(), ImageError> {
        let action = format!("the upload of blob {}", blob.digest);
        let head_url = self.url(&format!("blobs/{}", blob.digest));
        let head = self.send(&action, |c| c.head(&head_url)).await?;
        if head.status().is_success() {
            return Ok(());
        }
        let start_url = self.url("blobs/uploads/");
        let started = self.send(&action, |c| c.post(&start_url)).await?;
        if started.status() != StatusCode::ACCEPTED {
            let status = started.status();
            let text = started.text().await.unwrap_or_default();
            return Err(self.err(&action, format!("starting it answered {status}: {text}")));
        }
        let location = started
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| self.err(&action, "starting it answered no Location"))?
            .to_string();
        let location = if location.starts_with("http://") || location.starts_with("https://") {
            location
        } else {
            format!("{}{location}", self.base)
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let put_url = format!("{location}{sep}digest={}", blob.digest);
        let put = self
            .send(&action, |c| {
                c.put(&put_url)
                    .header(CONTENT_TYPE, "application/octet-stream")
                    .body(blob.bytes.clone())
            })
            .await?;
        if put.status() != StatusCode::CREATED {
            let status = put.status();
            let text = put.text().await.unwrap_or_default();
            return Err(self.err(&action, format!("it answered {status}: {text}")));
        }
        Ok(())
    }
}

/// Largest time one request of a push may take (a layer upload included).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

/// A connection to one repository of a registry.
pub struct RegistryClient<'a> {
    session: Session<'a>,
}

impl<'a> RegistryClient<'a> {
    /// Loopback registries are spoken to over HTTP (as Docker does), others over HTTPS
    /// unless `insecure`.
    pub fn new(
        reference: &'a Reference,
        credentials: Option<Credentials>,
        insecure: bool,
    ) -> Result<RegistryClient<'a>, ImageError> {
        let scheme = if insecure || reference.is_loopback() {
            "http"
        } else {
            "https"
        };
        let client = Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(30))
            .build()
            .map_err(|source| ImageError::Http {
                registry: reference.registry.clone(),
                source,
            })?;
        Ok(RegistryClient {
            session: Session {
                client,
                reference,
                base: format!("{scheme}://{}", reference.registry),
                credentials,
                authorization: None,
            },
        })
    }

    /// Pushes `image` under the reference's tag and returns the digest the registry stored.
    pub async fn push(&mut self, image: &Image) -> Result<String, ImageError> {
        let session = &mut self.session;
        let reference = session.reference;
        for blob in image.layers.iter().chain(std::iter::once(&image.config)) {
            session.push_blob(blob).await?;
        }
        let action = format!("the manifest {reference}");
        let url = session.url(&format!("manifests/{}", reference.tag));
        let resp = session
            .send(&action, |c| {
                c.put(&url)
                    .header(CONTENT_TYPE, MANIFEST_TYPE)
                    .body(image.manifest.bytes.clone())
            })
            .await?;
        if resp.status() != StatusCode::CREATED {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            return Err(session.err(&action, format!("it answered {status}: {text}")));
        }
        let stored = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .unwrap_or(image.digest());
        if stored != image.digest() {
            return Err(session.err(
                &action,
                format!(
                    "it stored digest {stored}, but the manifest sent has {}",
                    image.digest()
                ),
            ));
        }
        Ok(image.digest().to_string())
    }

    /// The digest of the manifest `tag_or_digest` names, or `None` when the registry has no
    /// such manifest.
    pub async fn manifest_digest(
        &mut self,
        tag_or_digest: &str,
    ) -> Result<Option<String>, ImageError> {
        let action = format!("a look at manifest {tag_or_digest}");
        let url = self.session.url(&format!("manifests/{tag_or_digest}"));
        let resp = self
            .session
            .send(&action, |c| {
                c.head(&url).header(
                    reqwest::header::ACCEPT,
                    format!(
                        "{MANIFEST_TYPE}, application/vnd.docker.distribution.manifest.v2+json"
                    ),
                )
            })
            .await?;
        match resp.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => Ok(Some(
                resp.headers()
                    .get("docker-content-digest")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(tag_or_digest)
                    .to_string(),
            )),
            s => Err(self.session.err(&action, format!("it answered {s}"))),
        }
    }

    /// Deletes the manifest `digest` (its tags go with it). A manifest already gone is fine.
    pub async fn delete_manifest(&mut self, digest: &str) -> Result<(), ImageError> {
        let action = format!("the deletion of manifest {digest}");
        let url = self.session.url(&format!("manifests/{digest}"));
        let resp = self.session.send(&action, |c| c.delete(&url)).await?;
        match resp.status() {
            StatusCode::ACCEPTED | StatusCode::OK | StatusCode::NOT_FOUND => Ok(()),
            StatusCode::METHOD_NOT_ALLOWED => Err(self.session.err(
                &action,
                "it does not allow deleting images (405); keep the image with keep_remotely = true, or enable deletes on the registry",
            )),
            s => Err(self.session.err(&action, format!("it answered {s}"))),
        }
    }
}

/// Pushes `image` to `reference` and returns the manifest digest the registry stored.
pub async fn push(
    image: &Image,
    reference: &Reference,
    credentials: Option<Credentials>,
    insecure: bool,
) -> Result<String, ImageError> {
    RegistryClient::new(reference, credentials, insecure)?
        .push(image)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bearer_challenges() {
        let p = challenge_params(
            r#"realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(p[0], ("realm".into(), "https://auth.example/token".into()));
        assert_eq!(p[1], ("service".into(), "registry.example".into()));
        assert_eq!(p[2], ("scope".into(), "repository:a/b:pull,push".into()));
    }
}
