//! The OCI image layout on disk: `oci-layout`, `index.json` and `blobs/sha256/…`, as a
//! directory or as a tarball. A tarball also carries Docker's `manifest.json`, so
//! `docker load` takes it as it is.

use std::io::Read;
use std::path::Path;

use serde_json::{json, Value as J};

use crate::{Blob, Image, ImageError, CONFIG_TYPE, INDEX_TYPE, LAYER_TYPE, MANIFEST_TYPE};

/// The annotation naming an image in an index.
const REF_NAME: &str = "org.opencontainers.image.ref.name";

fn is_tarball(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "tar")
}

fn blob_path(digest: &str) -> String {
    format!("blobs/{}", digest.replacen(':', "/", 1))
}

/// The files of the layout: (path inside the layout, bytes), in a fixed order.
fn files(image: &Image, name: &str) -> Vec<(String, Vec<u8>)> {
    let index = json!({
        "schemaVersion": 2,
        "mediaType": INDEX_TYPE,
        "manifests": [{
            "mediaType": MANIFEST_TYPE,
            "digest": image.manifest.digest,
            "size": image.manifest.bytes.len(),
            "annotations": {REF_NAME: name, "io.containerd.image.name": name},
        }],
    });
    let mut out = vec![
        (
            "oci-layout".to_string(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
        (
            "index.json".to_string(),
            serde_json::to_vec(&index).expect("an index serializes"),
        ),
    ];
    for blob in std::iter::once(&image.config)
        .chain(&image.layers)
        .chain(std::iter::once(&image.manifest))
    {
        out.push((blob_path(&blob.digest), blob.bytes.clone()));
    }
    out
}

/// Writes the image as a layout directory, or as a tarball when `path` ends in `.tar`.
/// `name` (such as `mlform-serve:latest`) is what `docker load` tags it as.
pub fn write(image: &Image, path: &Path, name: &str) -> Result<(), ImageError> {
    let werr = |p: &Path| {
        let p = p.display().to_string();
        move |source| ImageError::Write { path: p, source }
    };
    let files = files(image, name);
    if is_tarball(path) {
        let docker_manifest = json!([{
            "Config": blob_path(&image.config.digest),
            "RepoTags": [name],
            "Layers": image.layers.iter().map(|l| blob_path(&l.digest)).collect::<Vec<_>>(),
        }]);
        let mut tar = tar::Builder::new(Vec::new());
        let mut dirs = std::collections::BTreeSet::new();
        for (p, _) in &files {
            if let Some((d, _)) = p.rsplit_once('/') {
                dirs.insert("blobs/".to_string());
                dirs.insert(format!("{d}/"));
            }
        }
        let mut entries: Vec<(String, Option<Vec<u8>>)> =
            dirs.into_iter().map(|d| (d, None)).collect();
        entries.extend(files.into_iter().map(|(p, b)| (p, Some(b))));
        entries.push((
            "manifest.json".into(),
            Some(serde_json::to_vec(&docker_manifest).expect("a manifest serializes")),
        ));
        for (p, bytes) in entries {
            let mut h = tar::Header::new_ustar();
            h.set_mtime(0);
            h.set_uid(0);
            h.set_gid(0);
            match bytes {
                None => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_mode(0o755);
                    h.set_size(0);
                    tar.append_data(&mut h, &p, std::io::empty())
                        .map_err(werr(path))?;
                }
                Some(b) => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_mode(0o644);
                    h.set_size(b.len() as u64);
                    tar.append_data(&mut h, &p, b.as_slice())
                        .map_err(werr(path))?;
                }
            }
        }
        let bytes = tar.into_inner().map_err(werr(path))?;
        std::fs::write(path, bytes).map_err(werr(path))?;
        return Ok(());
    }
    for (p, bytes) in files {
        let target = path.join(&p);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(werr(parent))?;
        }
        std::fs::write(&target, bytes).map_err(werr(&target))?;
    }
    Ok(())
}

/// Largest layout file read (a layer of the server and ONNX Runtime is ~40 MB compressed).
pub const MAX_BLOB_BYTES: u64 = 4 << 30;

/// Reads an image back from a layout directory or tarball (the first manifest of its index).
pub fn read(path: &Path) -> Result<Image, ImageError> {
    let shown = path.display().to_string();
    let bad = |reason: String| ImageError::Layout {
        path: shown.clone(),
        reason,
    };
    let mut files: std::collections::HashMap<String, Vec<u8>> = Default::default();
    if is_tarball(path) {
        let file = std::fs::File::open(path).map_err(|source| ImageError::Read {
            path: shown.clone(),
            source,
        })?;
        let mut archive = tar::Archive::new(file);
        let entries = archive.entries().map_err(|e| bad(e.to_string()))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| bad(e.to_string()))?;
            if entry.header().entry_type() != tar::EntryType::Regular {
                continue;
            }
            if entry.size() > MAX_BLOB_BYTES {
                return Err(bad(format!(
                    "an entry is larger than {MAX_BLOB_BYTES} bytes"
                )));
            }
            let name = entry
                .path()
                .map_err(|e| bad(e.to_string()))?
                .to_string_lossy()
                .trim_start_matches("./")
                .to_string();
            let mut bytes = Vec::new();
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| bad(e.to_string()))?;
            files.insert(name, bytes);
        }
    }
    let mut get = |p: &str| -> Result<Vec<u8>, ImageError> {
        if is_tarball(path) {
            return files.remove(p).ok_or_else(|| bad(format!("it has no {p}")));
        }
        std::fs::read(path.join(p)).map_err(|source| ImageError::Read {
            path: path.join(p).display().to_string(),
            source,
        })
    };
    let index: J =
        serde_json::from_slice(&get("index.json")?).map_err(|e| bad(format!("index.json: {e}")))?;
    let digest = index["manifests"][0]["digest"]
        .as_str()
        .ok_or_else(|| bad("index.json lists no manifest".into()))?
        .to_string();
    let manifest_bytes = get(&blob_path(&digest))?;
    let manifest = Blob::new(MANIFEST_TYPE, manifest_bytes);
    if manifest.digest != digest {
        return Err(bad(format!(
            "the manifest's content does not match {digest}"
        )));
    }
    let m: J =
        serde_json::from_slice(&manifest.bytes).map_err(|e| bad(format!("manifest: {e}")))?;
    let mut fetch = |desc: &J, media_type: &'static str| -> Result<Blob, ImageError> {
        let d = desc["digest"]
            .as_str()
            .ok_or_else(|| bad("a descriptor has no digest".into()))?;
        let blob = Blob::new(media_type, get(&blob_path(d))?);
        if blob.digest != d {
            return Err(bad(format!("blob {d} does not match its digest")));
        }
        Ok(blob)
    };
    let config = fetch(&m["config"], CONFIG_TYPE)?;
    let layers = m["layers"]
        .as_array()
        .ok_or_else(|| bad("the manifest lists no layers".into()))?
        .iter()
        .map(|l| fetch(l, LAYER_TYPE))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Image {
        manifest,
        config,
        layers,
    })
}
