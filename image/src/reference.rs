//! Image references as the distribution API needs them: `HOST[:PORT]/REPO[:TAG]`.

use crate::ImageError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Host and optional port.
    pub registry: String,
    /// Repository path, possibly with slashes.
    pub repository: String,
    pub tag: String,
}

impl Reference {
    /// Parses `HOST[:PORT]/REPO[:TAG]` (tag `latest` when absent). The host is required, as
    /// mlform has no default registry.
    pub fn parse(s: &str) -> Result<Reference, ImageError> {
        let bad = |why: &str| {
            ImageError::Input(format!(
                "\"{s}\" is not an image reference: {why}; write HOST[:PORT]/REPOSITORY[:TAG], such as 127.0.0.1:5000/models/mlp:v1"
            ))
        };
        let (registry, rest) = s.split_once('/').ok_or_else(|| bad("no registry host"))?;
        if registry.is_empty()
            || !(registry.contains('.') || registry.contains(':') || registry == "localhost")
        {
            return Err(bad("the part before the first / must be a registry host"));
        }
        if s.contains('@') {
            return Err(bad("push to a tag; the digest is what the push prints"));
        }
        let (repository, tag) = match rest.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r, t),
            _ => (rest, "latest"),
        };
        let repo_ok = !repository.is_empty()
            && repository.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
            });
        if !repo_ok {
            return Err(bad(
                "repository names are lowercase letters, digits and . _ - separated by /",
            ));
        }
        let tag_ok = !tag.is_empty()
            && tag.len() <= 128
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !tag_ok {
            return Err(bad("tags are up to 128 letters, digits and . _ -"));
        }
        Ok(Reference {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag: tag.to_string(),
        })
    }

    /// Loopback registries are spoken to over plain HTTP, as Docker does.
    pub fn is_loopback(&self) -> bool {
        let host = self
            .registry
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or(&self.registry);
        matches!(host, "localhost" | "127.0.0.1" | "[::1]") || host.starts_with("127.")
    }

    /// `REGISTRY/REPO@DIGEST`.
    pub fn with_digest(&self, digest: &str) -> String {
        format!("{}/{}@{digest}", self.registry, self.repository)
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}:{}", self.registry, self.repository, self.tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        let r = Reference::parse("127.0.0.1:5000/models/mlp:v1").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "models/mlp");
        assert_eq!(r.tag, "v1");
        assert!(r.is_loopback());
        let r = Reference::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/serve").unwrap();
        assert_eq!(r.tag, "latest");
        assert!(!r.is_loopback());
        for bad in [
            "mlp:v1",
            "host.io/Upper",
            "host.io/a@sha256:00",
            "localhost:5000/x:",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }
}
